package archive_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/steward"
)

// fixture is a closed archive of n records, every fifth (3, 8, 13, …) an
// attachment with a blob, with a checkpoint stored every ten records.
type fixture struct {
	s     *memStore
	blobs *memBlobs
	n     int64
}

func buildArchive(tb testing.TB, n int) *fixture {
	tb.Helper()
	f := &fixture{s: newMemStore(), blobs: newMemBlobs(), n: int64(n)}
	l := openLog(tb, f.s, archive.Options{CheckpointEvery: 1 << 40})
	for i := range n {
		if i%5 == 3 {
			mustAppend(tb, l, newAttachment(tb, i, f.blobs))
		} else {
			mustAppend(tb, l, newRecord(i))
		}
		if (i+1)%10 == 0 {
			if _, err := l.Checkpoint(context.Background(), int64(i+1)); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := l.Close(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return f
}

func (f *fixture) verify(tb testing.TB, opts archive.VerifyOptions) *archive.Report {
	tb.Helper()
	opts.Store, opts.Blobs, opts.Open = f.s, f.blobs, testOpen
	return mustVerify(tb, opts)
}

func TestVerifyClean(t *testing.T) {
	f := buildArchive(t, 100)
	for _, workers := range []int{1, 3, 0} {
		var last [2]int64
		calls := 0
		rep := f.verify(t, archive.VerifyOptions{Workers: workers, Progress: func(done, total int64) {
			last = [2]int64{done, total}
			calls++
		}})
		if !rep.OK() {
			t.Fatalf("workers %d: problems %v", workers, rep.Problems)
		}
		if rep.Records != 100 || rep.Checkpoints != 10 || rep.Unsigned != 0 || rep.Decrypted != 100 || rep.Shredded != 0 {
			t.Fatalf("workers %d: report %+v", workers, rep)
		}
		if rep.Bytes < 20*1000 { // the twenty attachments alone are ~1.4 kB each
			t.Fatalf("Bytes = %d", rep.Bytes)
		}
		if calls == 0 || last != [2]int64{100, 100} {
			t.Fatalf("Progress last called with %v (%d calls)", last, calls)
		}
	}
}

// TestVerifyTamper changes one thing at a time and checks that Verify
// names exactly the record or checkpoint that was changed.
func TestVerifyTamper(t *testing.T) {
	const (
		rec = 47 // odd: its TreeHashes hold five hashes
		att = 48 // an attachment
		cp  = 50
	)
	flip := func(b []byte, i int) { b[i] ^= 0x01 }
	tests := []struct {
		name   string
		leaf   int64 // the record named, or -1
		cp     int64 // the checkpoint named, if leaf is -1
		what   string
		tamper func(f *fixture)
	}{
		{"MetaByte", rec, -1, "leaf does not match record", func(f *fixture) {
			f.s.tamper(rec, func(r *steward.Record) { flip(r.Meta, bytes.Index(r.Meta, []byte("signal"))) })
		}},
		{"MetaSyntax", rec, -1, "metadata is not valid JSON", func(f *fixture) {
			f.s.tamper(rec, func(r *steward.Record) { r.Meta[0] = '[' })
		}},
		{"Sealed", rec, -1, "leaf does not match record", func(f *fixture) {
			f.s.tamper(rec, func(r *steward.Record) { flip(r.Sealed, 2) })
		}},
		{"SealedDecrypt", rec, -1, "content does not decrypt", func(f *fixture) {
			f.s.tamper(rec, func(r *steward.Record) { flip(r.Sealed, 2) })
		}},
		{"LeafDigest", rec, -1, "leaf does not match record", func(f *fixture) {
			f.s.tamper(rec, func(r *steward.Record) { flip(r.Leaf, len(r.Leaf)-1) })
		}},
		{"LeafMagic", rec, -1, "stored leaf is malformed", func(f *fixture) {
			f.s.tamper(rec, func(r *steward.Record) { flip(r.Leaf, 0) })
		}},
		{"TreeHashLeafSlot", rec, -1, "stored tree hashes altered", func(f *fixture) {
			f.s.tamper(rec, func(r *steward.Record) { flip(r.TreeHashes, 0) })
		}},
		{"TreeHashParentSlot", rec, -1, "stored tree hashes altered", func(f *fixture) {
			f.s.tamper(rec, func(r *steward.Record) { flip(r.TreeHashes, 3*32+7) })
		}},
		{"TreeHashesTruncated", rec, -1, "stored tree hashes altered", func(f *fixture) {
			f.s.tamper(rec, func(r *steward.Record) { r.TreeHashes = r.TreeHashes[:64] })
		}},
		{"IdempotencyKey", rec, -1, "leaf does not match record", func(f *fixture) {
			f.s.tamper(rec, func(r *steward.Record) { r.IdempotencyKey = "signal:1700000000999" })
		}},
		{"ID", rec, -1, "leaf does not match record", func(f *fixture) {
			f.s.tamper(rec, func(r *steward.Record) { r.ID = "rec-000999" })
		}},
		{"Kind", rec, -1, "leaf does not match record", func(f *fixture) {
			f.s.tamper(rec, func(r *steward.Record) { r.Kind = steward.RecordEvent })
		}},
		{"CapturedAt", rec, -1, "leaf does not match record", func(f *fixture) {
			f.s.tamper(rec, func(r *steward.Record) { r.CapturedAt = r.CapturedAt.Add(-time.Hour) })
		}},
		{"BlobByte", att, -1, "attachment blob altered", func(f *fixture) {
			f.blobs.tamper(blobKey(t, f, att), 100)
		}},
		{"BlobMissing", att, -1, "attachment blob missing", func(f *fixture) {
			f.blobs.Delete(context.Background(), blobKey(t, f, att))
		}},
		{"CheckpointNote", -1, cp, "checkpoint 50: signature or origin does not verify", func(f *fixture) {
			f.s.tamperCheckpoint(cp, func(c *steward.Checkpoint) { flip(c.Note, bytes.IndexByte(c.Note, '\n')+1) })
		}},
		{"CheckpointSignature", -1, cp, "checkpoint 50: signature or origin does not verify", func(f *fixture) {
			f.s.tamperCheckpoint(cp, func(c *steward.Checkpoint) { c.Note[len(c.Note)-5] ^= 0x02 })
		}},
		{"CheckpointRootField", -1, cp, "checkpoint 50: stored size or root differs", func(f *fixture) {
			f.s.tamperCheckpoint(cp, func(c *steward.Checkpoint) { c.Root[0] ^= 1 })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := buildArchive(t, 100)
			tt.tamper(f)
			rep := f.verify(t, archive.VerifyOptions{})
			if rep.OK() {
				t.Fatal("Verify passed a tampered archive")
			}
			found := false
			for _, p := range rep.Problems {
				if tt.leaf >= 0 && (p.LeafIndex != tt.leaf || p.RecordID != f.s.record(tt.leaf).ID) ||
					tt.leaf < 0 && (p.LeafIndex != -1 || p.Checkpoint != tt.cp) {
					t.Errorf("problem about something else: %+v", p)
				}
				found = found || strings.Contains(p.What, tt.what)
			}
			if !found {
				t.Errorf("no problem says %q: %v", tt.what, rep.Problems)
			}
		})
	}
}

func blobKey(tb testing.TB, f *fixture, i int64) string {
	tb.Helper()
	m := f.s.record(i).Meta
	const k = `"key":"`
	j := bytes.Index(m, []byte(k))
	if j < 0 {
		tb.Fatalf("record %d has no blob", i)
	}
	return string(m[j+len(k) : j+len(k)+64])
}

// TestVerifyRewrittenRecord: a record rewritten together with its leaf and
// its own tree hashes escapes the per-record checks, but not the
// checkpoints, which bracket where the change is.
func TestVerifyRewrittenRecord(t *testing.T) {
	f := buildArchive(t, 100)
	f.s.tamper(44, func(r *steward.Record) {
		r.Meta = []byte(`{"channel":"signal","type":"message","sender":"+15550199"}`)
		r.Leaf = archive.EncodeLeaf(r)
		h := archive.LeafHash(r.Leaf)
		copy(r.TreeHashes, h[:]) // leaf 44 stores only its leaf hash
	})
	rep := f.verify(t, archive.VerifyOptions{})
	if rep.OK() {
		t.Fatal("Verify passed a rewritten record")
	}
	want := "checkpoint 50: root does not match the records (the difference is in leaves 40 to 49)"
	if p := rep.Problems; len(p) == 0 || !hasProblem(rep, want) {
		t.Fatalf("problems %v, want %q", p, want)
	}
}

func hasProblem(rep *archive.Report, what string) bool {
	for _, p := range rep.Problems {
		if strings.Contains(p.What, what) {
			return true
		}
	}
	return false
}

func TestVerifyShredded(t *testing.T) {
	f := buildArchive(t, 100)
	for _, i := range []int64{7, 33, 48} {
		if err := f.s.ShredKey(context.Background(), newRecord(int(i)).ID); err != nil {
			t.Fatal(err)
		}
	}
	// Disposition may also delete a shredded attachment's bytes.
	f.blobs.Delete(context.Background(), blobKey(t, f, 48))
	rep := f.verify(t, archive.VerifyOptions{})
	if !rep.OK() || rep.Shredded != 3 || rep.Decrypted != 97 {
		t.Fatalf("report %+v", rep)
	}
}

func TestVerifyUnsigned(t *testing.T) {
	f := buildArchive(t, 100)
	l := openLog(t, f.s, archive.Options{CheckpointEvery: 1 << 40})
	for i := 100; i < 105; i++ {
		mustAppend(t, l, newRecord(i))
	}
	rep := f.verify(t, archive.VerifyOptions{})
	if !rep.OK() || rep.Unsigned != 5 || rep.Records != 105 {
		t.Fatalf("report %+v", rep)
	}
}

func TestVerifyOpenFails(t *testing.T) {
	f := buildArchive(t, 30)
	rep := mustVerify(t, archive.VerifyOptions{Store: f.s, Open: func(ctx context.Context, r *steward.Record) error {
		if r.LeafIndex == 12 {
			return steward.E(steward.Op("keys.Unwrap"), steward.Invalid, "wrapped key does not authenticate")
		}
		return nil
	}})
	if len(rep.Problems) != 1 || rep.Problems[0].LeafIndex != 12 || !strings.HasPrefix(rep.Problems[0].What, "content does not decrypt") {
		t.Fatalf("problems %v", rep.Problems)
	}
}

func savedCheckpoint(tb testing.TB, f *fixture) []byte {
	tb.Helper()
	cp, err := f.s.LatestCheckpoint(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return cp.Note
}

func TestVerifyTruncated(t *testing.T) {
	f := buildArchive(t, 100)
	saved := savedCheckpoint(t, f)
	f.s.truncate(90, true) // and the checkpoints above 90 with it

	// Without a saved checkpoint, a careful truncation is invisible.
	if rep := f.verify(t, archive.VerifyOptions{}); !rep.OK() {
		t.Fatalf("problems %v", rep.Problems)
	}
	rep := f.verify(t, archive.VerifyOptions{Trusted: saved})
	want := "archive truncated or rolled back: saved checkpoint covers 100 records, archive has 90"
	if len(rep.Problems) != 1 || rep.Problems[0].What != want || rep.Problems[0].LeafIndex != -1 {
		t.Fatalf("problems %v, want %q", rep.Problems, want)
	}
}

func TestVerifyTruncatedKeepingCheckpoints(t *testing.T) {
	f := buildArchive(t, 100)
	f.s.truncate(95, false)
	rep := f.verify(t, archive.VerifyOptions{})
	want := "checkpoint 100: covers 100 records, archive has 95 (archive truncated or rolled back)"
	if len(rep.Problems) != 1 || rep.Problems[0].What != want {
		t.Fatalf("problems %v, want %q", rep.Problems, want)
	}
}

func TestVerifyDiverges(t *testing.T) {
	f := buildArchive(t, 100)
	saved := savedCheckpoint(t, f)
	f.s.truncate(90, true)
	l := openLog(t, f.s, archive.Options{})
	for i := 90; i < 100; i++ {
		r := newRecord(i)
		r.Meta = []byte(`{"channel":"signal","type":"message","sender":"+15550199"}`)
		mustAppend(t, l, r)
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rep := f.verify(t, archive.VerifyOptions{}); !rep.OK() {
		t.Fatalf("re-signed history: problems %v", rep.Problems)
	}
	rep := f.verify(t, archive.VerifyOptions{Trusted: saved})
	if len(rep.Problems) != 1 || !strings.HasPrefix(rep.Problems[0].What, "archive diverges from saved checkpoint") {
		t.Fatalf("problems %v", rep.Problems)
	}
	// A saved checkpoint from before the change still agrees.
	cps := mustCheckpoints(t, f.s)
	if rep := f.verify(t, archive.VerifyOptions{Trusted: cps[len(cps)-2].Note}); !rep.OK() {
		t.Fatalf("older saved checkpoint: %v", rep.Problems)
	}
}

func TestVerifyBadTrusted(t *testing.T) {
	f := buildArchive(t, 20)
	saved := bytes.Clone(savedCheckpoint(t, f))
	saved[len(testOrigin)+1] = '9' // the size line
	rep := f.verify(t, archive.VerifyOptions{Trusted: saved})
	if len(rep.Problems) != 1 || rep.Problems[0].What != "saved checkpoint: signature or origin does not verify" {
		t.Fatalf("problems %v", rep.Problems)
	}
}

func TestVerifyMissingRecord(t *testing.T) {
	f := buildArchive(t, 100)
	f.s.remove(55)
	rep := f.verify(t, archive.VerifyOptions{})
	if rep.OK() {
		t.Fatal("Verify passed a log with a hole")
	}
	if p := rep.Problems[0]; p.LeafIndex != 55 || p.What != "records at leaf indexes 55 to 55 are missing" {
		t.Fatalf("first problem %+v", p)
	}
	if !hasProblem(rep, "checkpoint 60: cannot be checked, records are missing before it") {
		t.Fatalf("problems %v", rep.Problems)
	}
}

func TestVerifyWrongKey(t *testing.T) {
	f := buildArchive(t, 20)
	_, vkey, err := archive.GenerateKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := archive.NewVerifier(vkey)
	rep := f.verify(t, archive.VerifyOptions{Verifier: v})
	if len(rep.Problems) != 2 || rep.Unsigned != 20 {
		t.Fatalf("report %+v", rep)
	}
}

func TestVerifyMaxProblems(t *testing.T) {
	f := buildArchive(t, 30)
	for i := range int64(30) {
		f.s.tamper(i, func(r *steward.Record) { r.Sealed[0] ^= 1 })
	}
	rep := mustVerify(t, archive.VerifyOptions{Store: f.s, MaxProblems: 10})
	if len(rep.Problems) != 10 || rep.Omitted != 20 || rep.OK() {
		t.Fatalf("%d problems, %d omitted", len(rep.Problems), rep.Omitted)
	}
}

// TestVerifySegments runs Verify over several scan segments, with holes at
// segment edges and a bad record in the middle, with various worker counts.
func TestVerifySegments(t *testing.T) {
	f := buildArchive(t, 2600)
	for _, workers := range []int{1, 2, 5} {
		if rep := f.verify(t, archive.VerifyOptions{Workers: workers}); !rep.OK() || rep.Records != 2600 || rep.Checkpoints != 260 {
			t.Fatalf("workers %d: report %+v", workers, rep)
		}
	}
	f.s.remove(1023)
	f.s.remove(2048)
	f.s.tamper(1500, func(r *steward.Record) { r.Sealed[0] ^= 1 })
	for _, workers := range []int{1, 2, 5} {
		rep := f.verify(t, archive.VerifyOptions{Workers: workers, MaxProblems: 4})
		var got []string
		for _, p := range rep.Problems {
			got = append(got, p.String())
		}
		want := []string{
			"leaf 1023: records at leaf indexes 1023 to 1023 are missing",
			"leaf 1500 (record rec-001500): leaf does not match record",
			"leaf 1500 (record rec-001500): content does not decrypt: message authentication failed",
			"leaf 2048: records at leaf indexes 2048 to 2048 are missing",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") || rep.Records != 2598 {
			t.Fatalf("workers %d: %d records, problems:\n%s", workers, rep.Records, strings.Join(got, "\n"))
		}
		if rep.Omitted != 158 { // checkpoints 1030…2600 cannot be checked
			t.Fatalf("workers %d: %d problems omitted", workers, rep.Omitted)
		}
	}
}

func TestVerifyCancelled(t *testing.T) {
	f := buildArchive(t, 5000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := archive.Verify(ctx, archive.VerifyOptions{Store: f.s, Verifier: testVerifier(t),
			Progress: func(done, total int64) { cancel() }})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a cancelled Verify returned no error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled Verify did not return")
	}
}
