package search

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

func testKeyer(t testing.TB, seed byte) *Keyer {
	t.Helper()
	k, err := NewKeyer(DeriveKey(bytes.Repeat([]byte{seed}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestDeriveKey(t *testing.T) {
	kek := bytes.Repeat([]byte{7}, 32)
	a, b := DeriveKey(kek), DeriveKey(kek)
	if len(a) != KeySize || !bytes.Equal(a, b) {
		t.Fatalf("DeriveKey = %x, then %x: want the same %d bytes", a, b, KeySize)
	}
	if bytes.Equal(a, kek) || bytes.Equal(a, DeriveKey(bytes.Repeat([]byte{8}, 32))) {
		t.Error("DeriveKey returns the KEK, or the same key for two KEKs")
	}
	if _, err := NewKeyer(a[:31]); !steward.Is(steward.Invalid, err) {
		t.Errorf("NewKeyer of 31 bytes: %v, want Invalid", err)
	}
}

func TestBlind(t *testing.T) {
	k := testKeyer(t, 1)
	d := &Doc{
		ID: "rec-1", ConversationID: "conv-1",
		Text:         []string{"Negotiation: negotiate the budget", "smith"},
		From:         Party{Address: "Smith@City.gov", Name: "Ann Smith"},
		To:           []Party{{Address: "+1 202 555 0143"}},
		Participants: []Party{{Name: "Bob"}},
		Custodians:   []string{"emp-1"}, Channel: "Signal", Filenames: []string{"a.pdf", "b c.txt"},
		DLP: []string{"us_ssn"}, Sent: time.Date(2024, 3, 5, 23, 59, 59, 999_999_999, time.UTC),
		Direction: steward.DirInbound, HasAttachment: true, Deleted: true,
	}
	b, err := k.Blind(d)
	if err != nil {
		t.Fatal(err)
	}
	if b.ID != d.ID || b.ConversationID != d.ConversationID || !b.Sent.Equal(ClampTime(d.Sent)) {
		t.Errorf("Blind kept %q, %q, %v", b.ID, b.ConversationID, b.Sent)
	}
	plain := strings.Join(append(Tokens(strings.Join(d.Text, " ")), "smith", "city", "gov", "ann", "bob", "pdf", "emp-1", "signal", "us_ssn"), " ")
	for c, toks := range b.Columns {
		for _, tok := range toks {
			if len(tok) != 16 || strings.Trim(tok, "abcdefghijklmnopqrstuvwxyz234567") != "" {
				t.Errorf("column %v holds %q, not a hash", Column(c), tok)
			}
			if strings.Contains(plain, tok) {
				t.Errorf("column %v holds %q, a plaintext word", Column(c), tok)
			}
		}
	}
	text := b.Columns[ColText]
	if want := 4 + textGap + 1; len(text) != want {
		t.Errorf("text column has %d tokens, want %d: 4, the gap and 1", len(text), want)
	}
	if text[4] != k.gap || text[4+textGap-1] != k.gap {
		t.Errorf("the parts of the text are not kept apart by the gap")
	}
	// smith in the text and in the name hash apart.
	if slices.Contains(b.Columns[ColSender], text[len(text)-1]) {
		t.Error("a word hashes the same in the text and in a name")
	}
	// negotiation and negotiate share their 6 prefixes neg...negotiat;
	// budget has 3 proper ones, smith 2, the none.
	if n := len(b.Columns[ColPrefix]); n != 6+3+2 {
		t.Errorf("prefix column has %d prefixes, want 11", n)
	}
	// Meta: all, custodian, conversation, channel, direction, detector,
	// attachment, deleted, and the four date buckets.
	if n := len(b.Columns[ColMeta]); n != 12 {
		t.Errorf("meta column has %d tokens, want 12", n)
	}
	// Sender: address, 3 address words, separator, 2 name words, separator.
	if n := len(b.Columns[ColSender]); n != 8 {
		t.Errorf("sender column has %d tokens, want 8", n)
	}
	if n := len(b.Columns[ColFiles]); n != 2+1+3+1 {
		t.Errorf("files column has %d tokens, want 7", n)
	}

	// Another key, other hashes.
	b2, err := testKeyer(t, 2).Blind(d)
	if err != nil {
		t.Fatal(err)
	}
	if b2.Columns[ColText][0] == text[0] {
		t.Error("two keys hash a word alike")
	}
	if _, err := k.Blind(&Doc{}); !steward.Is(steward.Invalid, err) {
		t.Errorf("Blind of a document without id: %v, want Invalid", err)
	}
}

// TestCover checks that the buckets of every range cover exactly its
// days, using the buckets documents carry.
func TestCover(t *testing.T) {
	for _, c := range []struct {
		lo, hi string
		want   string
	}{
		{"2024-03-05", "2024-03-06", "d2024-03-05"},
		{"2024-03-01", "2024-04-01", "m2024-03"},
		{"2024-01-01", "2025-01-01", "y2024"},
		{"2020-01-01", "2030-01-01", "e202"},
		{"2024-03-05", "2024-03-05", ""},
		{"2023-12-30", "2024-02-02", "d2023-12-30 d2023-12-31 m2024-01 d2024-02-01"},
		{"1970-01-01", "2024-03-05", "e197 e198 e199 e200 e201 y2020 y2021 y2022 y2023 m2024-01 m2024-02 d2024-03-01 d2024-03-02 d2024-03-03 d2024-03-04"},
	} {
		lo, _ := time.Parse(time.DateOnly, c.lo)
		hi, _ := time.Parse(time.DateOnly, c.hi)
		if got := strings.Join(cover(lo, hi), " "); got != c.want {
			t.Errorf("cover(%s, %s) = %s, want %s", c.lo, c.hi, got, c.want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	days := int(MaxTime.Sub(MinTime).Hours() / 24)
	for range 200 {
		a, b := r.IntN(days+1), r.IntN(days+1)
		lo, hi := MinTime.AddDate(0, 0, min(a, b)), MinTime.AddDate(0, 0, max(a, b))
		buckets := cover(lo, hi)
		if len(buckets) > 130 {
			t.Errorf("cover(%v, %v) has %d buckets", lo, hi, len(buckets))
		}
		// Each probed day is in the range exactly when one of its buckets
		// is in the cover.
		for range 50 {
			day := MinTime.AddDate(0, 0, r.IntN(days))
			in := !day.Before(lo) && day.Before(hi)
			n := 0
			for _, s := range dateBuckets(day) {
				if slices.Contains(buckets, s) {
					n++
				}
			}
			if (n == 1) != in || n > 1 {
				t.Fatalf("cover(%v, %v): day %v is in %d buckets, in range: %v", lo, hi, day, n, in)
			}
		}
	}
}

func TestPlan(t *testing.T) {
	k := testKeyer(t, 1)
	h := func(space byte, v string) string { return k.hash(space, v) }
	all := "ALL"
	text := func(w ...string) string {
		var hs []string
		for _, x := range w {
			hs = append(hs, h(spaceText, x))
		}
		return `text|:"` + strings.Join(hs, " ") + `"`
	}
	meta := func(space byte, v string) string { return `meta|:"` + h(space, v) + `"` }
	day := func(s string) int64 {
		d, _ := time.Parse(time.DateOnly, s)
		return d.UnixMilli()
	}
	for _, c := range []struct {
		q            string
		f            Filter
		want         string
		since, until int64
	}{
		{q: "a", want: text("a")},
		{q: `"a b" c`, want: "(" + text("a", "b") + " AND " + text("c") + ")"},
		{q: "NOT a", want: "(" + all + " NOT " + text("a") + ")"},
		{q: "NOT NOT a", want: text("a")},
		{q: "a NOT b NOT c", want: "(" + text("a") + " NOT (" + text("b") + " OR " + text("c") + "))"},
		{q: "a OR NOT b", want: "(" + text("a") + " OR (" + all + " NOT " + text("b") + "))"},
		{q: "a w/3 b", want: "NEAR(" + text("a") + " " + text("b") + ", 3)"},
		{q: "negotiat*", want: `(prefix|:"` + h(spacePrefix, "negotiat") + `" OR ` + text("negotiat") + ")"},
		{q: "deleted:false", want: "(" + all + " NOT " + meta(spaceFlag, "deleted") + ")"},
		{q: "a", f: Filter{Custodians: []string{"e1", "e2"}, Conversations: []string{"c1"}},
			want: "(" + text("a") + " AND (" + meta(spaceCust, "e1") + " OR " + meta(spaceCust, "e2") + ") AND " + meta(spaceConv, "c1") + ")"},
		// Top-level dates become the time range.
		{q: "on:2024-03-05", want: all, since: day("2024-03-05"), until: day("2024-03-06")},
		{q: "a after:2024-03-05 before:2024-03-10", want: text("a"), since: day("2024-03-06"), until: day("2024-03-10")},
		{q: "a after:2024-03-05", f: Filter{Since: time.UnixMilli(day("2024-03-08")).Add(-time.Microsecond)},
			want: text("a"), since: day("2024-03-08"), until: MaxTime.UnixMilli()},
		// Others, tokens.
		{q: "a OR on:2024-03-05", want: "(" + text("a") + " OR " + meta(spaceDate, "d2024-03-05") + ")"},
		{q: "NOT before:1970-01-01", want: all},
	} {
		q, err := Parse(c.q)
		if err != nil {
			t.Fatal(err)
		}
		c.f.Unrestricted = len(c.f.Custodians) == 0
		p, err := k.Plan(q, c.f)
		if err != nil {
			t.Errorf("Plan(%s): %v", c.q, err)
			continue
		}
		if got := p.Root.String(); got != c.want {
			t.Errorf("Plan(%s) = %s\n  want %s", c.q, got, c.want)
		}
		if c.since == 0 && c.until == 0 {
			c.since, c.until = MinTime.UnixMilli(), MaxTime.UnixMilli()
		}
		if p.Since != c.since || p.Until != c.until || p.Verify {
			t.Errorf("Plan(%s) has range [%d, %d), verify %v; want [%d, %d)", c.q, p.Since, p.Until, p.Verify, c.since, c.until)
		}
	}

	q, _ := Parse("negotiati*")
	if _, err := k.Plan(q, Filter{Unrestricted: true}); !steward.Is(steward.Invalid, err) {
		t.Errorf("Plan(%s) without Load: %v, want Invalid", q, err)
	}
	load := func(context.Context, string) (*Doc, error) { return nil, nil }
	p, err := k.Plan(q, Filter{Unrestricted: true, Load: load})
	if err != nil || !p.Verify || p.Root.String() != `prefix|:"`+h(spacePrefix, "negotiat")+`"` {
		t.Errorf("Plan(%s) = %v, %v; want the 8-prefix, verified", q, p, err)
	}
	if _, err := k.Plan(q, Filter{}); !steward.Is(steward.Invalid, err) {
		t.Errorf("Plan without authority: %v, want Invalid", err)
	}
	q, _ = Parse("a after:2024-03-05 before:2024-03-06")
	if p, err := k.Plan(q, Filter{Unrestricted: true}); err != nil || !p.Empty() {
		t.Errorf("Plan(%s) = %+v, %v; want an empty range", q, p, err)
	}
}

func BenchmarkBlind(b *testing.B) {
	k := testKeyer(b, 1)
	d := &Doc{
		ID: "rec", ConversationID: "conv", Channel: "signal", Custodians: []string{"emp-1"},
		Text: []string{strings.Repeat("Please confirm the revised budget for the flood-relief grant by tomorrow morning. ", 3)},
		From: Party{Address: "+12025550101", Name: "Alice Martin"}, To: []Party{{Address: "jane.doe@city.gov", Name: "Jane Doe"}},
		Sent: time.Now(),
	}
	for b.Loop() {
		if _, err := k.Blind(d); err != nil {
			b.Fatal(err)
		}
	}
}
