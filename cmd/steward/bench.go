package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steward-gov/steward/internal/compliance"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/recordkeeping"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

const benchUsage = `Usage:
  steward bench capture [--n 100000] [--producers 64] [--body 300] [--attach-every 0] [--attach-size 262144] [--data DIR]

capture measures, in one run, on a fresh archive:
  1. durable captures/s through the real pipeline (normalize, identity lookup,
     sealing, blob store, group-committed log append with fsync), with
     concurrent producers, and p50/p99 capture latency;
  2. the raw batched SQLite insert rate of exactly the same rows, and the ratio;
  3. offline verify throughput over the resulting archive (MB/s and records/s).
`

// Goals from the issue tracker; bench prints whether each was met.
const (
	goalCapturesPerSec = 30000
	goalRawRatio       = 0.2
	goalVerifyMBps     = 500
)

// benches are the named benchmarks of `steward bench NAME`. Each file that
// defines one registers it in an init function, beside its own usage text.
// run receives the whole argument list, args[0] being the bench's name.
var benches = map[string]bench{}

type bench struct {
	run   func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	usage string
}

func init() { benches["capture"] = bench{benchCapture, benchUsage} }

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	names := slices.Sorted(maps.Keys(benches))
	if len(args) == 0 || benches[args[0]].run == nil {
		for _, n := range names {
			fmt.Fprint(stderr, benches[n].usage)
		}
		return fmt.Errorf("bench: want a benchmark name (%s)", strings.Join(names, ", "))
	}
	return benches[args[0]].run(ctx, args, stdout, stderr)
}

// benchCapture runs `steward bench capture`; args[0] is "capture".
func benchCapture(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("steward bench capture", flag.ContinueOnError)
	n := fs.Int("n", 100000, "captures to make")
	producers := fs.Int("producers", 64, "concurrent producers")
	bodySize := fs.Int("body", 300, "message body size in bytes")
	attachEvery := fs.Int("attach-every", 0, "give every Nth message an attachment (0: none)")
	attachSize := fs.Int("attach-size", 256<<10, "attachment size in bytes")
	data := fs.String("data", "", "data directory to use (default: a fresh temporary one, removed afterwards)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the capture phase to this file")
	vprofile := fs.String("verify-cpuprofile", "", "write a CPU profile of the verify phase to this file")
	withPolicy := fs.Bool("policy", false, "judge every item with the default policies (DLP scan included) and assign it a retention schedule, as serve does")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *n <= 0 || *producers <= 0 {
		return fmt.Errorf("bench: --n and --producers must be positive")
	}
	dir := *data
	if dir == "" {
		tmp, err := os.MkdirTemp("", "steward-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		return fmt.Errorf("bench: %s is not empty; bench needs a fresh archive", dir)
	}
	cfg, err := loadConfig("bench", []string{"--data", filepath.Join(dir, "archive"), "--log-level", "warn"},
		"data", "kek-file", "kek", "log-key-file", "log-key", "log-origin", "checkpoint-every", "checkpoint-interval", "log-level", "log-format")
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	if *withPolicy {
		stop, err := benchPolicy(ctx, a, logger)
		if err != nil {
			return err
		}
		defer stop()
	}
	items := benchItems(*n, *bodySize, *attachEvery, *attachSize)
	fmt.Fprintf(stdout, "capture: %s items (%d-byte bodies", group(int64(*n)), *bodySize)
	if *attachEvery > 0 {
		fmt.Fprintf(stdout, ", every %dth with a %d-byte attachment", *attachEvery, *attachSize)
	}
	fmt.Fprintf(stdout, "), %d producers, GOMAXPROCS %d", *producers, runtime.GOMAXPROCS(0))
	if *withPolicy {
		fmt.Fprint(stdout, ", with policy and retention hooks")
	}
	fmt.Fprintln(stdout)

	// 1. The real pipeline.
	lat := make([][]time.Duration, *producers)
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	p := newProgress(stderr, "capture")
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	start := time.Now()
	for w := 0; w < *producers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(items)) {
					return
				}
				t0 := time.Now()
				if _, err := a.pipeline.Capture(ctx, items[i]); err != nil {
					if failed.Add(1) == 1 {
						logger.Error("capture failed", "err", err)
					}
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
				if i%5000 == 0 {
					p.update(i, int64(len(items)))
				}
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	p.update(int64(len(items)), int64(len(items)))
	p.finish()
	if err := a.Close(); err != nil {
		return err
	}
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("bench: %d captures failed", f)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	rate := float64(*n) / elapsed.Seconds()

	// 2. The raw batched insert of the same rows.
	db, err := sqlite.Open(dbPath(cfg.String("data")))
	if err != nil {
		return err
	}
	var recs []*steward.Record
	if err := db.ScanRecords(ctx, 0, func(r *steward.Record) error { recs = append(recs, r); return nil }); err != nil {
		db.Close()
		return err
	}
	db.Close()
	rawDur, err := sqlite.RawInsertBench(ctx, filepath.Join(dir, "raw.db"), recs, 1000)
	if err != nil {
		return err
	}
	// Rates are per record: an item with an attachment is two records.
	recRate := float64(len(recs)) / elapsed.Seconds()
	rawRate := float64(len(recs)) / rawDur.Seconds()

	// 3. Offline verify over the archive just written.
	if *vprofile != "" {
		f, err := os.Create(*vprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	vstart := time.Now()
	var vout strings.Builder
	ok, err := verifyCmd(ctx, []string{"--data", cfg.String("data")}, &vout, io.Discard)
	vdur := time.Since(vstart)
	if *vprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("bench: verify failed:\n%s", vout.String())
	}
	vbytes := archiveBytes(cfg.String("data"))

	mark := func(ok bool) string {
		if ok {
			return "goal met"
		}
		return "GOAL MISSED"
	}
	fmt.Fprintf(stdout, "\n%-34s %12s\n", "measure", "result")
	fmt.Fprintf(stdout, "%-34s %12.0f  (goal ≥ %d: %s)\n", "durable captures/s (pipeline)", rate, goalCapturesPerSec, mark(rate >= goalCapturesPerSec))
	fmt.Fprintf(stdout, "%-34s %12.0f\n", "records/s (pipeline)", recRate)
	fmt.Fprintf(stdout, "%-34s %12.0f\n", "records/s (raw batched insert)", rawRate)
	fmt.Fprintf(stdout, "%-34s %12.2f  (goal ≥ %.1f: %s)\n", "pipeline / raw", recRate/rawRate, goalRawRatio, mark(recRate/rawRate >= goalRawRatio))
	fmt.Fprintf(stdout, "%-34s %12s\n", "capture latency p50", pct(all, 50))
	fmt.Fprintf(stdout, "%-34s %12s\n", "capture latency p99", pct(all, 99))
	vmbps := float64(vbytes) / 1e6 / vdur.Seconds()
	fmt.Fprintf(stdout, "%-34s %12.0f  (goal ≥ %d: %s)\n", "verify MB/s (archive on disk)", vmbps, goalVerifyMBps, mark(vmbps >= goalVerifyMBps))
	fmt.Fprintf(stdout, "%-34s %12.0f\n", "verify records/s", float64(len(recs))/vdur.Seconds())
	fmt.Fprintf(stdout, "%-34s %12.1f\n", "archive size MB", float64(vbytes)/1e6)
	return nil
}

// archiveBytes is the size of the archive on disk: database, WAL and blobs.
func archiveBytes(data string) int64 {
	var total int64
	_ = filepath.Walk(data, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() && !strings.Contains(p, string(filepath.Separator)+"keys"+string(filepath.Separator)) {
			total += fi.Size()
		}
		return nil
	})
	return total
}

func pct(sorted []time.Duration, p int) string {
	if len(sorted) == 0 {
		return "-"
	}
	return sorted[(len(sorted)-1)*p/100].Round(10 * time.Microsecond).String()
}

// benchItems makes n realistic messages among 200 conversations.
func benchItems(n, body, attachEvery, attachSize int) []*steward.Item {
	words := strings.Fields("the grant briefing agenda draft statement schedule meeting contract review " +
		"deadline portal budget council vendor flood relief mayor office secretary press release comment " +
		"please confirm thanks tomorrow morning afternoon update attached revised final approval")
	r := rand.New(rand.NewPCG(1, 2))
	items := make([]*steward.Item, n)
	now := time.Now().UTC()
	for i := range items {
		var b strings.Builder
		for b.Len() < body {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		conv := i % 200
		emp := steward.Party{Address: "+1202555" + fmt.Sprintf("%04d", conv)}
		out := steward.Party{Address: "+1415555" + fmt.Sprintf("%04d", conv)}
		// Channel ids are millisecond timestamps, as Signal's are, so the
		// idempotency keys arrive in roughly increasing order.
		it := &steward.Item{Type: steward.EventMessage, Channel: "bench", ChannelMessageID: strconv.FormatInt(now.UnixMilli()+int64(i), 10),
			Direction: steward.DirInbound, Sender: out, Recipients: []steward.Party{emp}, Body: b.String()[:body], SentAt: now}
		if i%2 == 1 {
			it.Direction, it.Sender, it.Recipients = steward.DirOutbound, emp, []steward.Party{out}
		}
		if attachEvery > 0 && i%attachEvery == 0 {
			data := make([]byte, attachSize)
			for j := range data {
				data[j] = byte(r.IntN(256))
			}
			it.Attachments = []steward.Attachment{{Filename: "scan-" + strconv.Itoa(i) + ".pdf", ContentType: "application/pdf", Data: data}}
		}
		items[i] = it
	}
	return items
}

// benchPolicy puts the policy and records hooks into the bench's pipeline,
// with the default policies and schedules, as serve wires them (without
// a channel, so no consent hook). It returns a function that stops their
// background loops.
func benchPolicy(ctx context.Context, a *app, logger *slog.Logger) (func(), error) {
	reader := &pipeline.Reader{Records: a.db, Opener: a.envelope, Blobs: a.blobs}
	comp := &compliance.Service{Store: a.db, Pipeline: a.pipeline, Reader: reader,
		EDMKey: a.keyring.DeriveKey("dlp exact data match v1"), Logger: logger}
	if err := comp.Reload(ctx); err != nil {
		return nil, err
	}
	if _, err := comp.InstallDefaults(ctx, "bench"); err != nil {
		return nil, err
	}
	rec := &recordkeeping.Service{Store: a.db, Pipeline: a.pipeline, Blobs: a.blobs, Signer: a.signer, Logger: logger}
	if err := rec.Reload(ctx); err != nil {
		return nil, err
	}
	if _, _, err := rec.InstallDefaults(ctx, "bench"); err != nil {
		return nil, err
	}
	a.pipeline.Policy, a.pipeline.Records = comp, rec
	a.pipeline.Router = pipeline.Routers{comp, rec}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { comp.Run(rctx, 30*time.Second); done <- struct{}{} }()
	go func() { rec.Run(rctx, 200*time.Millisecond); done <- struct{}{} }()
	return func() { cancel(); <-done; <-done }, nil
}
