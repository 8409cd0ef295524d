package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/steward-gov/steward/internal/search"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

const benchSearchUsage = `Usage:
  steward bench search [--n 1000000] [--batch 1000] [--writers 2] [--queries 50] [--dir DIR] [--raw=true] [--cpuprofile FILE]

search measures, in one run, over n generated messages (chat lengths, a
Zipf vocabulary of 30,000 words, 2,000 custodians, three years):
  1. indexing into a fresh blind index (index.db), --writers batches at a
     time: documents/s, and the time each Add of --batch takes, from which
     the lag until searchable at 5,000 messages/s follows;
  2. search latency p50/p95/p99 for a mix of query types, each the first
     page of 100 hits newest first (ranked: with bm25 scores), and overall;
  3. the same over raw FTS5 of the same messages in plaintext (a temporary
     file, removed), and the ratio of blind to raw.
`

// Goals from the issue tracker; bench prints whether each was met.
const (
	goalSearchP95   = 50 * time.Millisecond
	goalIndexLagP99 = 2 * time.Second
	goalIndexRate   = 5000 // messages/s arriving
)

func init() { benches["search"] = bench{benchSearch, benchSearchUsage} }

// benchSearch runs `steward bench search`; args[0] is "search".
func benchSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("steward bench search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 1000000, "messages to index")
	batch := fs.Int("batch", 1000, "messages per Add (one transaction)")
	writers := fs.Int("writers", 2, "concurrent Add calls: one batch is hashed while another is written")
	perType := fs.Int("queries", 50, "queries of each type")
	dir := fs.String("dir", "", "directory for the index files (default: a fresh temporary one, removed afterwards)")
	raw := fs.Bool("raw", true, "also build and time raw FTS5 over the plaintext")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the indexing phase to this file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *n <= 0 || *batch <= 0 || *perType <= 0 || *writers <= 0 {
		return fmt.Errorf("bench: --n, --batch, --writers and --queries must be positive")
	}
	work := *dir
	if work == "" {
		tmp, err := os.MkdirTemp("", "steward-bench-search-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		work = tmp
	} else if entries, _ := os.ReadDir(work); len(entries) > 0 {
		return fmt.Errorf("bench: %s is not empty; bench needs a fresh index", work)
	}
	kek := make([]byte, 32)
	rand.Read(kek)
	blindPath := filepath.Join(work, "index.db")
	idx, err := sqlite.OpenIndex(blindPath, search.DeriveKey(kek))
	if err != nil {
		return err
	}
	defer idx.Close()
	c := newBenchCorpus(*n)
	fmt.Fprintf(stdout, "search: %s messages, batches of %d, %d writers, GOMAXPROCS %d\n", group(int64(*n)), *batch, *writers, runtime.GOMAXPROCS(0))
	// The messages are made first, so that the CPU time of indexing is
	// the index's alone.
	docs := make([]*search.Doc, *n)
	p := newProgress(stderr, "generate")
	for i := range docs {
		docs[i] = c.doc(i)
		if i%10000 == 0 {
			p.update(int64(i), int64(*n))
		}
	}
	p.update(int64(*n), int64(*n))
	p.finish()

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
	blindBuild, err := benchBuild(ctx, stderr, "index (blind)", docs, *batch, *writers, idx.Add)
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	var rawIdx *sqlite.RawFTS
	var rawBuild buildStats
	if *raw {
		rawPath := filepath.Join(work, "raw.db")
		if rawIdx, err = sqlite.OpenRawFTS(rawPath); err != nil {
			return err
		}
		defer func() {
			rawIdx.Close()
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(rawPath + suffix)
			}
		}()
		if rawBuild, err = benchBuild(ctx, stderr, "index (raw)", docs, *batch, *writers, rawIdx.Add); err != nil {
			return err
		}
	}

	// The query mix.
	qs := c.queries(*perType)
	type lat struct{ blind, raw []time.Duration }
	byType := make(map[string]*lat)
	var blindAll, rawAll []time.Duration
	hits := make(map[string]int)
	p = newProgress(stderr, "queries")
	for i, bq := range qs {
		l := byType[bq.typ]
		if l == nil {
			l = &lat{}
			byType[bq.typ] = l
		}
		t0 := time.Now()
		h, err := idx.Search(ctx, bq.q, bq.f)
		d := time.Since(t0)
		if err != nil {
			return fmt.Errorf("bench: search %s: %w", bq.q, err)
		}
		hits[bq.typ] += len(h)
		l.blind, blindAll = append(l.blind, d), append(blindAll, d)
		if rawIdx != nil {
			t0 = time.Now()
			if _, err := rawIdx.Search(ctx, bq.q, bq.f); err != nil {
				return fmt.Errorf("bench: raw search %s: %w", bq.q, err)
			}
			d = time.Since(t0)
			l.raw, rawAll = append(l.raw, d), append(rawAll, d)
		}
		p.update(int64(i+1), int64(len(qs)))
	}
	p.finish()

	mark := func(ok bool) string {
		if ok {
			return "goal met"
		}
		return "GOAL MISSED"
	}
	size := func(path string) float64 {
		var total int64
		for _, suffix := range []string{"", "-wal"} {
			if fi, err := os.Stat(path + suffix); err == nil {
				total += fi.Size()
			}
		}
		return float64(total) / 1e6
	}
	fmt.Fprintf(stdout, "\n%-36s %12s\n", "indexing", "result")
	fmt.Fprintf(stdout, "%-36s %12.0f\n", "documents/s (blind)", blindBuild.rate())
	fmt.Fprintf(stdout, "%-36s %12.0f  (goal ≥ %d to keep up: %s)\n", "documents/s (blind, last 10%)", blindBuild.tailRate(),
		goalIndexRate, mark(blindBuild.tailRate() >= goalIndexRate))
	fmt.Fprintf(stdout, "%-36s %12.0f\n", "documents per CPU-second (blind)", blindBuild.cpuRate())
	slices.Sort(blindBuild.commits)
	fmt.Fprintf(stdout, "%-36s %12s\n", fmt.Sprintf("Add of %d, p50", *batch), pct(blindBuild.commits, 50))
	fmt.Fprintf(stdout, "%-36s %12s\n", fmt.Sprintf("Add of %d, p99", *batch), pct(blindBuild.commits, 99))
	// At 5,000 messages/s a batch fills in batch/5000 s, then is added;
	// this holds only while the index keeps up (the line above).
	fill := time.Duration(float64(*batch) / goalIndexRate * float64(time.Second))
	lag := fill + blindBuild.commits[(len(blindBuild.commits)-1)*99/100]
	fmt.Fprintf(stdout, "%-36s %12s  (goal ≤ %s: %s)\n", "lag p99 at 5,000 msg/s (fill + Add)", lag.Round(time.Millisecond),
		goalIndexLagP99, mark(lag <= goalIndexLagP99))
	fmt.Fprintf(stdout, "%-36s %12.0f\n", "index size MB (blind)", size(blindPath))
	if rawIdx != nil {
		fmt.Fprintf(stdout, "%-36s %12.0f\n", "documents/s (raw FTS5)", rawBuild.rate())
		fmt.Fprintf(stdout, "%-36s %12.0f\n", "documents per CPU-second (raw FTS5)", rawBuild.cpuRate())
		fmt.Fprintf(stdout, "%-36s %12.0f\n", "index size MB (raw FTS5)", size(filepath.Join(work, "raw.db")))
		fmt.Fprintf(stdout, "%-36s %12.2f\n", "blind / raw documents per CPU-second", blindBuild.cpuRate()/rawBuild.cpuRate())
	}

	fmt.Fprintf(stdout, "\n%-14s %9s %9s %9s   %9s %9s %9s   %6s %6s\n", "query type", "p50", "p95", "p99", "raw p50", "raw p95", "raw p99", "ratio", "hits")
	row := func(name string, b, r []time.Duration, h int) {
		slices.Sort(b)
		slices.Sort(r)
		ratio := "-"
		if len(r) > 0 {
			ratio = fmt.Sprintf("%.2f", float64(b[(len(b)-1)*95/100])/float64(max(r[(len(r)-1)*95/100], time.Microsecond)))
		}
		avg := "-"
		if h >= 0 {
			avg = fmt.Sprintf("%.0f", float64(h)/float64(len(b)))
		}
		fmt.Fprintf(stdout, "%-14s %9s %9s %9s   %9s %9s %9s   %6s %6s\n", name, pct(b, 50), pct(b, 95), pct(b, 99), pct(r, 50), pct(r, 95), pct(r, 99), ratio, avg)
	}
	for _, t := range benchQueryTypes {
		if l := byType[t]; l != nil {
			row(t, l.blind, l.raw, hits[t])
		}
	}
	row("overall", blindAll, rawAll, -1)
	p95 := blindAll[(len(blindAll)-1)*95/100]
	fmt.Fprintf(stdout, "\n%-36s %12s  (goal ≤ %s: %s)\n", "search p95 (blind)", pct(blindAll, 95), goalSearchP95, mark(p95 <= goalSearchP95))
	fmt.Fprintln(stdout, "ratio: blind p95 / raw p95 per type; hits: average hits per query on the first page (at most 100)")
	return nil
}

// buildStats records an index build.
type buildStats struct {
	n       int
	wall    time.Duration   // the whole build
	cpu     time.Duration   // CPU time of the process in the build, on every core
	commits []time.Duration // each Add, from its call to its return
	tail    time.Duration   // the last 10% of documents
	tailN   int
}

func (b buildStats) rate() float64     { return float64(b.n) / b.wall.Seconds() }
func (b buildStats) tailRate() float64 { return float64(b.tailN) / b.tail.Seconds() }
func (b buildStats) cpuRate() float64  { return float64(b.n) / b.cpu.Seconds() }

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchBuild adds docs to an index in batches, from writers goroutines:
// one batch is hashed while another is written, as an indexer would do.
func benchBuild(ctx context.Context, stderr io.Writer, label string, docs []*search.Doc, batch, writers int, add func(context.Context, ...*search.Doc) error) (buildStats, error) {
	st := buildStats{}
	p := newProgress(stderr, label)
	starts := make(chan int)
	var mu sync.Mutex
	var firstErr error
	var done int64
	tailFrom := len(docs) * 9 / 10
	var tailStart time.Time
	t0, c0 := time.Now(), cpuTime()
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for i := range starts {
				b := docs[i:min(i+batch, len(docs))]
				a0 := time.Now()
				err := add(ctx, b...)
				d := time.Since(a0)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				st.commits = append(st.commits, d)
				done += int64(len(b))
				p.update(done, int64(len(docs)))
				mu.Unlock()
			}
		})
	}
	for i := 0; i < len(docs) && ctx.Err() == nil; i += batch {
		if i >= tailFrom && tailStart.IsZero() {
			tailStart = time.Now()
		}
		starts <- i
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
	}
	close(starts)
	wg.Wait()
	p.finish()
	st.n, st.wall, st.cpu = len(docs), time.Since(t0), cpuTime()-c0
	st.tail, st.tailN = time.Since(tailStart), len(docs)-tailFrom
	if firstErr != nil {
		return st, firstErr
	}
	return st, ctx.Err()
}

// benchCorpus generates realistic messages on demand: message i is the
// same every time, so the raw index gets exactly the blind one's messages
// and queries can be drawn from them.
type benchCorpus struct {
	n         int
	vocab     []string // by falling frequency
	emps, ext []search.Party
	empIDs    []string
	convs     int
	start     time.Time
	span      time.Duration
	filenames []string
	channels  []string
	detectors []string
}

const benchSeed = 20260101

func newBenchCorpus(n int) *benchCorpus {
	r := mrand.New(mrand.NewPCG(benchSeed, 0))
	c := &benchCorpus{
		n: n, convs: max(n/10, 10), start: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), span: 3 * 365 * 24 * time.Hour,
		filenames: []string{"FY25 budget draft.pdf", "minutes.docx", "scan.jpg", "contract signed.pdf", "photo.heic", "agenda.txt", "invoice 2291.pdf"},
		channels:  []string{"signal", "signal", "signal", "whatsapp", "whatsapp", "sms", "api"},
		detectors: []string{"us_ssn", "payment_card", "email", "phone", "iban"},
	}
	c.vocab = strings.Fields(`the to and a of i you it in for is on that we this be will have can with are
		at me so do not just if but my your get know what be all up out about was there can't ok okay thanks
		please yes no time today tomorrow call meeting now see let need good here think going from when
		update budget council vote office mayor city staff draft review report plan project public press
		statement release agenda minutes hearing contract vendor invoice payment grant fund funding permit
		zoning road repair flood relief housing school police fire water park transit election ballot
		board committee chair member motion approve approved approval deadline schedule monday tuesday
		wednesday thursday friday morning afternoon evening week month year email phone document file
		attached send sent received confirm confirmed question answer issue problem request records foia
		legal counsel attorney lawsuit settlement negotiate negotiation negotiated policy procedure
		training hire hiring salary overtime union pension benefit health insurance claim audit finance
		tax taxes revenue spending cost estimate bid proposal procurement award signed signature
		resident residents complaint constituent community neighborhood district downtown street bridge`)
	seen := make(map[string]bool)
	for _, w := range c.vocab {
		seen[w] = true
	}
	syll := strings.Fields("ka lo mi ter sun dra vel nor pi gen ra tus bo lin cor fa mat ses un ex pro ver tion al ben dor qui zel har mon ta ri ge")
	for len(c.vocab) < 30000 {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			c.vocab = append(c.vocab, w)
		}
	}
	first := strings.Fields("Alice Bob Carol David Erin Frank Grace Heidi Ivan Judy Karl Laura Mike Nina Oscar Peggy Quinn Rosa Sam Tara Uma Victor Wendy Xavier Yara Zoë José Ana Li Wei")
	last := strings.Fields("Martin Okafor Nguyen Álvarez Smith Johnson Brown Garcia Miller Davis Rodriguez Wilson Anderson Thomas Taylor Moore Jackson Lee Harris Clark Lewis Walker Hall Young King Wright Lopez Hill Scott Green")
	name := func() string { return first[r.IntN(len(first))] + " " + last[r.IntN(len(last))] }
	for i := range 2000 {
		c.emps = append(c.emps, search.Party{Address: fmt.Sprintf("+1202555%04d", i), Name: name()})
		c.empIDs = append(c.empIDs, fmt.Sprintf("emp-%04d", i))
	}
	for i := range 20000 {
		p := search.Party{Name: name()}
		if i%2 == 0 {
			p.Address = fmt.Sprintf("resident%d@mail.example", i)
		} else {
			p.Address = fmt.Sprintf("+1415%07d", i)
		}
		if i%5 == 0 {
			p.Name = ""
		}
		c.ext = append(c.ext, p)
	}
	return c
}

// words returns k words of the Zipf vocabulary.
func (c *benchCorpus) words(z *mrand.Zipf, k int) []string {
	w := make([]string, k)
	for i := range w {
		w[i] = c.vocab[z.Uint64()]
	}
	return w
}

// members returns conversation conv's employees and outside parties.
func (c *benchCorpus) members(conv int) (emps, ext []int, channel string) {
	r := mrand.New(mrand.NewPCG(benchSeed+1, uint64(conv)))
	emps = []int{r.IntN(len(c.emps))}
	if r.IntN(10) < 3 {
		emps = append(emps, r.IntN(len(c.emps)))
	}
	ext = []int{r.IntN(len(c.ext))}
	for r.IntN(4) == 0 && len(ext) < 4 {
		ext = append(ext, r.IntN(len(c.ext)))
	}
	return emps, ext, c.channels[r.IntN(len(c.channels))]
}

// doc returns message i.
func (c *benchCorpus) doc(i int) *search.Doc {
	r := mrand.New(mrand.NewPCG(benchSeed+2, uint64(i)))
	z := mrand.NewZipf(r, 1.07, 2, uint64(len(c.vocab)-1))
	conv := r.IntN(c.convs)
	emps, ext, channel := c.members(conv)
	var parties []search.Party
	custodians := make([]string, 0, len(emps))
	for _, e := range emps {
		parties = append(parties, c.emps[e])
		custodians = append(custodians, c.empIDs[e])
	}
	for _, e := range ext {
		parties = append(parties, c.ext[e])
	}
	from := r.IntN(len(parties))
	d := &search.Doc{
		ID:             fmt.Sprintf("rec-%08d", i),
		ConversationID: fmt.Sprintf("conv-%07d", conv),
		From:           parties[from],
		Custodians:     custodians,
		Channel:        channel,
		Sent:           c.start.Add(time.Duration(float64(c.span) * float64(i) / float64(c.n))).Add(time.Duration(r.IntN(3600)) * time.Second),
		Direction:      steward.DirOutbound,
		Deleted:        r.IntN(50) == 0,
		Edited:         r.IntN(33) == 0,
	}
	for j, p := range parties {
		if j != from {
			d.To = append(d.To, p)
		}
	}
	switch {
	case from >= len(emps):
		d.Direction = steward.DirInbound
	case len(ext) == 0:
		d.Direction = steward.DirInternal
	}
	k := 3 + r.IntN(30)
	if r.IntN(10) == 0 {
		k = 60 + r.IntN(140)
	}
	d.Text = []string{strings.Join(c.words(z, k), " ")}
	if r.IntN(25) == 0 {
		d.HasAttachment = true
		d.Filenames = []string{c.filenames[r.IntN(len(c.filenames))]}
		d.Text = append(d.Text, strings.Join(c.words(z, 100+r.IntN(200)), " "))
	}
	if r.IntN(100) == 0 {
		d.DLP = []string{c.detectors[r.IntN(len(c.detectors))]}
	}
	return d
}

type benchQuery struct {
	typ string
	q   *search.Query
	f   search.Filter
}

var benchQueryTypes = []string{"term common", "term rare", "phrase", "AND", "OR", "NOT", "prefix", "proximity", "field", "date range", "case scope", "complex", "ranked"}

// queries returns perType queries of each type, drawn from the corpus so
// that phrases and proximities have hits.
func (c *benchCorpus) queries(perType int) []benchQuery {
	r := mrand.New(mrand.NewPCG(benchSeed+3, 0))
	word := func(lo, hi int) string { return c.vocab[lo+r.IntN(hi-lo)] }
	// adjacent returns two words of a message, gap apart.
	adjacent := func(gap int) (string, string) {
		for {
			toks := search.Tokens(c.doc(r.IntN(c.n)).Text[0])
			if len(toks) > gap {
				k := r.IntN(len(toks) - gap)
				return toks[k], toks[k+gap]
			}
		}
	}
	day := func() time.Time {
		return c.start.Add(time.Duration(r.Int64N(int64(c.span)))).Truncate(24 * time.Hour)
	}
	var out []benchQuery
	for _, typ := range benchQueryTypes {
		for range perType {
			f := search.Filter{Unrestricted: true, Limit: 100}
			var q string
			switch typ {
			case "term common":
				q = word(0, 20)
			case "term rare":
				q = word(1000, 20000)
			case "phrase":
				a, b := adjacent(1)
				q = fmt.Sprintf("%q", a+" "+b)
			case "AND":
				q = word(20, 2000) + " AND " + word(20, 2000)
			case "OR":
				q = word(100, 5000) + " OR " + word(100, 5000)
			case "NOT":
				q = word(20, 500) + " NOT " + word(0, 100)
			case "prefix":
				w := []rune(search.Tokens(word(50, 5000))[0])
				for len(w) < 3 {
					w = []rune(search.Tokens(word(50, 5000))[0])
				}
				q = string(w[:min(len(w), 3+r.IntN(3))]) + "*"
			case "proximity":
				a, b := adjacent(1 + r.IntN(4))
				q = fmt.Sprintf("%s w/5 %s", a, b)
			case "field":
				if r.IntN(2) == 0 {
					q = fmt.Sprintf("from:%s %s", c.emps[r.IntN(len(c.emps))].Address, word(0, 50))
				} else {
					q = fmt.Sprintf("participant:%q", c.emps[r.IntN(len(c.emps))].Name)
				}
			case "date range":
				d := day()
				q = fmt.Sprintf("%s after:%s before:%s", word(0, 200), d.Format(time.DateOnly), d.AddDate(0, 0, 30).Format(time.DateOnly))
			case "case scope":
				q = word(0, 500)
				f.Unrestricted = false
				for range 10 {
					f.Custodians = append(f.Custodians, c.empIDs[r.IntN(len(c.empIDs))])
				}
				f.Since = day()
				f.Until = f.Since.AddDate(1, 0, 0)
			case "ranked":
				q = word(0, 200)
				f.Rank = true
			case "complex":
				q = fmt.Sprintf("(%s OR %s) AND %s NOT %s channel:%s after:%s", word(20, 1000), word(20, 1000), word(0, 100), word(0, 50),
					c.channels[r.IntN(len(c.channels))], day().Format(time.DateOnly))
			}
			pq, err := search.Parse(q)
			if err != nil {
				panic(fmt.Sprintf("bench query %q: %v", q, err))
			}
			out = append(out, benchQuery{typ, pq, f})
		}
	}
	// Interleave the types, as a real load would.
	mrand.New(mrand.NewPCG(benchSeed+4, 0)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
