// Package searchtest is the shared test suite of search.Index backends:
// each must return, for every query of a fixed table over a fixed corpus,
// exactly the documents search.Match selects.
package searchtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/search"
	"github.com/steward-gov/steward/internal/steward"
)

// CorpusSize is the number of generated documents Run indexes.
const CorpusSize = 480

// queries covers every operator and field. Each must select some of the
// corpus but not all of it, unless marked: a query whose answer is empty
// or everything would pass against a broken index.
var queries = []struct {
	q    string
	none bool // the answer is empty
}{
	// Terms, case, repetition.
	{q: "budget"},
	{q: "BUDGET"},
	{q: "Budget grant"},
	{q: "budget AND grant"},
	{q: "tango"},
	{q: "supersededword", none: true}, // only in versions that were replaced
	// Phrases, across punctuation, across parts.
	{q: `"flood relief"`},
	{q: `"flood relief fund"`},
	{q: "flood-relief"},
	{q: `"relief flood"`},
	{q: `"budget budget"`},
	{q: `"tango tango"`},
	{q: `"contract vendor"`},
	{q: `"word is contract"`},
	{q: `"contract vendor is"`, none: true}, // body ends, attachment begins
	{q: "jane.doe@city.gov"},
	{q: `"+1 (202) 555-0143"`},
	{q: "202-555-0143"},
	// Boolean operators.
	{q: "budget OR grant"},
	{q: "budget OR grant OR tango"},
	{q: "NOT budget"},
	{q: "NOT NOT budget"},
	{q: "budget NOT grant"},
	{q: "budget AND NOT grant"},
	{q: "NOT (budget OR grant)"},
	{q: "NOT budget NOT grant"},
	{q: "(budget OR grant) AND NOT (flood OR relief)"},
	{q: "budget OR NOT grant"},
	{q: "(budget grant) OR (vendor contract)"},
	{q: "NOT (budget AND NOT grant)"},
	// Wildcards.
	{q: "negot*"},
	{q: "negotiat*"},
	{q: "negotiati*"}, // longer than the hashed prefixes: verified
	{q: "negotiations*"},
	{q: "renegot*"},
	{q: "tax*"},
	{q: "taxe*"},
	{q: "tab*"},
	{q: "tax* NOT taxi"},
	{q: "stras*"},
	{q: "STRAß*"},
	{q: "istan*"},
	// Proximity.
	{q: "contract w/1 vendor"},
	{q: "contract w/2 vendor"},
	{q: "contract w/3 vendor"},
	{q: "vendor w/4 contract"},
	{q: "contract w/6 vendor"},
	{q: "contract w/7 vendor"},
	{q: "contract w/50 vendor"},
	{q: `"flood relief" w/3 fund`},
	{q: `fund w/2 "flood relief"`},
	{q: `"alpha beta" w/1 beta`},
	{q: `"alpha beta" w/1 gamma`},
	{q: `"alpha beta gamma" w/1 "beta"`},
	{q: "tango w/1 tango"}, // one occurrence serves both sides
	{q: "budget w/1 budget"},
	{q: "NOT contract w/3 vendor"},
	// Unicode.
	{q: "zoe"},
	{q: "ZOË"},
	{q: "zoe\u0308"},
	{q: "cafe"},
	{q: "CAFÉ"},
	{q: "straße"},
	{q: "strasse"},
	{q: "naive"},
	{q: "İstanbul"},
	{q: "istanbul"},
	{q: "Σίσυφος"},
	{q: "σισυφοσ"},
	{q: "東京"},
	{q: "résumé"},
	// Parties.
	{q: "from:jane.doe@city.gov"},
	{q: "from:JANE.DOE@CITY.GOV"},
	{q: `from:"Jane Doe"`},
	{q: "from:doe"},
	{q: "from:city.gov"},
	{q: `from:"gov jane"`, none: true}, // a run may not span address and name
	{q: `from:"+1 (202) 555-0101"`},
	{q: "from:+12025550101"},
	{q: "from:12025550101"},
	{q: `from:"+44 20 7946 0958"`},
	{q: "from:zoe"},
	{q: "from:Σίσυφος"},
	{q: "to:jane"},
	{q: "to:emp-01", none: true}, // employee ids are custodians, not addresses
	{q: "to:alice"},
	{q: `to:"martin bob"`, none: true}, // a run may not span two parties
	{q: "participant:acme"},
	{q: "participant:alice"},
	{q: `participant:"alice martin"`},
	{q: "participant:mayor"},
	{q: "from:alice AND to:jane"},
	{q: "custodian:emp-03"},
	{q: "custodian:EMP-03", none: true}, // ids are exact
	{q: "custodian:emp-01 OR custodian:emp-02"},
	{q: "NOT custodian:emp-01"},
	// Other fields.
	{q: "channel:signal"},
	{q: "channel:sms"},
	{q: "channel:SMS"},
	{q: "conversation:conv-03"},
	{q: "conversation:conv-fixed"},
	{q: "has:attachment"},
	{q: "NOT has:attachment"},
	{q: "filename:budget"},
	{q: "filename:pdf"},
	{q: `filename:"budget draft"`},
	{q: `filename:"draft notes"`},
	{q: `filename:"budget notes"`, none: true}, // a run may not span two files
	{q: "filename:zoe"},
	{q: "filename:paving_contract_v2.pdf"},
	{q: "dlp:us_ssn"},
	{q: "dlp:EMAIL"},
	{q: "direction:inbound"},
	{q: "direction:outbound"},
	{q: "direction:internal"},
	{q: "deleted:true"},
	{q: "deleted:false"},
	{q: "edited:true"},
	{q: "NOT edited:true AND budget"},
	// Dates, at the boundaries, in UTC.
	{q: "on:2024-03-05"},
	{q: "on:2024-03-06"},
	{q: "before:2024-03-06"},
	{q: "after:2024-03-05"},
	{q: "after:2024-03-04 before:2024-03-07"},
	{q: "after:2024-03-05 before:2024-03-06", none: true},
	{q: "on:1970-01-01"},
	{q: "on:2199-12-31"},
	{q: "before:1970-01-01", none: true},
	{q: "after:2024-02-29 boundary"},
	// Dates inside OR and NOT, which blind indexes answer from tokens.
	{q: "on:2024-03-05 OR tango"},
	{q: "NOT before:2024-02-01"},
	{q: "NOT on:2024-03-06 AND boundary"},
	{q: "budget OR after:2024-03-20"},
	{q: "(grant OR before:2024-01-15) AND NOT channel:sms"},
	{q: "boundary AND (on:2024-03-05 OR on:2024-03-06)"},
	{q: "NOT after:1970-01-01"},
	{q: "before:2024-01-01 OR after:2199-12-30"},
	{q: "tango OR (after:2023-12-31 AND before:2024-01-03)"},
	// Mixed.
	{q: "from:alice budget w/3 grant OR filename:pdf"},
	{q: "(negot* OR contract) AND custodian:emp-02 AND NOT deleted:true"},
	{q: "participant:jane AND (flood-relief OR \"budget budget\") AND after:2024-01-15"},
	{q: "has:attachment AND NOT filename:pdf AND channel:whatsapp"},
}

// newCorpus returns the corpus keyed by id.
func newCorpus() ([]*search.Doc, map[string]*search.Doc) {
	docs := Corpus(CorpusSize)
	byID := make(map[string]*search.Doc, len(docs))
	for _, d := range docs {
		byID[d.ID] = d
	}
	return docs, byID
}

// Run runs the suite on indexes from newIndex, each new and empty.
func Run(t *testing.T, newIndex func(t *testing.T) search.Index) {
	t.Run("Queries", func(t *testing.T) { testQueries(t, newIndex(t)) })
	t.Run("Filters", func(t *testing.T) { testFilters(t, newIndex(t)) })
	t.Run("Pages", func(t *testing.T) { testPages(t, newIndex(t)) })
	t.Run("Remove", func(t *testing.T) { testRemove(t, newIndex(t)) })
	t.Run("Verify", func(t *testing.T) { testVerify(t, newIndex(t)) })
	t.Run("Rank", func(t *testing.T) { testRank(t, newIndex(t)) })
	t.Run("Errors", func(t *testing.T) { testErrors(t, newIndex(t)) })
}

// load indexes the corpus in batches, after earlier versions of some of
// its documents (another word, another time, the other deleted flag) that
// it must replace.
func load(t *testing.T, x search.Index, docs []*search.Doc) {
	t.Helper()
	ctx := context.Background()
	var old []*search.Doc
	for i, d := range docs {
		if i%9 == 0 {
			v := *d
			v.Text = []string{"supersededword " + strings.Join(d.Text, " ")}
			v.Sent = d.Sent.Add(-400 * 24 * time.Hour)
			v.Deleted = !d.Deleted
			old = append(old, &v)
		}
	}
	// Re-adding is harmless, and within one batch the later version wins
	// (old[2] is the earlier version of docs[18]).
	for _, batch := range [][]*search.Doc{old, docs[:100], docs[100:], docs[:10], {old[2], docs[18]}} {
		if err := x.Add(ctx, batch...); err != nil {
			t.Fatalf("Add: %v", err)
		}
	}
}

func mustParse(t *testing.T, q string) *search.Query {
	t.Helper()
	pq, err := search.Parse(q)
	if err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	return pq
}

// expect returns the ids of docs that match q within f.
func expect(q *search.Query, f search.Filter, docs []*search.Doc) []string {
	var ids []string
	for _, d := range docs {
		if search.Match(q, d) && f.Allows(d) {
			ids = append(ids, d.ID)
		}
	}
	return ids
}

// all pages through every hit of q within f.
func all(t *testing.T, x search.Index, q *search.Query, f search.Filter) []search.Hit {
	t.Helper()
	var hits []search.Hit
	for page := 0; ; page++ {
		got, err := x.Search(context.Background(), q, f)
		if err != nil {
			t.Fatalf("Search(%q): %v", q, err)
		}
		hits = append(hits, got...)
		if len(got) < f.PageSize() {
			return hits
		}
		if page > 2*CorpusSize {
			t.Fatalf("Search(%q): pages never end", q)
		}
		f.After = got[len(got)-1].Cursor
	}
}

// check compares hits with the reference answer, and checks each hit's
// fields and the order.
func check(t *testing.T, name string, hits []search.Hit, want []string, byID map[string]*search.Doc) {
	t.Helper()
	got := make([]string, len(hits))
	for i, h := range hits {
		got[i] = h.ID
		d := byID[h.ID]
		if d == nil {
			t.Errorf("%s: hit %q is no document", name, h.ID)
			continue
		}
		if h.ConversationID != d.ConversationID || !h.Sent.Equal(search.ClampTime(d.Sent)) {
			t.Errorf("%s: hit %s has conversation %q, sent %v; want %q, %v", name, h.ID, h.ConversationID, h.Sent, d.ConversationID, search.ClampTime(d.Sent))
		}
		if i > 0 && h.Sent.After(hits[i-1].Sent) {
			t.Errorf("%s: hit %s (%v) comes after %s (%v): not newest first", name, h.ID, h.Sent, hits[i-1].ID, hits[i-1].Sent)
		}
	}
	gs, ws := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(gs, ws) {
		t.Errorf("%s: got %d hits, want %d\n  missing: %v\n  extra:   %v", name, len(got), len(want), minus(ws, gs), minus(gs, ws))
	}
	if len(slices.Compact(gs)) != len(got) {
		t.Errorf("%s: a document is hit twice", name)
	}
}

// minus returns the elements of a (sorted) not in b (sorted), at most 10.
func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if _, found := slices.BinarySearch(b, s); !found && len(out) < 10 {
			out = append(out, s)
		}
	}
	return out
}

var everything = search.Filter{Unrestricted: true, Limit: search.MaxLimit}

func testQueries(t *testing.T, x search.Index) {
	docs, byID := newCorpus()
	load(t, x, docs)
	loadDoc := func(ctx context.Context, id string) (*search.Doc, error) { return byID[id], nil }
	for _, c := range queries {
		q := mustParse(t, c.q)
		f := everything
		f.Load = loadDoc
		want := expect(q, f, docs)
		switch {
		case c.none && len(want) != 0:
			t.Errorf("%s: the reference finds %d documents, want none", c.q, len(want))
		case !c.none && len(want) == 0:
			t.Errorf("%s: the reference finds nothing, so the case tests nothing", c.q)
		case len(want) == len(docs):
			t.Errorf("%s: the reference finds everything, so the case tests nothing", c.q)
		}
		check(t, c.q, all(t, x, q, f), want, byID)
	}
}

func testFilters(t *testing.T, x search.Index) {
	docs, byID := newCorpus()
	load(t, x, docs)
	midnight := time.Date(2024, 3, 6, 0, 0, 0, 0, time.UTC)
	many := []string{"emp-04"}
	for i := len(many); i < search.MaxFilterValues; i++ {
		many = append(many, fmt.Sprintf("emp-x%04d", i))
	}
	filters := []search.Filter{
		{Custodians: []string{"emp-01"}},
		{Custodians: many, Conversations: many},
		{Custodians: many, Conversations: append([]string{"conv-05", "conv-fixed"}, many[2:]...)},
		{Custodians: []string{"emp-03", "emp-04"}},
		{Custodians: []string{"emp-99"}},
		{Conversations: []string{"conv-01", "conv-02", "conv-fixed"}},
		{Custodians: []string{"emp-02"}, Conversations: []string{"conv-02", "conv-07"}},
		{Unrestricted: true, Since: midnight},
		{Unrestricted: true, Until: midnight},
		{Unrestricted: true, Since: midnight.Add(-time.Millisecond), Until: midnight.Add(time.Millisecond)},
		{Unrestricted: true, Since: midnight.Add(-time.Microsecond), Until: midnight.Add(time.Microsecond)},
		{Unrestricted: true, Since: midnight, Until: midnight},
		{Unrestricted: true, Since: midnight.AddDate(0, 0, 1), Until: midnight},
		{Unrestricted: true, Since: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Custodians: []string{"emp-01"}, Since: base.AddDate(0, 0, 10), Until: base.AddDate(0, 0, 40)},
	}
	qs := []string{"budget", "NOT budget", "boundary", "tango OR grant", "on:2024-03-05 OR NOT grant", "after:2024-03-01 NOT deleted:true", "custodian:emp-02"}
	for i, f := range filters {
		f.Limit = search.MaxLimit
		for _, s := range qs {
			q := mustParse(t, s)
			check(t, fmt.Sprintf("filter %d, %s", i, s), all(t, x, q, f), expect(q, f, docs), byID)
		}
	}
}

func testPages(t *testing.T, x search.Index) {
	docs, byID := newCorpus()
	load(t, x, docs)
	for _, s := range []string{"the OR budget OR grant", "tango", "NOT budget"} {
		for _, limit := range []int{1, 7, 100} {
			q := mustParse(t, s)
			f := search.Filter{Unrestricted: true, Limit: limit}
			check(t, fmt.Sprintf("%s, %d per page", s, limit), all(t, x, q, f), expect(q, f, docs), byID)
		}
	}
	// The default page size.
	q := mustParse(t, "NOT budget")
	hits, err := x.Search(context.Background(), q, search.Filter{Unrestricted: true})
	if err != nil || len(hits) != search.DefaultLimit {
		t.Errorf("Search with the default limit = %d hits, %v; want %d", len(hits), err, search.DefaultLimit)
	}
}

func testRemove(t *testing.T, x search.Index) {
	ctx := context.Background()
	docs, byID := newCorpus()
	load(t, x, docs)
	var gone []string
	var kept []*search.Doc
	for i, d := range docs {
		if i%5 == 0 {
			gone = append(gone, d.ID)
		} else {
			kept = append(kept, d)
		}
	}
	if err := x.Remove(ctx, append(gone, "never-indexed")...); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if err := x.Remove(ctx, gone[:3]...); err != nil {
		t.Fatalf("Remove again: %v", err)
	}
	for _, s := range []string{"budget", "NOT budget", "tango", "negot*", "from:jane", "on:2024-03-05 OR has:attachment"} {
		q := mustParse(t, s)
		check(t, "after Remove, "+s, all(t, x, q, everything), expect(q, everything, kept), byID)
	}
	// A removed document can come back.
	if err := x.Add(ctx, byID[gone[1]]); err != nil {
		t.Fatalf("Add: %v", err)
	}
	kept = append(kept, byID[gone[1]])
	q := mustParse(t, "NOT budget")
	check(t, "after re-adding", all(t, x, q, everything), expect(q, everything, kept), byID)
}

// testVerify checks the verifier path: a wildcard longer than the hashed
// prefixes needs Filter.Load, and hits whose record is gone are dropped.
func testVerify(t *testing.T, x search.Index) {
	ctx := context.Background()
	docs, byID := newCorpus()
	load(t, x, docs)
	q := mustParse(t, "negotiati*")
	if _, err := x.Search(ctx, q, everything); !steward.Is(steward.Invalid, err) {
		t.Errorf("Search(%s) without Load: %v, want Invalid", q, err)
	}
	want := expect(q, everything, docs)
	if len(want) < 3 {
		t.Fatalf("the reference finds %d documents; the test needs 3", len(want))
	}
	shredded := want[1]
	f := search.Filter{Unrestricted: true, Limit: 2, Load: func(ctx context.Context, id string) (*search.Doc, error) {
		if id == shredded {
			return nil, steward.E(steward.Op("test.Load"), steward.Gone, "shredded")
		}
		return byID[id], nil
	}}
	check(t, "verified, one shredded", all(t, x, q, f), slices.DeleteFunc(slices.Clone(want), func(id string) bool { return id == shredded }), byID)

	failing := f
	failing.Load = func(ctx context.Context, id string) (*search.Doc, error) {
		return nil, steward.E(steward.Op("test.Load"), steward.Unavailable, "store down")
	}
	if _, err := x.Search(ctx, q, failing); !steward.Is(steward.Unavailable, err) {
		t.Errorf("Search with a failing Load: %v, want Unavailable", err)
	}
}

// testRank: hits carry a positive score when asked for one and the query
// has text, and 0 otherwise; asking changes neither the hits nor their
// order.
func testRank(t *testing.T, x search.Index) {
	ctx := context.Background()
	docs, _ := newCorpus()
	load(t, x, docs)
	for _, c := range []struct {
		q    string
		text bool
	}{{"budget", true}, {`"flood relief" OR negot*`, true}, {"channel:signal", false}} {
		q := mustParse(t, c.q)
		plain, err := x.Search(ctx, q, everything)
		if err != nil {
			t.Fatal(err)
		}
		f := everything
		f.Rank = true
		ranked, err := x.Search(ctx, q, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(plain) == 0 || len(plain) != len(ranked) {
			t.Fatalf("%s: %d hits, %d when ranked", c.q, len(plain), len(ranked))
		}
		for i := range plain {
			if plain[i].ID != ranked[i].ID || plain[i].Rank != 0 || (ranked[i].Rank > 0) != c.text || ranked[i].Rank < 0 {
				t.Errorf("%s: hit %d is %s with rank %v, ranked %s with %v", c.q, i, plain[i].ID, plain[i].Rank, ranked[i].ID, ranked[i].Rank)
				break
			}
		}
	}
}

func testErrors(t *testing.T, x search.Index) {
	ctx := context.Background()
	if err := x.Add(ctx, &search.Doc{}); !steward.Is(steward.Invalid, err) {
		t.Errorf("Add of a document without id: %v, want Invalid", err)
	}
	docs := Corpus(3)
	if err := x.Add(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	q := mustParse(t, "budget OR NOT budget")
	for _, c := range []struct {
		name string
		f    search.Filter
		kind steward.Kind
	}{
		{"no authority", search.Filter{}, steward.Invalid},
		{"negative limit", search.Filter{Unrestricted: true, Limit: -1}, steward.Invalid},
		{"limit too large", search.Filter{Unrestricted: true, Limit: search.MaxLimit + 1}, steward.Invalid},
		{"bad cursor", search.Filter{Unrestricted: true, After: "not a cursor"}, steward.Invalid},
		{"empty custodian", search.Filter{Custodians: []string{""}}, steward.Invalid},
		{"too many custodians", search.Filter{Custodians: slices.Repeat([]string{"emp-01"}, search.MaxFilterValues+1)}, steward.TooLarge},
	} {
		if _, err := x.Search(ctx, q, c.f); !steward.Is(c.kind, err) {
			t.Errorf("Search with %s: %v, want %v", c.name, err, c.kind)
		}
	}
	// Every document matches "budget OR NOT budget".
	hits, err := x.Search(ctx, q, search.Filter{Unrestricted: true})
	if err != nil || len(hits) != len(docs) {
		t.Errorf("Search(%s) = %d hits, %v; want %d", q, len(hits), err, len(docs))
	}
}
