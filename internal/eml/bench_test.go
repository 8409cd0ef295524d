package eml_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/eml"
	"github.com/steward-gov/steward/internal/rsmf"
)

// realistic returns n messages shaped like a busy Signal group: ~120-byte
// bodies, a reply, an edit or a reaction now and then, and a 30 KB
// attachment every 50 messages.
func realistic(n int) *rsmf.Manifest {
	m := &rsmf.Manifest{}
	var members []string
	for i := range 8 {
		id := fmt.Sprintf("p%d", i)
		members = append(members, id)
		m.Participants = append(m.Participants, rsmf.Participant{ID: id, Display: fmt.Sprintf("Member %d", i),
			AccountID: fmt.Sprintf("+1555000%04d", i)})
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

// BenchmarkMessage writes one message per event of a 10,000-event
// manifest; msgs/s is measured against the >= 10,000 messages/s goal.
func BenchmarkMessage(b *testing.B) {
	m := realistic(10_000)
	w, err := eml.NewWriter(m, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := w.Message(io.Discard, i%len(m.Events)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkTranscript writes a 10,000-event conversation-day transcript.
func BenchmarkTranscript(b *testing.B) {
	m := realistic(10_000)
	w, err := eml.NewWriter(m, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := w.Transcript(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(m.Events)*b.N)/b.Elapsed().Seconds(), "msgs/s")
}
