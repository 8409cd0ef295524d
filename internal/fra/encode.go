package fra

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/records"
	"github.com/steward-gov/steward/internal/steward"
)

// The signed summary has exactly one byte encoding: ASCII lines, each
// ending in "\n", no blank line. It is the text of the C2SP signed note
// that the log key signs:
//
//	steward fra capture-lag report v1
//	generated-at <time>
//	threshold <duration>
//	tree-size <n>
//	root <64 hex digits>
//	messages <n>                 message records covered: the groups' count + unknown
//	over-threshold <n>           the groups' over lines
//	groups <n>
//	group <channel> <mode> count <n> unknown <n> skewed <n> p50 <d> p90 <d> p99 <d> max <d> over <k>
//	over <record id> <lag>       k lines under their group, longest lag first
//
// <time> is RFC 3339 in UTC with the fewest fractional digits that keep
// the instant; <duration> and the lags are Go durations as
// time.Duration.String writes them ("480h0m0s", "1.5s", "-2m0s"); numbers
// are decimal without leading zeros. Groups come in records.SummarizeLag
// order (channel, then mode). Channel, mode and record ids are non-empty
// and percent-escaped: bytes other than A-Z a-z 0-9 - . _ ~ : / @ + are
// written %XX, uppercase hex.

const magic = "steward fra capture-lag report v1"

// maxText bounds what Parse reads: a report listing a million late
// messages fits.
const maxText = 128 << 20

// Encode returns the report's canonical text. Invalid for an empty
// channel, mode or over-threshold record id, or negative counts.
func Encode(r *Report) ([]byte, error) {
	const op steward.Op = "fra.Encode"
	var b bytes.Buffer
	line := func(fields ...string) {
		b.WriteString(strings.Join(fields, " "))
		b.WriteByte('\n')
	}
	line(magic)
	line("generated-at", r.GeneratedAt.UTC().Format(time.RFC3339Nano))
	line("threshold", r.Threshold.String())
	line("tree-size", strconv.FormatInt(r.TreeSize, 10))
	line("root", hex.EncodeToString(r.Root[:]))
	line("messages", strconv.Itoa(r.Messages()))
	line("over-threshold", strconv.Itoa(r.OverThreshold()))
	line("groups", strconv.Itoa(len(r.Groups)))
	for _, g := range r.Groups {
		if g.Channel == "" || g.Mode == "" || g.Count < 0 || g.Unknown < 0 || g.Skewed < 0 {
			return nil, steward.E(op, steward.Invalid, "a group needs a channel, a mode and non-negative counts")
		}
		line("group", records.EscapeField(string(g.Channel)), records.EscapeField(string(g.Mode)),
			"count", strconv.Itoa(g.Count), "unknown", strconv.Itoa(g.Unknown), "skewed", strconv.Itoa(g.Skewed),
			"p50", g.P50.String(), "p90", g.P90.String(), "p99", g.P99.String(), "max", g.Max.String(),
			"over", strconv.Itoa(len(g.Over)))
		for _, o := range g.Over {
			if o.RecordID == "" {
				return nil, steward.E(op, steward.Invalid, "an over-threshold message needs its record id")
			}
			line("over", records.EscapeField(o.RecordID), o.Lag.String())
		}
	}
	return b.Bytes(), nil
}

// Parse decodes a report from its canonical text. Invalid for anything
// that is not exactly what Encode writes for the decoded report, so two
// different texts never mean the same report; TooLarge beyond 128 MiB.
// The result has no Note.
func Parse(text []byte) (*Report, error) {
	const op steward.Op = "fra.Parse"
	if len(text) > maxText {
		return nil, steward.E(op, steward.TooLarge, "a report is at most 128 MiB")
	}
	if len(text) == 0 || text[len(text)-1] != '\n' {
		return nil, steward.E(op, steward.Invalid, "a report ends with a newline")
	}
	p := parser{lines: strings.Split(string(text[:len(text)-1]), "\n")}
	r, err := p.report()
	if err != nil {
		return nil, steward.Errorf(op, steward.Invalid, "line %d: %v", p.n, err)
	}
	// Re-encoding is the canonicality check: it rejects non-canonical
	// numbers, durations, times and escapes, and totals that do not add
	// up, with one rule instead of many.
	again, err := Encode(r)
	if err != nil {
		return nil, steward.E(op, steward.Invalid, err)
	}
	if !bytes.Equal(again, text) {
		return nil, steward.E(op, steward.Invalid, "the report is not in canonical form")
	}
	return r, nil
}

type parser struct {
	lines []string
	n     int // lines consumed
}

// fields consumes a line that starts with key and has want fields.
func (p *parser) fields(key string, want int) ([]string, error) {
	if p.n >= len(p.lines) {
		return nil, fmt.Errorf("want %s, found the end", key)
	}
	f := strings.Split(p.lines[p.n], " ")
	p.n++
	if len(f) != want || f[0] != key {
		return nil, fmt.Errorf("want %s with %d fields", key, want-1)
	}
	return f, nil
}

func (p *parser) value(key string) (string, error) {
	f, err := p.fields(key, 2)
	if err != nil {
		return "", err
	}
	return f[1], nil
}

func (p *parser) count(key string) (int, error) {
	v, err := p.value(key)
	if err != nil {
		return 0, err
	}
	return atoi(v)
}

func atoi(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad count %q", s)
	}
	return n, nil
}

func (p *parser) report() (*Report, error) {
	r := &Report{}
	if len(p.lines) == 0 || p.lines[0] != magic {
		p.n = 1
		return nil, fmt.Errorf("not a Steward FRA capture-lag report v1")
	}
	p.n = 1
	v, err := p.value("generated-at")
	if err != nil {
		return nil, err
	}
	if r.GeneratedAt, err = time.Parse(time.RFC3339Nano, v); err != nil {
		return nil, fmt.Errorf("bad time")
	}
	r.GeneratedAt = r.GeneratedAt.UTC()
	if v, err = p.value("threshold"); err != nil {
		return nil, err
	}
	if r.Threshold, err = time.ParseDuration(v); err != nil {
		return nil, fmt.Errorf("bad threshold")
	}
	if v, err = p.value("tree-size"); err != nil {
		return nil, err
	}
	if r.TreeSize, err = strconv.ParseInt(v, 10, 64); err != nil || r.TreeSize < 0 {
		return nil, fmt.Errorf("bad tree size")
	}
	if v, err = p.value("root"); err != nil {
		return nil, err
	}
	if h, err := hex.DecodeString(v); err != nil || len(h) != len(r.Root) {
		return nil, fmt.Errorf("bad root")
	} else {
		copy(r.Root[:], h)
	}
	// messages and over-threshold are derived; re-encoding checks them.
	if _, err := p.count("messages"); err != nil {
		return nil, err
	}
	if _, err := p.count("over-threshold"); err != nil {
		return nil, err
	}
	groups, err := p.count("groups")
	if err != nil {
		return nil, err
	}
	if groups > len(p.lines)-p.n {
		return nil, fmt.Errorf("more groups than lines")
	}
	r.Groups = make([]records.LagSummary, 0, groups)
	for range groups {
		f, err := p.fields("group", 19)
		if err != nil {
			return nil, err
		}
		g, over, err := parseGroup(f)
		if err != nil {
			return nil, err
		}
		if over > len(p.lines)-p.n {
			return nil, fmt.Errorf("more over lines than lines")
		}
		for range over {
			f, err := p.fields("over", 3)
			if err != nil {
				return nil, err
			}
			id, err := records.UnescapeField(f[1])
			if err != nil {
				return nil, err
			}
			lag, err := time.ParseDuration(f[2])
			if err != nil {
				return nil, fmt.Errorf("bad lag")
			}
			g.Over = append(g.Over, records.LagOver{RecordID: id, Lag: lag})
		}
		r.Groups = append(r.Groups, g)
	}
	if p.n != len(p.lines) {
		p.n++
		return nil, fmt.Errorf("unexpected line after the last group")
	}
	return r, nil
}

// parseGroup decodes the fields of a group line and returns the number of
// over lines that follow it.
func parseGroup(f []string) (records.LagSummary, int, error) {
	var g records.LagSummary
	ch, err1 := records.UnescapeField(f[1])
	mode, err2 := records.UnescapeField(f[2])
	if err1 != nil || err2 != nil {
		return g, 0, fmt.Errorf("bad channel or mode")
	}
	g.Channel, g.Mode = steward.Channel(ch), steward.IdentityMode(mode)
	ints := []*int{&g.Count, &g.Unknown, &g.Skewed}
	for i, key := range []string{"count", "unknown", "skewed"} {
		if f[3+2*i] != key {
			return g, 0, fmt.Errorf("want %s", key)
		}
		n, err := atoi(f[4+2*i])
		if err != nil {
			return g, 0, err
		}
		*ints[i] = n
	}
	durs := []*time.Duration{&g.P50, &g.P90, &g.P99, &g.Max}
	for i, key := range []string{"p50", "p90", "p99", "max"} {
		if f[9+2*i] != key {
			return g, 0, fmt.Errorf("want %s", key)
		}
		d, err := time.ParseDuration(f[10+2*i])
		if err != nil {
			return g, 0, fmt.Errorf("bad %s", key)
		}
		*durs[i] = d
	}
	if f[17] != "over" {
		return g, 0, fmt.Errorf("want over")
	}
	over, err := atoi(f[18])
	if err != nil {
		return g, 0, err
	}
	return g, over, nil
}

// Sign signs the report's canonical text with the log's note signer and
// keeps the signed note in r.Note. Errors: those of Encode; Internal if
// the signer fails.
func Sign(r *Report, s note.Signer) error {
	const op steward.Op = "fra.Sign"
	text, err := Encode(r)
	if err != nil {
		return steward.E(op, err)
	}
	msg, err := note.Sign(&note.Note{Text: string(text)}, s)
	if err != nil {
		return steward.E(op, steward.Internal, "cannot sign the report", err)
	}
	r.Note = msg
	return nil
}

// Open checks a signed report against the log's public key and decodes
// it. Invalid when the signature does not verify with v or the text is
// not a canonical report.
func Open(msg []byte, v note.Verifier) (*Report, error) {
	const op steward.Op = "fra.Open"
	if v == nil {
		return nil, steward.E(op, steward.Invalid, "no verifier key")
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return nil, steward.E(op, steward.Invalid, "the report's signature does not verify", err)
	}
	r, err := Parse([]byte(n.Text))
	if err != nil {
		return nil, steward.E(op, err)
	}
	r.Note = append([]byte(nil), msg...)
	return r, nil
}

// reportJSON is the report as the API and `steward report fra --json`
// show it: durations as Go duration strings, so people can read them.
type reportJSON struct {
	GeneratedAt   time.Time   `json:"generated_at"`
	Threshold     string      `json:"threshold"`
	TreeSize      int64       `json:"tree_size"`
	Root          string      `json:"root"`
	Messages      int         `json:"messages"`
	OverThreshold int         `json:"over_threshold"`
	Groups        []groupJSON `json:"groups"`
	SignedSummary string      `json:"signed_summary,omitempty"`
}

type groupJSON struct {
	Channel steward.Channel      `json:"channel"`
	Mode    steward.IdentityMode `json:"mode"`
	Count   int                  `json:"count"`
	Unknown int                  `json:"unknown"`
	Skewed  int                  `json:"skewed"`
	P50     string               `json:"p50"`
	P90     string               `json:"p90"`
	P99     string               `json:"p99"`
	Max     string               `json:"max"`
	Over    []overJSON           `json:"over"`
}

type overJSON struct {
	RecordID string `json:"record_id"`
	Lag      string `json:"lag"`
}

// MarshalJSON writes the report for people and programs; the signed
// summary is the note's text and signature exactly as issued.
func (r *Report) MarshalJSON() ([]byte, error) {
	j := reportJSON{GeneratedAt: r.GeneratedAt, Threshold: r.Threshold.String(), TreeSize: r.TreeSize,
		Root: hex.EncodeToString(r.Root[:]), Messages: r.Messages(), OverThreshold: r.OverThreshold(),
		Groups: make([]groupJSON, 0, len(r.Groups)), SignedSummary: string(r.Note)}
	for _, g := range r.Groups {
		gj := groupJSON{Channel: g.Channel, Mode: g.Mode, Count: g.Count, Unknown: g.Unknown, Skewed: g.Skewed,
			P50: g.P50.String(), P90: g.P90.String(), P99: g.P99.String(), Max: g.Max.String(), Over: []overJSON{}}
		for _, o := range g.Over {
			gj.Over = append(gj.Over, overJSON{RecordID: o.RecordID, Lag: o.Lag.String()})
		}
		j.Groups = append(j.Groups, gj)
	}
	return json.Marshal(j)
}
