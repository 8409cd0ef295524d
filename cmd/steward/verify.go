package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/keys"
	"github.com/steward-gov/steward/internal/localfs"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

var verifySettings = []string{"data", "checkpoint", "public-key", "kek-file", "kek", "log-level", "log-format"}

// verifyCmd checks the archive offline, with no server needed. It reports
// ok only when every record, blob and checkpoint holds; otherwise it names
// every bad record.
func verifyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) (bool, error) {
	cfg, err := loadConfig("verify", args, verifySettings...)
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
	if !rep.OK() {
		fmt.Fprintf(stdout, "FAIL: %d problems\n", len(rep.Problems))
		return false, nil
	}
	fmt.Fprintln(stdout, "OK: archive verified")
	return true, nil
}
