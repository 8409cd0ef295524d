package search

import (
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// TestMatch pins the semantics by hand: every other index is compared
// with Match, so Match itself is compared with what a reader of the
// package documentation expects.
func TestMatch(t *testing.T) {
	midnight := time.Date(2024, 3, 6, 0, 0, 0, 0, time.UTC)
	doc := &Doc{
		ID: "d", ConversationID: "conv-1",
		Text: []string{
			"a b c d e. Budget budget; flood-relief FUND. Taxes are due",
			"vendor contract, scan of the Résumé",
		},
		From:         Party{Address: "Jane.Doe@City.gov", Name: "Jane Q. Doe"},
		To:           []Party{{Address: "+1 (202) 555-0143", Name: "Alice Martin"}, {Address: "signal-user-7f3a"}},
		Participants: []Party{{Address: "+12025550199", Name: "Bob Okafor"}},
		Custodians:   []string{"emp-01", "emp-02"},
		Channel:      "Signal", HasAttachment: true, Filenames: []string{"FY24 Budget draft.pdf", "notes.txt"},
		DLP: []string{"us_ssn"}, Sent: midnight.Add(-time.Millisecond), Direction: steward.DirOutbound, Edited: true,
	}
	for _, c := range []struct {
		q    string
		want bool
	}{
		{"budget", true},
		{"BUDGET fund", true},
		{"grant", false},
		{`"budget budget"`, true},
		{`"budget flood relief fund"`, true},
		{`"fund taxes"`, true},     // punctuation does not break a phrase
		{`"due vendor"`, false},    // the end of the body and the attachment do
		{"due w/50 vendor", false}, // not even for w/N
		{"due w/1 are", true},
		{"b w/2 d", true},
		{"b w/1 d", false},
		{"d w/2 b", true},
		{"a w/4 e", true},
		{"a w/3 e", false},
		{`"a b" w/2 d`, true},   // b and d are 2 apart
		{`"a b" w/1 d`, false},  //
		{`"a b c" w/1 b`, true}, // overlapping occurrences
		{"e w/1 e", true},       // one e serves both sides
		{"tax*", true},
		{"taxes*", true},
		{"taxesx*", false},
		{"resu*", true},
		{"NOT budget", false},
		{"NOT grant", true},
		{"budget NOT grant", true},
		{"grant OR fund", true},
		{"from:jane.doe@city.gov", true},
		{"from:doe", true},
		{`from:"jane q doe"`, true},
		{`from:"q jane"`, false}, // not in sequence in the name
		{"from:city.gov", true},
		{`from:"gov jane"`, false}, // address and name are apart
		{"to:+12025550143", true},
		{`to:"(202) 555-0143"`, true},
		{"to:5550143", false},
		{"to:7f3a", true},
		{`to:"martin signal"`, false}, // two parties are apart
		{"to:bob", false},
		{"participant:bob", true},
		{"participant:jane", true},
		{"custodian:emp-02", true},
		{"custodian:emp", false},
		{"channel:signal", true},
		{"conversation:conv-1", true},
		{"conversation:CONV-1", false},
		{"has:attachment", true},
		{"filename:budget", true},
		{`filename:"budget draft pdf"`, true},
		{`filename:"pdf notes"`, false},
		{"dlp:us_ssn", true},
		{"dlp:iban", false},
		{"direction:outbound", true},
		{"deleted:true", false},
		{"deleted:false", true},
		{"edited:true", true},
		{"on:2024-03-05", true},
		{"on:2024-03-06", false},
		{"before:2024-03-06", true},
		{"before:2024-03-05", false},
		{"after:2024-03-04", true},
		{"after:2024-03-05", false},
	} {
		q, err := Parse(c.q)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.q, err)
			continue
		}
		if got := Match(q, doc); got != c.want {
			t.Errorf("Match(%s) = %v, want %v", q, got, c.want)
		}
	}
}

func TestClampTime(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	for _, c := range []struct{ in, want time.Time }{
		{time.Time{}, MinTime},
		{time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), MinTime},
		{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), MaxTime.Add(-time.Millisecond)},
		{time.Date(2024, 3, 5, 19, 0, 0, 999999, ny), time.Date(2024, 3, 6, 0, 0, 0, 0, time.UTC)},
	} {
		if got := ClampTime(c.in); !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("ClampTime(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestFilterAllows(t *testing.T) {
	at := time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC)
	d := &Doc{ID: "d", ConversationID: "c1", Custodians: []string{"e1", "e2"}, Sent: at.Add(500 * time.Microsecond)}
	for _, c := range []struct {
		f    Filter
		want bool
	}{
		{Filter{Unrestricted: true}, true},
		{Filter{Custodians: []string{"e2", "e9"}}, true},
		{Filter{Custodians: []string{"e9"}}, false},
		{Filter{Conversations: []string{"c1"}}, true},
		{Filter{Custodians: []string{"e1"}, Conversations: []string{"c2"}}, false},
		// The sent time counts to the millisecond: 12:00:00.000.
		{Filter{Unrestricted: true, Since: at}, true},
		{Filter{Unrestricted: true, Since: at.Add(time.Microsecond)}, false},
		{Filter{Unrestricted: true, Until: at}, false},
		{Filter{Unrestricted: true, Until: at.Add(time.Microsecond)}, true},
	} {
		if got := c.f.Allows(d); got != c.want {
			t.Errorf("%+v.Allows = %v, want %v", c.f, got, c.want)
		}
	}
}
