package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/fra"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

const reportUsage = `Usage:
  steward report fra [--data DIR] [--threshold 20d] [--json]

report fra is the Federal Records Act evidence of 44 U.S.C. 2911: for every
message in the archive, the lag from the channel's sent time to capture,
per channel and mode (governed: carried by Steward; linked: seen after the
fact, from an employee's own linked account or sent outside Steward), with
p50, p90, p99 and max, and every message whose lag exceeds the threshold
(default 20 days), by record id. It ends with a summary signed by the log
key (a C2SP signed note) that anyone can check with the log's public key.
It reads metadata only, never content.
`

var reportSettings = []string{"data", "log-key-file", "log-key", "log-origin", "checkpoint-every", "checkpoint-interval",
	"log-level", "log-format"}

// reportCmd runs `steward report fra`.
func reportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "fra" {
		fmt.Fprint(stderr, reportUsage)
		return fmt.Errorf("report: want fra")
	}
	fs, ptrs := newFlags("report fra", reportSettings...)
	fs.Usage = func() { fmt.Fprint(stderr, reportUsage); fs.PrintDefaults() }
	thr := fs.String("threshold", "20d", "list messages captured later than this after they were sent: days (20d) or a duration (36h, 1d12h)")
	asJSON := fs.Bool("json", false, "print the report as JSON, with the signed summary")
	cfg, err := parseConfig(fs, ptrs, args[1:], reportSettings...)
	if err != nil {
		return err
	}
	threshold, err := fra.ParseThreshold(*thr)
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg)
	if err != nil {
		return err
	}
	data := cfg.String("data")
	if _, err := os.Stat(dbPath(data)); err != nil {
		return fmt.Errorf("no Steward archive in %s: %w", data, err)
	}
	// Only the database and the log key: the report reads no content, so
	// it needs no key-encryption key.
	signer, err := loadSigner(cfg, data, false, logger)
	if err != nil {
		return err
	}
	db, err := sqlite.Open(dbPath(data))
	if err != nil {
		return err
	}
	defer db.Close()
	every, err := cfg.Int("checkpoint-every")
	if err != nil {
		return err
	}
	interval, err := cfg.Duration("checkpoint-interval")
	if err != nil {
		return err
	}
	lg, err := archive.Open(ctx, db, signer, archive.Options{Origin: signer.Name(), CheckpointEvery: every,
		CheckpointInterval: interval, Logger: logger})
	if err != nil {
		return fmt.Errorf("open archive log: %w", err)
	}
	defer lg.Close(context.WithoutCancel(ctx))
	// A checkpoint of the whole log as it is now, so that the signed
	// summary names the tree it describes.
	var cp *steward.Checkpoint
	if size := lg.Size(); size > 0 {
		if cp, err = lg.Checkpoint(ctx, size); err != nil {
			return err
		}
	}
	p := newProgress(stderr, "report")
	rep, err := fra.Build(ctx, db, db, cp, threshold, time.Now(), p.update)
	p.finish()
	if err != nil {
		return err
	}
	if err := fra.Sign(rep, signer); err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printFRA(stdout, rep)
	return nil
}

// printFRA writes the report for people.
func printFRA(w io.Writer, rep *fra.Report) {
	fmt.Fprintf(w, "Federal Records Act capture lag (44 U.S.C. 2911): %s messages in the log's first %s records, threshold %s\n\n",
		group(int64(rep.Messages())), group(rep.TreeSize), days(rep.Threshold))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANNEL\tMODE\tMESSAGES\tNO SENT TIME\tCLOCK AHEAD\tP50\tP90\tP99\tMAX\tOVER")
	for _, g := range rep.Groups {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%d\n", g.Channel, g.Mode, g.Count, g.Unknown, g.Skewed,
			days(g.P50), days(g.P90), days(g.P99), days(g.Max), len(g.Over))
	}
	tw.Flush()
	if n := rep.OverThreshold(); n > 0 {
		fmt.Fprintf(w, "\n%d message(s) captured more than %s after they were sent:\n", n, days(rep.Threshold))
		for _, g := range rep.Groups {
			for _, o := range g.Over {
				fmt.Fprintf(w, "  %s  %s/%s  %s\n", o.RecordID, g.Channel, g.Mode, days(o.Lag))
			}
		}
	} else {
		fmt.Fprintf(w, "\nNo message was captured more than %s after it was sent.\n", days(rep.Threshold))
	}
	fmt.Fprintf(w, "\nSigned summary (check it with the log's public key, DATA/keys/log.pub):\n\n%s", rep.Note)
}

// days spells a duration for people: "20d", "3d 4h5m0s", "1.5s".
func days(d time.Duration) string {
	const day = 24 * time.Hour
	neg := ""
	if d < 0 {
		neg, d = "-", -d
	}
	if d >= day {
		d = d.Round(time.Second)
	}
	switch {
	case d >= day && d%day == 0:
		return neg + strconv.FormatInt(int64(d/day), 10) + "d"
	case d >= day:
		return neg + strconv.FormatInt(int64(d/day), 10) + "d " + (d % day).String()
	case d >= time.Second:
		return neg + d.Round(time.Millisecond).String()
	}
	return neg + d.String()
}
