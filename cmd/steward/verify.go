package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/keys"
	"github.com/steward-gov/steward/internal/localfs"
	"github.com/steward-gov/steward/internal/records"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

var verifySettings = []string{"data", "checkpoint", "public-key", "kek-file", "kek", "log-level", "log-format"}

// verifyCmd checks the archive offline, with no server needed. It reports
// ok only when every record, blob and checkpoint holds, and every
// disposition left the trace it must (tombstones matching the log,
// certificates signed by the log key); otherwise it names every bad
// record. With --tombstones it lists the tombstones.
func verifyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) (bool, error) {
	fs, ptrs := newFlags("verify", verifySettings...)
	listTombstones := fs.Bool("tombstones", false, "list every tombstone: record, schedule item, authority, date and batch")
	cfg, err := parseConfig(fs, ptrs, args, verifySettings...)
	if err != nil {
		return false, err
	}
	data := cfg.String("data")
	if _, err := os.Stat(dbPath(data)); err != nil {
		return false, fmt.Errorf("no Steward archive in %s: %w", data, err)
	}
	verifier, err := loadVerifier(cfg, data)
	if err != nil {
		return false, err
	}
	var trusted []byte
	if p := cfg.String("checkpoint"); p != "" {
		if trusted, err = os.ReadFile(p); err != nil {
			return false, fmt.Errorf("saved checkpoint: %w", err)
		}
	}
	db, err := sqlite.Open(dbPath(data))
	if err != nil {
		return false, err
	}
	defer db.Close()
	blobs, err := localfs.Open(blobDir(data))
	if err != nil {
		return false, err
	}
	opts := archive.VerifyOptions{Store: db, Blobs: blobs, Verifier: verifier, Origin: verifier.Name(), Trusted: trusted}
	if kr, err := loadKEK(cfg, data, kekOptional, slog.Default()); err != nil {
		return false, err
	} else if kr != nil {
		env := &keys.Envelope{KEK: kr}
		opts.Open = func(ctx context.Context, r *steward.Record) error { _, err := env.OpenRecord(ctx, r); return err }
	} else {
		fmt.Fprintln(stderr, "note: no key-encryption key available; content decryption is not checked")
	}
	p := newProgress(stderr, "verify")
	opts.Progress = func(done, total int64) { p.update(done, total) }
	start := time.Now()
	rep, err := archive.Verify(ctx, opts)
	p.finish()
	if err != nil {
		return false, err
	}
	el := time.Since(start)
	for _, pr := range rep.Problems {
		switch {
		case pr.RecordID != "":
			fmt.Fprintf(stdout, "BAD record %s (leaf %d): %s\n", pr.RecordID, pr.LeafIndex, pr.What)
		case pr.Checkpoint != 0:
			fmt.Fprintf(stdout, "BAD checkpoint %d: %s\n", pr.Checkpoint, pr.What)
		default:
			fmt.Fprintf(stdout, "BAD %s\n", pr.What)
		}
	}
	fmt.Fprintf(stdout, "%s records (%s shredded, %s decrypted), %d checkpoints, %.1f MB in %s (%.0f MB/s)\n",
		group(rep.Records), group(rep.Shredded), group(rep.Decrypted), rep.Checkpoints,
		float64(rep.Bytes)/1e6, el.Round(time.Millisecond), float64(rep.Bytes)/1e6/el.Seconds())
	if rep.Unsigned > 0 {
		fmt.Fprintf(stdout, "note: %d records after the last checkpoint are not yet covered by a signature\n", rep.Unsigned)
	}
	problems := len(rep.Problems)
	if dr, err := checkDispositions(ctx, db, verifier); err != nil {
		fmt.Fprintf(stdout, "note: disposition records not checked: %v\n", err)
	} else {
		for _, p := range dr.problems {
			fmt.Fprintf(stdout, "BAD %s\n", p)
		}
		for _, n := range dr.notes {
			fmt.Fprintf(stdout, "note: %s\n", n)
		}
		problems += len(dr.problems)
		fmt.Fprintf(stdout, "%s tombstones of disposed records, %d certificates of disposition verified\n",
			group(int64(len(dr.tombstones))), dr.certificates)
		if other := rep.Shredded - int64(len(dr.tombstones)); other > 0 {
			fmt.Fprintf(stdout, "note: %s shredded records have no tombstone (not destroyed by a disposition batch)\n", group(other))
		}
		if *listTombstones && len(dr.tombstones) > 0 {
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RECORD\tLEAF\tITEM\tAUTHORITY\tACTION\tDISPOSED\tBATCH")
			for _, t := range dr.tombstones {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", t.RecordID, t.LeafIndex, t.ItemID, t.Authority, t.Action,
					t.DisposedAt.UTC().Format(time.RFC3339), t.BatchID)
			}
			if err := tw.Flush(); err != nil {
				return false, err
			}
		}
	}
	if !rep.OK() || problems > len(rep.Problems) {
		fmt.Fprintf(stdout, "FAIL: %d problems\n", problems)
		return false, nil
	}
	fmt.Fprintln(stdout, "OK: archive verified")
	return true, nil
}

// dispositionReport is what checkDispositions found.
type dispositionReport struct {
	tombstones   []*steward.Tombstone // by leaf index
	certificates int                  // certificates whose signature and content verified
	problems     []string
	notes        []string
}

// checkDispositions checks what executed disposition batches left: every
// record of a destroy batch has a tombstone that matches its leaf, and
// its key is destroyed; every certificate is signed by the log key and
// lists exactly the batch's records with their leaf hashes. The store
// has no list of tombstones, so they are found through the batches that
// made them.
func checkDispositions(ctx context.Context, db *sqlite.DB, v note.Verifier) (*dispositionReport, error) {
	bs, err := db.Batches(ctx, steward.BatchExecuted)
	if err != nil {
		return nil, err
	}
	dr := &dispositionReport{}
	bad := func(format string, args ...any) { dr.problems = append(dr.problems, fmt.Sprintf(format, args...)) }
	for _, b := range bs {
		leaves := map[string]steward.Hash{}
		for _, br := range b.Records {
			rec, err := db.RecordByID(ctx, br.RecordID)
			if steward.Is(steward.NotFound, err) {
				bad("record %s of disposition batch %s is not in the log", br.RecordID, b.ID)
				continue
			} else if err != nil {
				return nil, err
			}
			leaves[rec.ID] = archive.LeafHash(rec.Leaf)
			if b.Action != steward.DispositionDestroy {
				continue
			}
			t, err := db.TombstoneByRecord(ctx, br.RecordID)
			switch {
			case steward.Is(steward.NotFound, err):
				bad("record %s (leaf %d), destroyed by batch %s, has no tombstone", rec.ID, rec.LeafIndex, b.ID)
				continue
			case err != nil:
				return nil, err
			}
			if !rec.Shredded() {
				bad("record %s (leaf %d) has a tombstone but its key was not destroyed", rec.ID, rec.LeafIndex)
			}
			if t.LeafIndex != rec.LeafIndex || t.LeafHash != leaves[rec.ID] {
				bad("tombstone of record %s does not match its leaf %d", rec.ID, rec.LeafIndex)
			}
			dr.tombstones = append(dr.tombstones, t)
		}
		c, err := db.CertificateByBatch(ctx, b.ID)
		if steward.Is(steward.NotFound, err) {
			dr.notes = append(dr.notes, fmt.Sprintf("executed batch %s has no certificate yet; the server issues it when it next starts", b.ID))
			continue
		} else if err != nil {
			return nil, err
		}
		n, err := note.Open(c.Note, note.VerifierList(v))
		if err != nil {
			bad("certificate of batch %s: signature does not verify with the log key: %v", b.ID, err)
			continue
		}
		cert, err := records.ParseCertificate([]byte(n.Text))
		if err != nil {
			bad("certificate of batch %s: %s", b.ID, steward.PublicMessage(err))
			continue
		}
		ok := cert.BatchID == b.ID && cert.Action == b.Action && len(cert.Records) == len(b.Records)
		for _, cr := range cert.Records {
			if h, in := leaves[cr.RecordID]; !in || h != cr.LeafHash {
				ok = false
			}
		}
		if !ok {
			bad("certificate of batch %s does not list the batch's records and leaves", b.ID)
			continue
		}
		dr.certificates++
	}
	slices.SortFunc(dr.tombstones, func(a, b *steward.Tombstone) int { return cmp.Compare(a.LeafIndex, b.LeafIndex) })
	return dr, nil
}
