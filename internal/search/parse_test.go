package search

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

func TestParse(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"budget", "budget"},
		{"  BUDGET  ", "budget"},
		{"budget grant", "budget AND grant"},
		{"budget AND grant", "budget AND grant"},
		{"budget and grant", "budget AND and AND grant"},
		{"a OR b c", "a OR b AND c"},
		{"(a OR b) c", "(a OR b) AND c"},
		{"a AND (b AND c)", "a AND b AND c"},
		{"(a OR b) OR (c OR d)", "a OR b OR c OR d"},
		{"((a))", "a"},
		{"NOT a b", "NOT a AND b"},
		{"NOT (a b)", "NOT (a AND b)"},
		{"NOT NOT a", "NOT NOT a"},
		{"a NOT b", "a AND NOT b"},
		{"a OR NOT b", "a OR NOT b"},
		{`"Flood,  Relief!"`, `"flood relief"`},
		{`"budget"`, "budget"},
		{"flood-relief", `"flood relief"`},
		{"Jane.Doe@City.gov", `"jane doe city gov"`},
		{"w/o", `"w o"`},
		{"negot*", "negot*"},
		{"NÉGOT*", "negot*"},
		{"a w/5 b", "a w/5 b"},
		{"a W/5 b", "a w/5 b"},
		{`"a b" w/1 c`, `"a b" w/1 c`},
		{"NOT a w/3 b", "NOT a w/3 b"},
		{"(a) w/3 b", "a w/3 b"},
		{"x a w/3 b y", "x AND a w/3 b AND y"},
		{"From:jane", "from:jane"},
		{`from:"Jane Doe"`, `from:"Jane Doe"`},
		{`from:" Jane Doe "`, `from:"Jane Doe"`},
		{`to:"a\"b"`, `to:"a\"b"`},
		{`to:a\b`, `to:"a\\b"`},
		{"participant:+12025550143", "participant:+12025550143"},
		{"custodian:Emp-01", "custodian:Emp-01"},
		{"channel:SMS", "channel:sms"},
		{"conversation:c:1", "conversation:c:1"},
		{"has:Attachment", "has:attachment"},
		{"filename:*.pdf", "filename:*.pdf"},
		{"dlp:US_SSN", "dlp:us_ssn"},
		{"before:2024-03-05 after:1970-01-01 on:2199-12-31", "before:2024-03-05 AND after:1970-01-01 AND on:2199-12-31"},
		{"direction:Inbound", "direction:inbound"},
		{"deleted:TRUE edited:false", "deleted:true AND edited:false"},
		{"10:30", `"10 30"`},
		{"from:jane(b)", "from:jane AND b"},
		{"東京", "東京"},
	} {
		q, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := q.String(); got != c.want {
			t.Errorf("Parse(%q) = %s, want %s", c.in, got, c.want)
		}
		q2, err := Parse(q.String())
		if err != nil || q2.String() != q.String() {
			t.Errorf("Parse(%q) = %s, which reads back as %v, %v", c.in, q, q2, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		in  string
		pos int // 1-based rune position the error names
	}{
		{"", 1},
		{"   ", 4},
		{"AND a", 1},
		{"a AND", 6},
		{"a OR", 5},
		{"a OR OR b", 6},
		{"NOT", 1},
		{"a NOT", 3},
		{"(a", 1},
		{"a)", 2},
		{"()", 1},
		{"a (b OR (c)", 3},
		{`"abc`, 1},
		{`x "abc`, 3},
		{"---", 1},
		{`"!!!"`, 1},
		{"-budget", 1},
		{"ne*", 1},
		{"né*", 1},
		{"neg*o", 4},
		{"**", 1},
		{"e-mai*", 1},
		{`"negot*"`, 1},
		{"w/5", 1},
		{"a w/5", 3},
		{"a w/0 b", 3},
		{"a w/51 b", 3},
		{"a w/3 b w/3 c", 9},
		{"a w/3 negot*", 7},
		{"negot* w/3 a", 8},
		{"from:x w/3 a", 8},
		{"(a b) w/3 c", 7},
		{"a w/3 (b)", 3},
		{"frm:jane", 1},
		{"Re: budget", 1},
		{"https://example.com", 1},
		{"from:", 1},
		{`from:""`, 1},
		{"from:---", 1},
		{"has:attachments", 1},
		{"direction:sideways", 1},
		{"deleted:yes", 1},
		{"on:2024-3-5", 1},
		{"on:2024-02-30", 1},
		{"before:1969-12-31", 1},
		{"after:2200-01-01", 1},
		{"a \xff", 0},
	} {
		_, err := Parse(c.in)
		if !steward.Is(steward.Invalid, err) {
			t.Errorf("Parse(%q) = %v, want Invalid", c.in, err)
			continue
		}
		if c.pos > 0 && !strings.Contains(err.Error(), "position "+strconv.Itoa(c.pos)+":") {
			t.Errorf("Parse(%q) = %v, want the error at position %d", c.in, err, c.pos)
		}
	}
}

func TestParseBounds(t *testing.T) {
	long := strings.Repeat("a ", MaxQueryLen/2) + "b"
	if _, err := Parse(long); !steward.Is(steward.Invalid, err) {
		t.Errorf("Parse of %d bytes: %v, want Invalid", len(long), err)
	}
	terms := strings.TrimSpace(strings.Repeat("ab ", MaxTerms))
	if _, err := Parse(terms); err != nil {
		t.Errorf("Parse of %d terms: %v", MaxTerms, err)
	}
	if _, err := Parse(terms + " cd"); !steward.Is(steward.Invalid, err) {
		t.Errorf("Parse of %d terms: %v, want Invalid", MaxTerms+1, err)
	}
	phrase := `"` + strings.Repeat("ab ", MaxTerms+1) + `"`
	if _, err := Parse(phrase); !steward.Is(steward.Invalid, err) {
		t.Errorf("Parse of a phrase of %d words: %v, want Invalid", MaxTerms+1, err)
	}
	deep := strings.Repeat("(", MaxDepth) + "a" + strings.Repeat(")", MaxDepth)
	if _, err := Parse(deep); err != nil {
		t.Errorf("Parse nested %d deep: %v", MaxDepth, err)
	}
	for _, q := range []string{
		strings.Repeat("(", MaxDepth+1) + "a" + strings.Repeat(")", MaxDepth+1),
		strings.Repeat("NOT ", MaxDepth+1) + "a",
		strings.Repeat("NOT (", MaxDepth/2+1) + "a" + strings.Repeat(")", MaxDepth/2+1),
	} {
		if _, err := Parse(q); !steward.Is(steward.Invalid, err) {
			t.Errorf("Parse(%.40s...): %v, want Invalid", q, err)
		}
	}
}

// FuzzParse checks that Parse never panics and fails only with Invalid;
// that what it accepts prints in a canonical form that reads back to the
// same form; and that evaluating and planning the query never panic.
// Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"budget",
		`"flood relief" w/3 fund OR negot* AND NOT (a OR b)`,
		`from:"Jane Doe" to:+12025550143 participant:x custodian:e channel:sms conversation:c has:attachment`,
		"filename:*.pdf dlp:us_ssn before:2024-03-05 after:2024-01-01 on:2024-02-29 direction:inbound deleted:true edited:false",
	} {
		f.Add(s)
	}
	k, err := NewKeyer(make([]byte, KeySize))
	if err != nil {
		f.Fatal(err)
	}
	doc := &Doc{
		ID: "d", ConversationID: "c", Text: []string{"flood relief fund budget", "negotiation with a vendor"},
		From: Party{Address: "jane@city.gov", Name: "Jane Doe"}, To: []Party{{Address: "+12025550143"}},
		Custodians: []string{"e"}, Channel: "sms", HasAttachment: true, Filenames: []string{"x.pdf"},
		DLP: []string{"us_ssn"}, Sent: time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC), Direction: steward.DirInbound,
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			if !steward.Is(steward.Invalid, err) {
				t.Fatalf("Parse(%q) error of kind %v: %v", s, steward.KindOf(err), err)
			}
			return
		}
		canon := q.String()
		q2, err := Parse(canon)
		if err != nil {
			// The canonical form writes AND out and quotes phrases, so a
			// query near the length bound may print longer than it allows.
			if len(canon) > MaxQueryLen {
				return
			}
			t.Fatalf("Parse(%q) = %s, which does not parse: %v", s, canon, err)
		}
		if again := q2.String(); again != canon {
			t.Fatalf("Parse(%q) = %s, which reads back as %s", s, canon, again)
		}
		if Match(q, doc) != Match(q2, doc) {
			t.Fatalf("%q and its canonical form %s disagree on a document", s, canon)
		}
		if _, err := k.Plan(q, Filter{Unrestricted: true, Load: func(ctx context.Context, id string) (*Doc, error) { return doc, nil }}); err != nil {
			t.Fatalf("Plan(%s): %v", canon, err)
		}
	})
}
