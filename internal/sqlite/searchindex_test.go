package sqlite_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/search"
	"github.com/steward-gov/steward/internal/searchtest"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

func indexKey(tb testing.TB) []byte {
	tb.Helper()
	kek := make([]byte, 32)
	rand.Read(kek)
	return search.DeriveKey(kek)
}

// openIndex opens an index at path and closes it when the test ends.
func openIndex(tb testing.TB, path string, key []byte) *sqlite.Index {
	tb.Helper()
	x, err := sqlite.OpenIndex(path, key)
	if err != nil {
		tb.Fatalf("OpenIndex: %v", err)
	}
	tb.Cleanup(func() {
		if err := x.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return x
}

func TestSearchIndex(t *testing.T) {
	searchtest.Run(t, func(t *testing.T) search.Index {
		return openIndex(t, filepath.Join(t.TempDir(), "index.db"), indexKey(t))
	})
}

// TestSearchIndexCanary indexes a message whose every part carries a
// canary, and searches every byte of every file the index wrote for it,
// while the index is open and after it is closed. The canary's digits 0,
// 1, 8 and 9 are not in the hashes' base32 alphabet, so no hash can spell
// it by chance.
func TestSearchIndexCanary(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	x, err := sqlite.OpenIndex(filepath.Join(dir, "index.db"), indexKey(t))
	if err != nil {
		t.Fatal(err)
	}
	canary := "canary9081"
	d := &search.Doc{
		ID: "rec-1", ConversationID: "conv-1",
		Text:       []string{"the secret word is " + canary + " and Canary9081x", "attachment says " + canary},
		From:       search.Party{Address: canary + "@city.gov", Name: "Mr " + canary},
		To:         []search.Party{{Address: "+1202555" + "0199", Name: canary + " Two"}},
		Custodians: []string{"emp-" + canary}, Channel: canary, Filenames: []string{canary + ".pdf"},
		DLP: []string{canary}, Sent: time.Now(), Direction: steward.DirOutbound, HasAttachment: true,
	}
	if err := x.Add(ctx, d); err != nil {
		t.Fatal(err)
	}
	q, err := search.Parse(canary + " AND from:" + canary + " AND filename:" + canary + " AND canary90*")
	if err != nil {
		t.Fatal(err)
	}
	if hits, err := x.Search(ctx, q, search.Filter{Custodians: []string{"emp-" + canary}}); err != nil || len(hits) != 1 {
		t.Fatalf("Search(%s) = %v, %v; want the message", q, hits, err)
	}
	scan := func(when string) {
		t.Helper()
		n := 0
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err != nil || !fi.Mode().IsRegular() {
				return err
			}
			n++
			if strings.Contains(strings.ToLower(p), canary) {
				t.Errorf("%s: the canary is in a file name: %s", when, p)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if bytes.Contains(bytes.ToLower(b), []byte(canary)) {
				t.Errorf("%s: the canary is in %s", when, filepath.Base(p))
			}
			return nil
		})
		if n == 0 {
			t.Fatalf("%s: no files to scan", when)
		}
	}
	scan("open")
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	scan("closed")
}

// TestSearchIndexProgress: the indexer's progress is kept with the
// documents, across a reopen.
func TestSearchIndexProgress(t *testing.T) {
	ctx := context.Background()
	path, key := filepath.Join(t.TempDir(), "index.db"), indexKey(t)
	x, err := sqlite.OpenIndex(path, key)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := x.Progress(ctx); n != 0 || err != nil {
		t.Fatalf("Progress of a new index = %d, %v; want 0", n, err)
	}
	docs := searchtest.Corpus(20)
	if err := x.AddUpTo(ctx, 10, docs[:10]...); err != nil {
		t.Fatal(err)
	}
	if err := x.AddUpTo(ctx, 20, docs[10:20]...); err != nil {
		t.Fatal(err)
	}
	if err := x.Add(ctx, docs[20:]...); err != nil {
		t.Fatal(err)
	}
	x.Close()
	x = openIndex(t, path, key)
	if n, err := x.Progress(ctx); n != 20 || err != nil {
		t.Errorf("Progress after reopening = %d, %v; want 20", n, err)
	}
	q, _ := search.Parse("NOT supersededword")
	if hits, err := x.Search(ctx, q, search.Filter{Unrestricted: true, Limit: search.MaxLimit}); err != nil || len(hits) != len(docs) {
		t.Errorf("Search after reopening = %d hits, %v; want %d", len(hits), err, len(docs))
	}
}

// TestSearchIndexWrongKey: an index opened under another key says so
// rather than finding nothing.
func TestSearchIndexWrongKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	x, err := sqlite.OpenIndex(path, indexKey(t))
	if err != nil {
		t.Fatal(err)
	}
	x.Close()
	if _, err := sqlite.OpenIndex(path, indexKey(t)); !steward.Is(steward.Conflict, err) {
		t.Errorf("OpenIndex under another key: %v, want Conflict", err)
	}
	if _, err := sqlite.OpenIndex(path, []byte("short")); !steward.Is(steward.Invalid, err) {
		t.Errorf("OpenIndex with a short key: %v, want Invalid", err)
	}
}

// TestSearchIndexRemoveErases checks that Remove takes a document's
// tokens out of the index itself, not merely out of the answers: the
// index's vocabulary shrinks back to what it was before the document.
func TestSearchIndexRemoveErases(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "index.db")
	x := openIndex(t, path, indexKey(t))
	docs := searchtest.Corpus(50)
	if err := x.Add(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, fts, row)`); err != nil {
		t.Fatal(err)
	}
	terms := func() int {
		t.Helper()
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM temp.vocab`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := terms()
	extra := &search.Doc{ID: "extra", ConversationID: "conv-x", Text: []string{"zyxwvut qponmlk jihgfed"},
		From: search.Party{Address: "someone@else.example", Name: "Quincy Quagmire"}, Filenames: []string{"unheard.of"},
		Custodians: []string{"emp-x"}, Sent: time.Now()}
	if err := x.Add(ctx, extra); err != nil {
		t.Fatal(err)
	}
	if n := terms(); n <= before {
		t.Fatalf("adding a document of new words left %d terms, had %d", n, before)
	}
	if err := x.Remove(ctx, "extra"); err != nil {
		t.Fatal(err)
	}
	if n := terms(); n != before {
		t.Errorf("after Remove the index has %d terms, want %d as before the document", n, before)
	}
}

// FuzzSearchIndex compares the index with search.Match on the shared
// corpus for any query that parses: a differential test of the FTS5
// translation. Its seeds are in the code; run it with -fuzz to explore.
func FuzzSearchIndex(f *testing.F) {
	for _, s := range []string{
		"budget", `"flood relief" w/2 fund`, "contract w/3 vendor", "NOT (budget OR tax*) grant",
		"from:jane OR to:alice", "on:2024-03-05 OR NOT before:2024-02-01", "filename:pdf NOT deleted:true",
		`"budget budget" w/1 budget`, "participant:doe w/2 x",
	} {
		f.Add(s)
	}
	x := openIndex(f, filepath.Join(f.TempDir(), "index.db"), indexKey(f))
	docs := searchtest.Corpus(searchtest.CorpusSize)
	byID := make(map[string]*search.Doc)
	for _, d := range docs {
		byID[d.ID] = d
	}
	if err := x.Add(context.Background(), docs...); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := search.Parse(s)
		if err != nil {
			return
		}
		fl := search.Filter{Unrestricted: true, Limit: search.MaxLimit,
			Load: func(_ context.Context, id string) (*search.Doc, error) { return byID[id], nil }}
		hits, err := x.Search(context.Background(), q, fl)
		if err != nil {
			t.Fatalf("Search(%s): %v", q, err)
		}
		got := make(map[string]bool)
		for _, h := range hits {
			got[h.ID] = true
		}
		for _, d := range docs {
			if want := search.Match(q, d); want != got[d.ID] {
				t.Fatalf("Search(%s): %s is a hit: %v; Match says %v", q, d.ID, got[d.ID], want)
			}
		}
	})
}

// TestRawFTS checks that the benchmark's baseline answers like the blind
// index where plain FTS5 means the same (ASCII words, text in one part),
// so that the benchmark compares like with like.
func TestRawFTS(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	x := openIndex(t, filepath.Join(dir, "index.db"), indexKey(t))
	raw, err := sqlite.OpenRawFTS(filepath.Join(dir, "raw.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := sqlite.OpenRawFTS(filepath.Join(dir, "raw.db")); !steward.Is(steward.Conflict, err) {
		t.Errorf("OpenRawFTS of an existing file: %v, want Conflict", err)
	}
	// One part of text each: the baseline lets phrases run from the body
	// into an attachment.
	var docs []*search.Doc
	for _, d := range searchtest.Corpus(searchtest.CorpusSize) {
		c := *d
		c.Text = []string{strings.Join(d.Text, " ")}
		docs = append(docs, &c)
	}
	if err := x.Add(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	if err := raw.Add(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"budget", "budget grant", "budget OR grant", "budget NOT grant", "NOT budget", `"flood relief"`,
		"contract w/3 vendor", "negot*", "tax*", "from:jane", "participant:alice", "custodian:emp-01",
		"channel:signal", "has:attachment", "deleted:false", "on:2024-03-05", "after:2024-02-01 budget",
	} {
		q, err := search.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []search.Filter{{Unrestricted: true}, {Custodians: []string{"emp-02", "emp-03"}}} {
			f.Limit = search.MaxLimit
			hits, err := x.Search(ctx, q, f)
			if err != nil {
				t.Fatal(err)
			}
			n, err := raw.Search(ctx, q, f)
			if err != nil {
				t.Fatalf("raw Search(%s): %v", q, err)
			}
			if n != len(hits) || n == 0 {
				t.Errorf("Search(%s) within %v: raw finds %d, blind %d", q, f.Custodians, n, len(hits))
			}
		}
	}
	q, _ := search.Parse("budget OR on:2024-03-05")
	if _, err := raw.Search(ctx, q, search.Filter{Unrestricted: true}); !steward.Is(steward.Invalid, err) {
		t.Errorf("raw Search(%s): %v, want Invalid", q, err)
	}
}

// BenchmarkIndexAdd measures Add of batches of 100 documents into a
// growing index (b.N batches).
func BenchmarkIndexAdd(b *testing.B) {
	ctx := context.Background()
	x := openIndex(b, filepath.Join(b.TempDir(), "index.db"), indexKey(b))
	docs := searchtest.Corpus(100)[:100]
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		batch := make([]*search.Doc, len(docs))
		for j, d := range docs {
			c := *d
			c.ID = fmt.Sprintf("%s-%d", d.ID, i)
			c.Sent = d.Sent.Add(time.Duration(i) * time.Hour)
			batch[j] = &c
		}
		if err := x.Add(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(docs))/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkIndexSearch measures searches over the shared corpus indexed
// 20 times over (about 10,000 documents).
func BenchmarkIndexSearch(b *testing.B) {
	ctx := context.Background()
	x := openIndex(b, filepath.Join(b.TempDir(), "index.db"), indexKey(b))
	docs := searchtest.Corpus(searchtest.CorpusSize)
	for i := range 20 {
		batch := make([]*search.Doc, len(docs))
		for j, d := range docs {
			c := *d
			c.ID = fmt.Sprintf("%s-%d", d.ID, i)
			batch[j] = &c
		}
		if err := x.Add(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
	for _, s := range []string{"budget", `"flood relief"`, "contract w/3 vendor", "negot*", "NOT budget", "from:jane after:2024-02-01"} {
		q, err := search.Parse(s)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				if _, err := x.Search(ctx, q, search.Filter{Unrestricted: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
