package indexer_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/archivetest"
	"github.com/steward-gov/steward/internal/indexer"
	"github.com/steward-gov/steward/internal/search"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

type harness struct {
	t     *testing.T
	s     *archivetest.Stack
	path  string
	idx   *sqlite.Index
	x     *indexer.Indexer
	empID string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{t: t, s: archivetest.New(t)}
	h.path = filepath.Join(h.s.Dir, "index.db")
	emp := &steward.Employee{UserName: "dana@agency.example.gov", DisplayName: "Dana", Active: true}
	if err := h.s.DB.CreateEmployee(ctx, emp); err != nil {
		t.Fatal(err)
	}
	if err := h.s.DB.CreateIdentity(ctx, &steward.Identity{EmployeeID: emp.ID, Channel: "signal", Address: "+12025550140",
		Mode: steward.IdentityGoverned, Status: steward.IdentityActive}); err != nil {
		t.Fatal(err)
	}
	h.empID = emp.ID
	h.open()
	return h
}

// open opens the index file and an indexer over it, as serve does.
func (h *harness) open() {
	h.t.Helper()
	idx, err := sqlite.OpenIndex(h.path, h.s.Keyring.DeriveKey(search.KeyInfo))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { idx.Close() })
	h.idx = idx
	h.x = &indexer.Indexer{Store: h.s.DB, Index: idx, Reader: h.s.Reader, Batch: 3}
}

func (h *harness) capture(it *steward.Item) string {
	h.t.Helper()
	if it.Channel == "" {
		it.Channel = "signal"
	}
	it.Direction = steward.DirOutbound
	it.Sender = steward.Party{Address: "+12025550140", Name: "Dana Smith"}
	it.Recipients = []steward.Party{{Address: "+14155550140", Name: "Quentin Outsider"}}
	it.SentAt = time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	c, err := h.s.Pipeline.Capture(context.Background(), it)
	if err != nil {
		h.t.Fatal(err)
	}
	return c.Ref.ID
}

func (h *harness) sync() {
	h.t.Helper()
	if _, err := h.x.Sync(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

// search returns the ids of the hits of q within the employee's records.
func (h *harness) search(q string) []string {
	h.t.Helper()
	pq, err := search.Parse(q)
	if err != nil {
		h.t.Fatal(err)
	}
	hits, err := h.idx.Search(context.Background(), pq, search.Filter{Custodians: []string{h.empID}})
	if err != nil {
		h.t.Fatalf("search %q: %v", q, err)
	}
	var ids []string
	for _, hit := range hits {
		ids = append(ids, hit.ID)
	}
	return ids
}

func (h *harness) want(q string, ids ...string) {
	h.t.Helper()
	got := h.search(q)
	if len(got) != len(ids) {
		h.t.Errorf("search %q: %v, want %v", q, got, ids)
		return
	}
	for i := range ids {
		if !contains(got, ids[i]) {
			h.t.Errorf("search %q: %v, want %v", q, got, ids)
			return
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestCapturedMessagesBecomeSearchable(t *testing.T) {
	h := newHarness(t)
	m1 := h.capture(&steward.Item{Type: steward.EventMessage, ChannelMessageID: "1", Body: "the culvert budget is late"})
	m2 := h.capture(&steward.Item{Type: steward.EventMessage, ChannelMessageID: "2", Body: "see attached",
		Attachments: []steward.Attachment{{Filename: "flood-plan.txt", ContentType: "text/plain", Data: []byte("levee appropriation draft")}}})
	m3 := h.capture(&steward.Item{Type: steward.EventMessage, ChannelMessageID: "3", Body: "lunch at noon"})
	h.capture(&steward.Item{Type: steward.EventEdit, ChannelMessageID: "4", Target: "3", Body: "lunch at one instead"})
	h.capture(&steward.Item{Type: steward.EventDelete, ChannelMessageID: "5", Target: "1"})

	if n, _, err := h.x.Lag(context.Background()); err != nil || n == 0 {
		t.Fatalf("lag before indexing: %d records, %v", n, err)
	}
	h.sync()
	if n, _, err := h.x.Lag(context.Background()); err != nil || n != 0 {
		t.Fatalf("lag after indexing: %d records, %v", n, err)
	}

	h.want("culvert", m1)
	h.want("levee w/1 appropriation", m2)
	h.want("filename:flood has:attachment", m2)
	h.want("instead", m3)
	h.want("noon", m3) // the original body stays searchable
	h.want("edited:true", m3)
	h.want("deleted:true", m1)
	h.want("from:smith to:quentin", m1, m2, m3)
	h.want("channel:signal direction:outbound on:2026-03-05", m1, m2, m3)
	h.want("custodian:"+h.empID+" budget", m1)

	pq, _ := search.Parse("culvert")
	hits, err := h.idx.Search(context.Background(), pq, search.Filter{Custodians: []string{"someone-else"}})
	if err != nil || len(hits) != 0 {
		t.Errorf("another custodian's search: %v, %v", hits, err)
	}
}

func TestResumesAfterRestartWithoutDuplicates(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for i, body := range []string{"alpha report", "beta report", "gamma report", "delta report"} {
		ids = append(ids, h.capture(&steward.Item{Type: steward.EventMessage, ChannelMessageID: string(rune('a' + i)), Body: body}))
	}
	h.sync()
	if err := h.idx.Close(); err != nil {
		t.Fatal(err)
	}
	more := h.capture(&steward.Item{Type: steward.EventMessage, ChannelMessageID: "z", Body: "epsilon report"})
	h.open()
	next, err := h.idx.Progress(context.Background())
	if err != nil || next == 0 {
		t.Fatalf("progress after restart %d, %v", next, err)
	}
	n, err := h.x.Sync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	size, _ := h.s.DB.LogSize(context.Background())
	if next+n != size {
		t.Errorf("after restart went past %d records from %d, log holds %d: it re-read records", n, next, size)
	}
	h.want("report", append(ids, more)...)
	h.want("epsilon", more)
}

func TestDisposedRecordLeavesIndex(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	keep := h.capture(&steward.Item{Type: steward.EventMessage, ChannelMessageID: "1", Body: "permit renewal"})
	gone := h.capture(&steward.Item{Type: steward.EventMessage, ChannelMessageID: "2", Body: "permit denial"})
	late := h.capture(&steward.Item{Type: steward.EventMessage, ChannelMessageID: "3", Body: "permit appeal"})
	h.x.Batch = 2
	if _, err := h.x.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	h.want("permit", keep, gone, late)

	// Disposition shreds, then calls the hook with the ids.
	for _, id := range []string{gone, late} {
		if err := h.s.DB.ShredKey(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.x.Remove(ctx, []string{gone, late}); err != nil {
		t.Fatal(err)
	}
	h.want("permit", keep)
	h.want("denial")

	// A record shredded before it was ever indexed is never added.
	unseen := h.capture(&steward.Item{Type: steward.EventMessage, ChannelMessageID: "4", Body: "permit fee"})
	if err := h.s.DB.ShredKey(ctx, unseen); err != nil {
		t.Fatal(err)
	}
	h.sync()
	h.want("permit", keep)
}

// TestIndexHoldsNoPlaintext is the canary: no word of any message, edit
// or attachment appears in the index's files.
func TestIndexHoldsNoPlaintext(t *testing.T) {
	h := newHarness(t)
	canaries := []string{"zanzibarquokka", "xylophonewombat", "marmaladeplatypus", "Quentin"}
	id := h.capture(&steward.Item{Type: steward.EventMessage, ChannelMessageID: "1", Body: "meet " + canaries[0] + " tomorrow",
		Attachments: []steward.Attachment{{Filename: "notes.txt", ContentType: "text/plain", Data: []byte("the " + canaries[1] + " memo")}}})
	h.capture(&steward.Item{Type: steward.EventEdit, ChannelMessageID: "2", Target: "1", Body: "meet " + canaries[2]})
	h.sync()
	h.want(canaries[1], id)

	check := func() {
		t.Helper()
		for _, suffix := range []string{"", "-wal", "-shm"} {
			data, err := os.ReadFile(h.path + suffix)
			if os.IsNotExist(err) {
				continue
			} else if err != nil {
				t.Fatal(err)
			}
			for _, c := range canaries {
				for _, form := range []string{c, string(bytes.ToLower([]byte(c)))} {
					if bytes.Contains(data, []byte(form)) {
						t.Errorf("index.db%s holds %q", suffix, form)
					}
				}
			}
		}
	}
	check() // while open, with the write-ahead log
	if err := h.idx.Close(); err != nil {
		t.Fatal(err)
	}
	check()
}
