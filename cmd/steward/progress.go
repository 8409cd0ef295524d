package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress prints the advance of a long job to a terminal as one updating
// line, or, when the output is not a terminal, as a line every 10%.
type progress struct {
	w       io.Writer
	label   string
	tty     bool
	start   time.Time
	mu      sync.Mutex
	last    time.Time
	lastPct int64
}

func newProgress(w io.Writer, label string) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, label: label, tty: tty, start: time.Now(), lastPct: -1}
}

// update reports done of total; safe for concurrent use.
func (p *progress) update(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	pct := int64(100)
	if total > 0 {
		pct = done * 100 / total
	}
	if p.tty {
		if now.Sub(p.last) < 200*time.Millisecond && done < total {
			return
		}
	} else if pct/10 == p.lastPct/10 && done < total {
		return
	}
	p.last, p.lastPct = now, pct
	el := now.Sub(p.start).Seconds()
	rate := ""
	if el > 0 {
		rate = fmt.Sprintf("  %.0f records/s", float64(done)/el)
	}
	eta := ""
	if done > 0 && done < total {
		eta = fmt.Sprintf("  ETA %s", time.Duration(el*float64(total-done)/float64(done)*float64(time.Second)).Round(time.Second))
	}
	line := fmt.Sprintf("%s %s/%s records (%d%%) %s%s%s", p.label, group(done), group(total), pct, bar(pct, 20), rate, eta)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// finish ends the updating line.
func (p *progress) finish() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

func bar(pct int64, width int) string {
	n := int(pct) * width / 100
	b := make([]rune, width)
	for i := range b {
		b[i] = '░'
		if i < n {
			b[i] = '█'
		}
	}
	return string(b)
}

// group formats n with thousands separators.
func group(n int64) string {
	s := fmt.Sprint(n)
	out := []byte{}
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
