package rsmf_test

import (
	"fmt"
	"io"
	"testing"
	"time"
	_ "time/tzdata" // the New York test must not depend on the host's zone files

	"github.com/steward-gov/steward/internal/rsmf"
	"github.com/steward-gov/steward/internal/steward"
)

// splitter returns a Splitter over two conversations and the slices it
// has emitted so far.
func splitter(t *testing.T, opts rsmf.SplitOptions) (*rsmf.Splitter, *[]*rsmf.Slice) {
	t.Helper()
	var out []*rsmf.Slice
	s, err := rsmf.NewSplitter(opts, func(sl *rsmf.Slice) error {
		out = append(out, sl)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []rsmf.Participant{{ID: "a", Display: "Alice"}, {ID: "b", Display: "Bob"}, {ID: "c", Display: "Cy"}} {
		if err := s.AddParticipant(p); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []rsmf.Conversation{
		{ID: "dm", Platform: "signal", Type: rsmf.Direct, Custodian: "a", Participants: []string{"a", "b"}},
		{ID: "grp", Platform: "signal", Type: rsmf.Channel, Participants: []string{"a"}},
	} {
		if err := s.AddConversation(c); err != nil {
			t.Fatal(err)
		}
	}
	return s, &out
}

func msg(conv, id, who string, at time.Time) rsmf.Event {
	return rsmf.Event{ID: id, Type: rsmf.Message, Conversation: conv, Participant: who, Timestamp: at, Body: "text " + id}
}

func add(t *testing.T, s *rsmf.Splitter, events ...rsmf.Event) {
	t.Helper()
	for _, e := range events {
		if err := s.Add(e); err != nil {
			t.Fatalf("Add(%s): %v", e.ID, err)
		}
	}
}

func summary(slices []*rsmf.Slice) []string {
	var out []string
	for _, s := range slices {
		ids := ""
		for _, e := range s.Manifest.Events {
			ids += " " + e.ID
		}
		out = append(out, s.Name()+":"+ids)
	}
	return out
}

func TestSplitterDays(t *testing.T) {
	s, out := splitter(t, rsmf.SplitOptions{})
	day := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	add(t, s,
		msg("dm", "1", "a", day.Add(9*time.Hour)),
		msg("grp", "2", "c", day.Add(10*time.Hour)),
		msg("dm", "3", "b", day.Add(23*time.Hour+59*time.Minute)),
	)
	if len(*out) != 0 {
		t.Fatalf("emitted %v before any window closed", summary(*out))
	}
	// The next day's first event closes both conversations' windows, in
	// order of conversation ID.
	add(t, s, msg("dm", "4", "a", day.Add(24*time.Hour)))
	want := []string{"dm_2024-03-05_001: 1 3", "grp_2024-03-05_001: 2"}
	if got := summary(*out); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after day 1: %v, want %v", got, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want = append(want, "dm_2024-03-06_001: 4")
	if got := summary(*out); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after Close: %v, want %v", got, want)
	}

	first := (*out)[0]
	if first.Conversation != "dm" || !first.Start.Equal(day) || !first.End.Equal(day.Add(24*time.Hour)) || first.Part != 1 {
		t.Errorf("slice = %+v", first)
	}
	m := first.Manifest
	if m.EventCollectionID != "dm" || len(m.Conversations) != 1 || len(m.Participants) != 2 {
		t.Errorf("manifest: collection %q, %d conversations, %d participants", m.EventCollectionID, len(m.Conversations), len(m.Participants))
	}
	// Only the participants the slice mentions, with the channel member
	// "a" although only "c" spoke.
	if g := (*out)[1].Manifest.Participants; len(g) != 2 || g[0].ID != "a" || g[1].ID != "c" {
		t.Errorf("grp participants = %+v", g)
	}
	for _, sl := range *out {
		if _, err := rsmf.Write(io.Discard, sl.Manifest, nil); err != nil {
			t.Errorf("slice %s does not write: %v", sl.Name(), err)
		}
	}
}

func TestSplitterEventCap(t *testing.T) {
	s, out := splitter(t, rsmf.SplitOptions{})
	base := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	for i := range rsmf.DefaultMaxEvents + 1 {
		add(t, s, msg("dm", fmt.Sprint(i), "a", base.Add(time.Duration(i)*time.Second)))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(*out) != 2 || len((*out)[0].Manifest.Events) != 10_000 || len((*out)[1].Manifest.Events) != 1 {
		t.Fatalf("got %d slices", len(*out))
	}
	if (*out)[0].Name() != "dm_2024-03-05_001" || (*out)[1].Name() != "dm_2024-03-05_002" {
		t.Errorf("names %q, %q", (*out)[0].Name(), (*out)[1].Name())
	}
}

func TestSplitterSizeCap(t *testing.T) {
	s, out := splitter(t, rsmf.SplitOptions{MaxBytes: 60 << 20})
	big := func(id string, at time.Time) rsmf.Event {
		e := msg("dm", id, "a", at)
		e.Attachments = []rsmf.Attachment{{ID: id + ".mp4", Size: 20 << 20}}
		return e
	}
	add(t, s, big("v1", t0), big("v2", t0.Add(time.Second)), big("v3", t0.Add(2*time.Second)))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// 20 MiB of video grows to about 27 MiB in base64: two fit in 60 MiB
	// with the preview reserve, three do not.
	if got := summary(*out); fmt.Sprint(got) != "[dm_2024-03-05_001: v1 v2 dm_2024-03-05_002: v3]" {
		t.Errorf("slices = %v", got)
	}
	huge := msg("dm", "h", "a", t0.Add(time.Hour))
	huge.Attachments = []rsmf.Attachment{{ID: "h.mp4", Size: 100 << 20}}
	if err := s.Add(huge); !steward.Is(steward.TooLarge, err) {
		t.Errorf("an attachment over the limit: %v", err)
	}
}

func TestSplitterWindows(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	s, out := splitter(t, rsmf.SplitOptions{Location: ny})
	// 03:30 UTC on 5 March is 22:30 on 4 March in New York.
	add(t, s, msg("dm", "late", "a", time.Date(2024, 3, 5, 3, 30, 0, 0, time.UTC)),
		msg("dm", "next", "a", time.Date(2024, 3, 5, 5, 30, 0, 0, time.UTC)))
	s.Close()
	if got := summary(*out); fmt.Sprint(got) != "[dm_2024-03-04_001: late dm_2024-03-05_001: next]" {
		t.Errorf("New York days: %v", got)
	}

	s, out = splitter(t, rsmf.SplitOptions{Slice: 6 * time.Hour})
	add(t, s, msg("dm", "1", "a", t0), msg("dm", "2", "a", t0.Add(3*time.Hour)))
	s.Close()
	if got := summary(*out); fmt.Sprint(got) != "[dm_2024-03-05T060000Z_001: 1 dm_2024-03-05T120000Z_001: 2]" {
		t.Errorf("6-hour slices: %v", got)
	}

	s, out = splitter(t, rsmf.SplitOptions{Slice: -1, MaxEvents: 2})
	add(t, s, msg("dm", "1", "a", t0), msg("dm", "2", "a", t0.AddDate(0, 1, 0)), msg("dm", "3", "a", t0.AddDate(1, 0, 0)))
	s.Close()
	if got := summary(*out); fmt.Sprint(got) != "[dm_all_001: 1 2 dm_all_002: 3]" {
		t.Errorf("no time slicing: %v", got)
	}
}

func TestSplitterKeepsIdentityOfTheTime(t *testing.T) {
	s, out := splitter(t, rsmf.SplitOptions{})
	add(t, s, msg("dm", "1", "b", t0))
	s.AddParticipant(rsmf.Participant{ID: "b", Display: "Bob Renamed"})
	add(t, s, msg("dm", "2", "b", t0.Add(time.Minute)), msg("dm", "3", "b", t0.Add(24*time.Hour)))
	s.Close()
	name := func(sl *rsmf.Slice) string {
		for _, p := range sl.Manifest.Participants {
			if p.ID == "b" {
				return p.Display
			}
		}
		return ""
	}
	if a, b := name((*out)[0]), name((*out)[1]); a != "Bob" || b != "Bob Renamed" {
		t.Errorf("names = %q, %q; want each file to show the name of its time", a, b)
	}
}

func TestSplitterRejects(t *testing.T) {
	s, _ := splitter(t, rsmf.SplitOptions{})
	add(t, s, msg("dm", "1", "a", t0))
	for name, e := range map[string]rsmf.Event{
		"undeclared conversation": msg("nope", "x", "a", t0),
		"undeclared participant":  msg("dm", "x", "ghost", t0),
		"undeclared reactor": func() rsmf.Event {
			e := msg("dm", "x", "a", t0)
			e.Reactions = []rsmf.Reaction{{Value: "+1", Participants: []string{"ghost"}}}
			return e
		}(),
		"no timestamp": msg("dm", "x", "a", time.Time{}),
		"out of order": msg("dm", "x", "a", t0.Add(-time.Second)),
	} {
		if err := s.Add(e); !steward.Is(steward.Invalid, err) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := rsmf.NewSplitter(rsmf.SplitOptions{MaxEvents: 10_001}, func(*rsmf.Slice) error { return nil }); !steward.Is(steward.Invalid, err) {
		t.Errorf("MaxEvents over 10,000: %v", err)
	}
	s.AddConversation(rsmf.Conversation{ID: "bad", Platform: "signal", Participants: []string{"ghost"}})
	if err := s.Add(msg("bad", "y", "a", t0)); !steward.Is(steward.Invalid, err) {
		t.Errorf("conversation with an undeclared member: %v", err)
	}
}

func TestSplitterStopsOnEmitError(t *testing.T) {
	boom := steward.Errorf("test", steward.Unavailable, "disk full")
	s, err := rsmf.NewSplitter(rsmf.SplitOptions{MaxEvents: 1}, func(*rsmf.Slice) error { return boom })
	if err != nil {
		t.Fatal(err)
	}
	s.AddParticipant(rsmf.Participant{ID: "a"})
	s.AddConversation(rsmf.Conversation{ID: "dm", Platform: "signal"})
	add(t, s, msg("dm", "1", "a", t0))
	if err := s.Add(msg("dm", "2", "a", t0)); err != boom {
		t.Fatalf("Add after a failing emit: %v", err)
	}
	if err := s.Close(); err != boom {
		t.Fatalf("Close after a failing emit: %v", err)
	}
}

func TestSliceNameIsSafe(t *testing.T) {
	a := (&rsmf.Slice{Conversation: "group/../x y", Part: 1}).Name()
	b := (&rsmf.Slice{Conversation: "group/../x:y", Part: 1}).Name()
	if a == b {
		t.Errorf("two IDs share the name %q", a)
	}
	for _, n := range []string{a, b} {
		for _, r := range n {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
				t.Errorf("name %q holds %q", n, r)
			}
		}
	}
}
