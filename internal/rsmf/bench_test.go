package rsmf_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/rsmf"
)

// realistic returns n messages in one conversation shaped like a busy
// Signal group: ~120-byte bodies, a reply, an edit or a reaction now and
// then, and a small attachment every 50 messages.
func realistic(n int) *rsmf.Manifest {
	m := &rsmf.Manifest{EventCollectionID: "grp"}
	var members []string
	for i := range 8 {
		id := fmt.Sprintf("p%d", i)
		members = append(members, id)
		m.Participants = append(m.Participants, rsmf.Participant{ID: id, Display: fmt.Sprintf("Member %d", i),
			AccountID: fmt.Sprintf("+1555000%04d", i), Email: fmt.Sprintf("member%d@agency.gov", i)})
	}
	m.Conversations = []rsmf.Conversation{{ID: "grp", Platform: "signal", Display: "Field office", Type: rsmf.Channel,
		Custodian: "p0", Participants: members}}
	img := bytes.Repeat([]byte{0xff, 0xd8, 0x42}, 10_000)
	for i := range n {
		e := rsmf.Event{
			ID: fmt.Sprintf("rec-%08d", i), Type: rsmf.Message, Participant: members[i%8], Conversation: "grp",
			Timestamp: t0.Add(time.Duration(i) * 3 * time.Second), Direction: rsmf.Incoming,
			Body: fmt.Sprintf("Update %d: the site visit moved to Thursday; bring the signed forms and the badge list, thanks.", i),
		}
		switch {
		case i%10 == 1:
			e.Parent = fmt.Sprintf("rec-%08d", i-1)
		case i%10 == 2:
			e.Edits = []rsmf.Edit{{Timestamp: e.Timestamp.Add(time.Minute), Previous: "typo", New: e.Body}}
		case i%10 == 3:
			e.Reactions = []rsmf.Reaction{{Value: "👍", Participants: members[:3]}}
		case i%50 == 4:
			e.Attachments = []rsmf.Attachment{{ID: fmt.Sprintf("att-%d.jpg", i), Display: "photo.jpg",
				ContentType: "image/jpeg", Size: int64(len(img)), Open: rsmf.FromBytes(img)}}
		}
		m.Events = append(m.Events, e)
	}
	return m
}

// BenchmarkWrite writes one full 10,000-event file (with 200 30-KB
// attachments) to io.Discard; the msgs/s metric is the figure the
// production goal (>= 10,000 messages/s) is measured against.
func BenchmarkWrite(b *testing.B) {
	m := realistic(rsmf.DefaultMaxEvents)
	var size int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := rsmf.Write(io.Discard, m, nil)
		if err != nil {
			b.Fatal(err)
		}
		size = res.Bytes
	}
	b.ReportMetric(float64(len(m.Events)*b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(size), "bytes/file")
}

// BenchmarkSplitWrite runs events through a Splitter into daily files, the
// shape of a real export (20,000 events over about 17 hours here).
func BenchmarkSplitWrite(b *testing.B) {
	src := realistic(20_000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s, err := rsmf.NewSplitter(rsmf.SplitOptions{}, func(sl *rsmf.Slice) error {
			_, err := rsmf.Write(io.Discard, sl.Manifest, nil)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range src.Participants {
			s.AddParticipant(p)
		}
		s.AddConversation(src.Conversations[0])
		for _, e := range src.Events {
			if err := s.Add(e); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(src.Events)*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkValidate checks a full 10,000-event file.
func BenchmarkValidate(b *testing.B) {
	var buf bytes.Buffer
	if _, err := rsmf.Write(&buf, realistic(rsmf.DefaultMaxEvents), nil); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.ResetTimer()
	for b.Loop() {
		if _, err := rsmf.Validate(bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rsmf.DefaultMaxEvents*b.N)/b.Elapsed().Seconds(), "events/s")
}
