package discovery_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/archivetest"
	"github.com/steward-gov/steward/internal/discovery"
	"github.com/steward-gov/steward/internal/indexer"
	"github.com/steward-gov/steward/internal/recordkeeping"
	"github.com/steward-gov/steward/internal/search"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

var ctx = context.Background()

const (
	danaAddr = "+12025550140"
	eveAddr  = "+12025550141"
	outside  = "+14155550140"
)

// env is the real stack: archive, pipeline, a search index kept by the
// indexer, holds through recordkeeping, and the discovery service.
type env struct {
	t         *testing.T
	s         *archivetest.Stack
	x         *indexer.Indexer
	svc       *discovery.Service
	dana, eve string
	counsel   string
	seq       int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s := archivetest.New(t)
	idx, err := sqlite.OpenIndex(filepath.Join(t.TempDir(), "index.db"), s.Keyring.DeriveKey(search.KeyInfo))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	e := &env{t: t, s: s, x: &indexer.Indexer{Store: s.DB, Index: idx, Reader: s.Reader}}
	holds := &recordkeeping.Service{Store: s.DB, Pipeline: s.Pipeline, Blobs: s.Blobs, Signer: s.Signer,
		Open: s.Reader.OpenRecord, Logger: s.Logger}
	e.svc = &discovery.Service{Store: s.DB, Pipeline: s.Pipeline, Reader: s.Reader, Index: idx, Holds: holds, Logger: s.Logger}
	e.dana = e.employee("dana@agency.example.gov", "Dana Whitfield", danaAddr)
	e.eve = e.employee("eve@agency.example.gov", "Eve Park", eveAddr)
	e.counsel = e.employee("counsel@agency.example.gov", "Casey Counsel", "+12025550149")
	return e
}

func (e *env) employee(user, name, addr string) string {
	e.t.Helper()
	emp := &steward.Employee{UserName: user, DisplayName: name, Active: true}
	if err := e.s.DB.CreateEmployee(ctx, emp); err != nil {
		e.t.Fatal(err)
	}
	if err := e.s.DB.CreateIdentity(ctx, &steward.Identity{EmployeeID: emp.ID, Channel: "signal", Address: addr,
		Mode: steward.IdentityGoverned, Status: steward.IdentityActive}); err != nil {
		e.t.Fatal(err)
	}
	return emp.ID
}

// send captures a direct message from an employee's address to an
// outsider, sent at the given day of March 2026.
func (e *env) send(from, body string, day int) string {
	e.t.Helper()
	e.seq++
	c, err := e.s.Pipeline.Capture(ctx, &steward.Item{Type: steward.EventMessage, Channel: "signal",
		ChannelMessageID: from + "-" + string(rune('a'+e.seq)), Direction: steward.DirOutbound,
		Sender: steward.Party{Address: from}, Recipients: []steward.Party{{Address: outside}},
		Body: body, SentAt: time.Date(2026, 3, day, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Ref.ID
}

func (e *env) sync() {
	e.t.Helper()
	if _, err := e.x.Sync(ctx); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) openCase(c *steward.Case, hold bool) *steward.Case {
	e.t.Helper()
	if c.Owner == "" {
		c.Owner = e.counsel
	}
	got, err := e.svc.CreateCase(ctx, e.counsel, c, hold)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

func ids(r *discovery.SearchResult) []string {
	var out []string
	for _, x := range r.Results {
		out = append(out, x.Message.RecordID)
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string { return slices.Sorted(slices.Values(ids)) }

func wantKind(t *testing.T, what string, err error, kind steward.Kind) {
	t.Helper()
	if !steward.Is(kind, err) {
		t.Fatalf("%s: got %v, want %s", what, err, kind)
	}
}

func TestSearchWithinCase(t *testing.T) {
	e := newEnv(t)
	d1 := e.send(danaAddr, "the culvert contract is late", 2)
	d2 := e.send(danaAddr, "lunch at noon", 3)
	d3 := e.send(danaAddr, "Culvert bids are in", 4)
	d4 := e.send(danaAddr, "call me later", 5)
	d5 := e.send(danaAddr, "thanks", 6)
	d6 := e.send(danaAddr, "the culvert again, in April", 20)
	ev := e.send(eveAddr, "culvert contract from Eve", 3)
	e.sync()

	from, until := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	c := e.openCase(&steward.Case{Name: "Smith v. City", Custodians: []string{e.dana}, From: &from, Until: &until}, false)

	r, err := e.svc.Search(ctx, e.counsel, c.ID, "culvert", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Dana's matching messages within the dates; neither Eve's, nor
	// Dana's of 20 March.
	if got, want := ids(r), sorted(d1, d3); !slices.Equal(got, want) {
		t.Fatalf("hits %v, want %v (eve %s, late %s)", got, want, ev, d6)
	}
	// Newest first: d3 (4 March), with two records of context either side.
	h := r.Results[0]
	if h.Message.RecordID != d3 || h.Message.Body != "Culvert bids are in" {
		t.Fatalf("first hit %+v, want %s", h.Message, d3)
	}
	var before, after []string
	for _, m := range h.Before {
		before = append(before, m.RecordID)
	}
	for _, m := range h.After {
		after = append(after, m.RecordID)
	}
	if !slices.Equal(before, []string{d1, d2}) || !slices.Equal(after, []string{d4, d5}) {
		t.Fatalf("context before %v after %v, want %v and %v", before, after, []string{d1, d2}, []string{d4, d5})
	}
	if h.Before[1].Body != "lunch at noon" {
		t.Fatalf("context message not opened: %+v", h.Before[1])
	}
	if want := []discovery.Span{{Start: 0, End: 7}}; !slices.Equal(h.Highlights, want) {
		t.Fatalf("highlights %v, want %v", h.Highlights, want)
	}
	if hl := r.Results[1].Highlights; !slices.Equal(hl, []discovery.Span{{Start: 4, End: 11}}) {
		t.Fatalf("second hit's highlights %v", hl)
	}

	// The query cannot widen the case: naming Eve as custodian finds
	// nothing of hers.
	r, err = e.svc.Search(ctx, e.counsel, c.ID, "culvert custodian:"+e.eve, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Results) != 0 {
		t.Fatalf("a query naming another custodian found %v", ids(r))
	}

	// Paging: one hit a page, then the next.
	p1, err := e.svc.Search(ctx, e.counsel, c.ID, "culvert", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(p1.Results) != 1 || p1.Next == "" {
		t.Fatalf("first page %+v", p1)
	}
	p2, err := e.svc.Search(ctx, e.counsel, c.ID, "culvert", p1.Next, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.Results) != 1 || p2.Results[0].Message.RecordID != d1 {
		t.Fatalf("second page %v, want %s", ids(p2), d1)
	}
}

func TestSearchIsAudited(t *testing.T) {
	e := newEnv(t)
	d1 := e.send(danaAddr, "zoning variance memo", 2)
	d2 := e.send(danaAddr, "ok", 3)
	e.sync()
	c := e.openCase(&steward.Case{Name: "Zoning", Custodians: []string{e.dana}}, false)
	if _, err := e.svc.Search(ctx, e.counsel, c.ID, "variance", "", 0); err != nil {
		t.Fatal(err)
	}
	recs, err := e.s.DB.AuditRecords(ctx, steward.AuditFilter{Action: "case.search", Subject: c.ID, Before: -1, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("%d case.search audit records, want 1", len(recs))
	}
	_, _, content, err := e.s.Reader.Open(ctx, recs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	d := content.Details
	if d["case"] != c.ID || d["query"] != "variance" || d["purpose"] != "case:"+c.ID {
		t.Fatalf("audit details %v", d)
	}
	got, _ := d["records"].([]any)
	if len(got) != 2 || got[0] != d1 || got[1] != d2 {
		t.Fatalf("audited records %v, want the hit %s and its context %s", got, d1, d2)
	}
}

func TestCaseRefusals(t *testing.T) {
	e := newEnv(t)
	e.send(danaAddr, "anything", 2)
	e.sync()
	c := e.openCase(&steward.Case{Name: "Refusals", Custodians: []string{e.dana}}, false)

	_, err := e.svc.Search(ctx, e.counsel, c.ID, `"unterminated`, "", 0)
	wantKind(t, "malformed query", err, steward.Invalid)
	if !strings.Contains(steward.PublicMessage(err), "position 1") {
		t.Fatalf("malformed query's message %q names no position", steward.PublicMessage(err))
	}
	_, err = e.svc.Search(ctx, e.counsel, c.ID, "anything", "", discovery.MaxLimit+1)
	wantKind(t, "limit too large", err, steward.Invalid)
	_, err = e.svc.Search(ctx, e.counsel, "no-such-case", "anything", "", 0)
	wantKind(t, "unknown case", err, steward.NotFound)

	_, err = e.svc.CreateCase(ctx, e.counsel, &steward.Case{Name: "Everyone", Owner: e.counsel}, false)
	wantKind(t, "a case without custodians", err, steward.Invalid)
	_, err = e.svc.CreateCase(ctx, e.counsel, &steward.Case{Name: "Ghost", Owner: e.counsel, Custodians: []string{"nobody"}}, false)
	wantKind(t, "a case with an unknown custodian", err, steward.Invalid)

	if _, err := e.svc.CloseCase(ctx, e.counsel, c.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Search(ctx, e.counsel, c.ID, "anything", "", 0)
	wantKind(t, "search of a closed case", err, steward.Conflict)
	_, err = e.svc.CloseCase(ctx, e.counsel, c.ID)
	wantKind(t, "closing twice", err, steward.Conflict)
	recs, err := e.s.DB.AuditRecords(ctx, steward.AuditFilter{Action: "case.search", Before: -1, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 0 {
		t.Fatalf("refused searches were audited as reads: %d records", len(recs))
	}
}

func TestCaseWithHold(t *testing.T) {
	e := newEnv(t)
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := e.openCase(&steward.Case{Name: "Held", Custodians: []string{e.dana, e.eve}, From: &from}, true)
	if c.HoldID == "" {
		t.Fatal("a case asking for a hold has none")
	}
	h, err := e.s.DB.HoldByID(ctx, c.HoldID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(h.Custodians, c.Custodians) || h.From == nil || !h.From.Equal(from) || h.Owner != e.counsel {
		t.Fatalf("hold %+v does not follow case %+v", h, c)
	}
}

func TestUpdateAndSavedSearches(t *testing.T) {
	e := newEnv(t)
	c := e.openCase(&steward.Case{Name: "Edits", Custodians: []string{e.dana}}, false)
	stale := *c
	c.Custodians = []string{e.dana, e.eve}
	up, err := e.svc.UpdateCase(ctx, e.counsel, c)
	if err != nil {
		t.Fatal(err)
	}
	if up.Version != 2 || len(up.Custodians) != 2 {
		t.Fatalf("updated case %+v", up)
	}
	_, err = e.svc.UpdateCase(ctx, e.counsel, &stale)
	wantKind(t, "update at a stale version", err, steward.Conflict)

	_, err = e.svc.SaveSearch(ctx, e.counsel, c.ID, "bad", "a AND")
	wantKind(t, "saving a malformed query", err, steward.Invalid)
	ss, err := e.svc.SaveSearch(ctx, e.counsel, c.ID, "bids", "bid*")
	if err != nil {
		t.Fatal(err)
	}
	list, err := e.svc.SavedSearches(ctx, c.ID)
	if err != nil || len(list) != 1 || list[0].Query != "bid*" {
		t.Fatalf("saved searches %v, %v", list, err)
	}
	if err := e.svc.DeleteSavedSearch(ctx, e.counsel, c.ID, ss.ID); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "deleting again", e.svc.DeleteSavedSearch(ctx, e.counsel, c.ID, ss.ID), steward.NotFound)
}

func TestHighlight(t *testing.T) {
	q, err := search.Parse(`cafe* OR "budget draft" NOT secret from:dana`)
	if err != nil {
		t.Fatal(err)
	}
	text := "The Café budget, DRAFT 2; secret to dana"
	var words []string
	for _, s := range discovery.Highlight(text, discovery.QueryTerms(q)) {
		words = append(words, text[s.Start:s.End])
	}
	if want := []string{"Café", "budget", "DRAFT"}; !slices.Equal(words, want) {
		t.Fatalf("highlighted %q, want %q", words, want)
	}
}

// FuzzHighlight checks that spans lie within the text, in order, apart,
// and each on a word the terms name.
func FuzzHighlight(f *testing.F) {
	f.Add("the Café budget", "cafe budget")
	f.Add("e\u0301clair \u00ad x", "ecl*")
	f.Add("\xff\xfe broken utf8 word", "word OR broken")
	f.Fuzz(func(t *testing.T, text, query string) {
		q, err := search.Parse(query)
		if err != nil {
			return
		}
		terms := discovery.QueryTerms(q)
		end := 0
		for _, s := range discovery.Highlight(text, terms) {
			if s.Start < end || s.End <= s.Start || s.End > len(text) {
				t.Fatalf("span %v after %d in %d bytes", s, end, len(text))
			}
			end = s.End
			found := false
			for _, tok := range search.Tokens(text[s.Start:s.End]) {
				found = found || terms.Words[tok] || slices.ContainsFunc(terms.Prefixes, func(p string) bool { return strings.HasPrefix(tok, p) })
			}
			if !found {
				t.Fatalf("span %q matches no term of %q", text[s.Start:s.End], query)
			}
		}
	})
}
