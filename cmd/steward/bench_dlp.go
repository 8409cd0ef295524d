package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/dlp"
	"github.com/steward-gov/steward/internal/steward"
)

const benchDLPUsage = `Usage:
  steward bench dlp [--mb 64] [--seed 1] [--corpus FILE] [--rounds 3] [--regexp=true] [--cpuprofile FILE]
  steward bench dlp --quality [--labelled DIR]

dlp measures, on one core (GOMAXPROCS 1), over chat messages scanned one at
a time as the capture pipeline scans them:
  1. Steward's DLP scan with every built-in detector, in MB/s (best round);
  2. Go's regexp with one alternation of the same patterns, and the ratio;
  3. Hyperscan with the same patterns, and the ratio, when the binary was
     built with -tags hyperscan; and Hyperscan over the whole corpus as one
     block, which shows the engine without the cost of a cgo call per
     message.
The messages are dlp.SyntheticCorpus(--seed) of --mb megabytes, or the
non-blank lines of --corpus. The regexp finds candidates only and Hyperscan
reports every match end; neither validates anything, so they do less work
than the scan they are compared with.

dlp --quality prints precision and recall of every built-in detector on the
labelled corpus (run from the repository root, or give --labelled).
`

// goalDLPMBps is issue 5's goal for one core.
const goalDLPMBps = 150

func init() { benches["dlp"] = bench{benchDLP, benchDLPUsage} }

// benchDLP runs `steward bench dlp`; args[0] is "dlp".
func benchDLP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("steward bench dlp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mb := fs.Int("mb", 64, "size of the generated corpus in MB")
	seed := fs.Uint64("seed", 1, "seed of the generated corpus")
	corpusFile := fs.String("corpus", "", "scan the non-blank lines of this file instead of a generated corpus")
	rounds := fs.Int("rounds", 3, "rounds of the scan and of Hyperscan; the best is reported")
	withRegexp := fs.Bool("regexp", true, "also measure Go regexp (slow: a minute or more for 64 MB)")
	quality := fs.Bool("quality", false, "print detection quality on the labelled corpus, and nothing else")
	labelled := fs.String("labelled", filepath.Join("internal", "dlp", "testdata", "labelled"), "directory of the labelled corpus")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the scan rounds to this file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *quality {
		return benchDLPQuality(*labelled, stdout)
	}
	if *mb <= 0 || *rounds <= 0 {
		return fmt.Errorf("bench: --mb and --rounds must be positive")
	}
	msgs, err := dlpCorpus(*corpusFile, *seed, *mb)
	if err != nil {
		return err
	}
	var size int64
	for _, m := range msgs {
		size += int64(len(m))
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	src := fmt.Sprintf("dlp.SyntheticCorpus(seed %d)", *seed)
	if *corpusFile != "" {
		src = *corpusFile
	}
	fmt.Fprintf(stdout, "dlp: %s messages, %.1f MB (%s), GOMAXPROCS 1\n", group(int64(len(msgs))), float64(size)/1e6, src)

	r := dlpResults{size: size}
	if r.ours, r.findings, err = benchDLPScan(ctx, msgs, *rounds, *cpuprofile, stderr); err != nil {
		return err
	}
	if *withRegexp {
		if r.re, r.reMatches, err = benchDLPRegexp(ctx, msgs, stderr); err != nil {
			return err
		}
	}
	if r.hs, r.hsBlock, r.hsMatches, err = benchDLPHyperscan(ctx, msgs, *rounds, stderr); err != nil {
		if !steward.Is(steward.Unavailable, err) {
			return err
		}
		r.hsErr = err
	}
	r.print(stdout)
	return nil
}

// benchDLPScan measures dlp.Scan and counts its valid findings.
func benchDLPScan(ctx context.Context, msgs []string, rounds int, cpuprofile string, stderr io.Writer) (timing, int, error) {
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return timing{}, 0, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return timing{}, 0, err
		}
		defer pprof.StopCPUProfile()
	}
	findings := 0
	t, err := bestOf(ctx, rounds, stderr, "dlp scan", len(msgs), func(i int) {
		for _, f := range dlp.Scan(msgs[i], dlp.Options{}) {
			if f.Valid {
				findings++
			}
		}
	})
	return t, findings / rounds, err
}

// benchDLPRegexp measures Go regexp with one alternation of the built-in
// patterns, in one round: it is slow.
func benchDLPRegexp(ctx context.Context, msgs []string, stderr io.Writer) (timing, int, error) {
	alts := make([]string, 0, len(dlp.Patterns()))
	for _, p := range dlp.Patterns() {
		alts = append(alts, "(?:"+p+")")
	}
	re := regexp.MustCompile(strings.Join(alts, "|"))
	matches := 0
	t, err := bestOf(ctx, 1, stderr, "regexp", len(msgs), func(i int) {
		matches += len(re.FindAllStringIndex(msgs[i], -1))
	})
	return t, matches, err
}

// benchDLPHyperscan measures Hyperscan per message and over the corpus
// as one block. Unavailable when the binary was built without it.
func benchDLPHyperscan(ctx context.Context, msgs []string, rounds int, stderr io.Writer) (perMsg, block timing, matches int, err error) {
	hs, err := dlp.NewHyperscan(dlp.Patterns())
	if err != nil {
		return timing{}, timing{}, 0, err
	}
	defer hs.Close()
	bufs := make([][]byte, len(msgs))
	for i, m := range msgs {
		bufs[i] = []byte(m)
	}
	var scanErr error
	count := func(b []byte) int {
		n, err := hs.Count(b)
		if err != nil && scanErr == nil {
			scanErr = err
		}
		return n
	}
	if perMsg, err = bestOf(ctx, rounds, stderr, "hyperscan", len(msgs), func(i int) { matches += count(bufs[i]) }); err != nil {
		return
	}
	// The same bytes as one block show the engine without the cost of a
	// cgo call per message.
	all := bytes.Join(bufs, []byte("\n"))
	if block, err = bestOf(ctx, rounds, io.Discard, "", 1, func(int) { count(all) }); err != nil {
		return
	}
	return perMsg, block, matches / rounds, scanErr
}

// dlpResults are the measurements of one `steward bench dlp`.
type dlpResults struct {
	size                  int64
	ours, re, hs, hsBlock timing
	findings, reMatches   int
	hsMatches             int
	hsErr                 error // why Hyperscan was not measured
}

func (r dlpResults) print(stdout io.Writer) {
	wall, cpu := r.ours.mbps(r.size)
	perCore := cpu
	if perCore == 0 {
		perCore = wall
	}
	mark := "goal met"
	if perCore < goalDLPMBps {
		mark = "GOAL MISSED"
	}
	row := func(name string, t timing, note string) {
		wall, cpu := t.mbps(r.size)
		cpuCol := "-"
		if cpu > 0 {
			cpuCol = fmt.Sprintf("%.1f", cpu)
		}
		fmt.Fprintf(stdout, "%-34s %12.1f %12s  %s\n", name, wall, cpuCol, note)
	}
	ratio := func(name string, t timing) {
		x := t.wall.Seconds() / r.ours.wall.Seconds()
		if t.cpu > 0 && r.ours.cpu > 0 {
			x = t.cpu.Seconds() / r.ours.cpu.Seconds()
		}
		fmt.Fprintf(stdout, "%-34s %12.2f×\n", name, x)
	}
	fmt.Fprintf(stdout, "\n%-34s %12s %12s  %s\n", "engine", "MB/s (wall)", "MB/s (CPU)", "notes")
	row("steward dlp.Scan, all built-ins", r.ours, fmt.Sprintf("%s valid findings; goal ≥ %d MB/s per core: %s",
		group(int64(r.findings)), goalDLPMBps, mark))
	if r.re.wall > 0 {
		row("Go regexp, one alternation", r.re, group(int64(r.reMatches))+" candidate matches")
	} else {
		fmt.Fprintf(stdout, "%-34s %12s %12s  skipped (--regexp=false)\n", "Go regexp, one alternation", "-", "-")
	}
	if r.hsErr == nil {
		row("Hyperscan, per message", r.hs, group(int64(r.hsMatches))+" match ends reported")
		row("Hyperscan, one block", r.hsBlock, "the corpus as one block: no cgo call per message")
	} else {
		fmt.Fprintf(stdout, "%-34s %12s %12s  %v\n", "Hyperscan", "-", "-", r.hsErr)
	}
	fmt.Fprintln(stdout)
	if r.re.wall > 0 {
		ratio("steward / regexp", r.re)
	}
	if r.hsErr == nil {
		ratio("steward / Hyperscan per message", r.hs)
		ratio("steward / Hyperscan one block", r.hsBlock)
	}
	fmt.Fprintln(stdout, "(throughput ratios, by CPU time where known: the process's, with GOMAXPROCS 1)")
}

// timing is the fastest round of a measurement, by wall clock and by the
// process's CPU time (zero where the platform cannot tell).
type timing struct{ wall, cpu time.Duration }

// mbps returns size in MB per second of wall time and of CPU time.
func (t timing) mbps(size int64) (wall, cpu float64) {
	wall = float64(size) / 1e6 / t.wall.Seconds()
	if t.cpu > 0 {
		cpu = float64(size) / 1e6 / t.cpu.Seconds()
	}
	return wall, cpu
}

// bestOf runs scan over every message index rounds times, with progress
// on stderr, and returns the fastest round.
func bestOf(ctx context.Context, rounds int, stderr io.Writer, label string, n int, scan func(i int)) (timing, error) {
	best := timing{wall: time.Duration(1<<63 - 1), cpu: time.Duration(1<<63 - 1)}
	for r := 1; r <= rounds; r++ {
		l := label
		if rounds > 1 {
			l = fmt.Sprintf("%s (round %d/%d)", label, r, rounds)
		}
		p := newProgress(stderr, l)
		cpu0, cpuOK := dlp.ProcessCPUTime()
		start := time.Now()
		for i := 0; i < n; i++ {
			scan(i)
			if i&4095 == 4095 {
				p.update(int64(i+1), int64(n))
				if err := ctx.Err(); err != nil {
					return timing{}, err
				}
			}
		}
		best.wall = min(best.wall, time.Since(start))
		if cpu1, ok := dlp.ProcessCPUTime(); ok && cpuOK {
			best.cpu = min(best.cpu, cpu1-cpu0)
		} else {
			best.cpu = 0
		}
		p.update(int64(n), int64(n))
		p.finish()
	}
	return best, nil
}

// dlpCorpus generates the corpus, or reads it from file.
func dlpCorpus(file string, seed uint64, mb int) ([]string, error) {
	if file == "" {
		return dlp.SyntheticCorpus(seed, mb*1_000_000), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var msgs []string
	for line := range bytes.Lines(b) {
		if s := strings.TrimRight(string(line), "\r\n"); strings.TrimSpace(s) != "" {
			msgs = append(msgs, s)
		}
	}
	if len(msgs) == 0 {
		return nil, errors.New("bench: the corpus file has no messages")
	}
	return msgs, nil
}

// benchDLPQuality prints the labelled corpus's quality table.
func benchDLPQuality(dir string, stdout io.Writer) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("bench: no labelled corpus (*.jsonl) in %s; run from the repository root or give --labelled", dir)
	}
	var cases []dlp.LabelledCase
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		cs, err := dlp.ReadLabelled(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		cases = append(cases, cs...)
	}
	s, err := dlp.Compile(dlp.Config{})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Detection quality: %d labelled cases from %s, findings with confidence ≥ %.2f\n\n%s",
		len(cases), dir, dlp.QualityThreshold, dlp.QualityTable(dlp.Evaluate(s, cases, dlp.Options{MinConfidence: dlp.QualityThreshold})))
	return nil
}
