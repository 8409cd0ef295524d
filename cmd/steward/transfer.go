package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/transfer"
)

const transferUsage = `Usage:
  steward transfer --data DIR --out DIR (--records ID,... | --due [--through DATE])
  steward transfer verify [--public-key KEY] [--json] DIR

transfer writes a package of permanent records for the National Archives
into the new directory --out: each message as an RFC 5322 .eml file with
its attachments, grouped by conversation; metadata as pipe-delimited CSV
and JSON; a manifest of every file's SHA-256 and every record's inclusion
proof against one signed checkpoint, signed with the log key; and the
log's public key. --records names message, event or consent records;
--due takes every record whose permanent schedule item makes its
transfer due now (or at the end of --through, a past date), and lists
the records a legal hold keeps back. Reading the content is audited.

transfer verify checks a package offline: every file's digest, the
signatures, every inclusion proof, and that the metadata lists exactly
the manifest's records. Pass the agency's published key as --public-key
(vkey text or a file) so that a package re-signed by someone else fails.
It exits 1, naming each bad file, when anything does not hold.
`

var transferSettings = []string{"data", "kek-file", "kek", "log-key-file", "log-key", "log-origin",
	"checkpoint-every", "checkpoint-interval", "public-key", "log-level", "log-format"}

// transferCmd runs `steward transfer` and `steward transfer verify`.
func transferCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "verify" {
		return transferVerifyCmd(args[1:], stdout, stderr)
	}
	fs, ptrs := newFlags("transfer", transferSettings...)
	fs.Usage = func() { fmt.Fprint(stderr, transferUsage); fs.PrintDefaults() }
	out := fs.String("out", "", "directory to create for the package (must not exist)")
	recs := fs.String("records", "", "comma-separated record ids to transfer")
	due := fs.Bool("due", false, "transfer every record whose transfer is due")
	through := fs.String("through", "", "with --due: the records due by the end of this day, YYYY-MM-DD (UTC), not after today")
	cfg, err := parseConfig(fs, ptrs, args, transferSettings...)
	if err != nil {
		return err
	}
	bad := func(msg string) error {
		fmt.Fprint(stderr, transferUsage)
		return fmt.Errorf("transfer: %s", msg)
	}
	switch {
	case *out == "":
		return bad("--out is required")
	case (*recs == "") == !*due:
		return bad("give either --records or --due")
	case *through != "" && !*due:
		return bad("--through goes with --due")
	case len(cfg.Args()) > 0:
		return bad(fmt.Sprintf("unexpected arguments %q", cfg.Args()))
	}
	now := time.Now()
	at := now
	if *through != "" {
		d, err := time.Parse(time.DateOnly, *through)
		if err != nil {
			return fmt.Errorf("transfer: --through %q is not a date such as 2041-12-31", *through)
		}
		// The whole day: records due at any instant of it.
		if at = d.AddDate(0, 0, 1).Add(-time.Nanosecond); at.After(now) {
			return fmt.Errorf("transfer: --through %s is in the future; records are transferred once due, not before", *through)
		}
	}
	logger, err := newLogger(cfg)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, logger, false)
	if err != nil {
		return err
	}
	defer a.Close()
	signer, err := loadSigner(cfg, a.dataDir, false, logger)
	if err != nil {
		return err
	}
	vkey, err := publicKeyText(cfg.String("public-key"), logPubPath(a.dataDir))
	if err != nil {
		return err
	}

	var ids []string
	if *due {
		// The assignments to judge are not counted beforehand: the log's
		// size bounds them, and the line ends at 100% when done.
		p := newProgress(stderr, "selecting")
		total, _ := a.db.LogSize(ctx)
		var judged int64
		sel, err := transfer.Due(ctx, a.db, at, func(n int64) { judged = n; p.update(n, max(n, total)) })
		p.update(judged, judged)
		p.finish()
		if err != nil {
			return err
		}
		for _, c := range sel.Held {
			fmt.Fprintf(stdout, "held: %s (%s, due %s) is kept back by %s\n", c.RecordID, c.ItemID,
				c.DueAt.Format(time.DateOnly), strings.Join(c.HeldBy, ", "))
		}
		if len(sel.Due) == 0 {
			fmt.Fprintf(stdout, "no records are due for transfer at %s (%d held)\n", at.UTC().Format(time.RFC3339), len(sel.Held))
			return nil
		}
		ids = sel.IDs()
		fmt.Fprintf(stdout, "%d records are due for transfer (%d held)\n", len(ids), len(sel.Held))
	} else {
		for _, id := range strings.Split(*recs, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
	}

	p := newProgress(stderr, "transfer")
	m, err := transfer.Build(ctx, transfer.Deps{
		Store: a.db, Log: a.log, Reader: &pipeline.Reader{Records: a.db, Opener: a.envelope, Blobs: a.blobs},
		Audit: a.pipeline, Signer: signer, PublicKey: vkey, Actor: cliActor(),
	}, ids, *out, p.update)
	p.finish()
	if err != nil {
		return err
	}
	s := m.Summary()
	fmt.Fprintf(stdout, "wrote transfer package %s to %s: %s records (%s messages) in %d conversations, %d files, %.1f MB, proved against the checkpoint of size %s\n",
		s.PackageID, *out, group(int64(s.Records)), group(int64(s.Messages)), s.Conversations, s.Files, float64(s.Bytes)/1e6, group(s.TreeSize))
	fmt.Fprintf(stdout, "check it with: steward transfer verify --public-key %q %s\n", strings.TrimSpace(vkey), *out)
	return nil
}

// transferVerifyCmd checks a package offline; it needs no data directory.
func transferVerifyCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("steward transfer verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, transferUsage); fs.PrintDefaults() }
	pub := fs.String("public-key", "", "the log's public key as the agency publishes it (vkey text or a file holding it); log.pub must be this key")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("transfer verify: want one package directory")
	}
	dir := fs.Arg(0)
	var opts transfer.VerifyOptions
	if *pub != "" {
		var err error
		if opts.PublicKey, err = publicKeyText(*pub, ""); err != nil {
			return err
		}
	}
	rep, err := transfer.Verify(dir, opts)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		for _, p := range rep.Problems {
			fmt.Fprintf(stdout, "BAD %s\n", p)
		}
	}
	if !rep.OK() {
		return fmt.Errorf("transfer verify: %s: %d problems", dir, len(rep.Problems))
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "OK: transfer package %s verified: %s records, %d files, every record proved into the checkpoint of size %s signed by %s\n",
			rep.PackageID, group(int64(rep.Records)), rep.Files, group(rep.TreeSize), rep.Origin)
		if opts.PublicKey == "" {
			fmt.Fprintln(stdout, "note: checked against the package's own log.pub; pass --public-key to check who signed it")
		}
	}
	return nil
}

// publicKeyText returns a note verifier key: v itself when it is key
// text, else the contents of the file v (or of def when v is empty).
func publicKeyText(v, def string) (string, error) {
	if v == "" {
		v = def
	}
	if strings.Contains(v, "+") && !fileExists(v) {
		return strings.TrimSpace(v), nil
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return "", fmt.Errorf("checkpoint verifier key: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
