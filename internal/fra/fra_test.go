package fra_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/archivetest"
	"github.com/steward-gov/steward/internal/fra"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/records"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

const (
	danaAddr  = "+12025550140" // governed
	leeAddr   = "+12025550141" // linked
	rileyAddr = "+14155550140" // outside
)

const day = 24 * time.Hour

// env is a real archive: SQLite, sealed blobs, the log and the pipeline.
type env struct {
	t      testing.TB
	ctx    context.Context
	db     *sqlite.DB
	log    *archive.Log
	pipe   *pipeline.Pipeline
	signer note.Signer
	vkey   string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	s := archivetest.New(t, archivetest.Origin("steward/fra-test"))
	db := s.DB
	e := &env{t: t, ctx: ctx, db: db, log: s.Log, pipe: s.Pipeline, signer: s.Signer, vkey: s.VKey}
	for _, p := range []struct {
		user, addr string
		mode       steward.IdentityMode
	}{{"dana@agency.example.gov", danaAddr, steward.IdentityGoverned}, {"lee@agency.example.gov", leeAddr, steward.IdentityLinked}} {
		emp := &steward.Employee{UserName: p.user, DisplayName: p.user, Active: true}
		if err := db.CreateEmployee(ctx, emp); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateIdentity(ctx, &steward.Identity{EmployeeID: emp.ID, Channel: "signal", Address: p.addr,
			Mode: p.mode, Status: steward.IdentityActive}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// capture archives a message sent at sent and returns its record id.
func (e *env) capture(id string, dir steward.Direction, from, to string, sent time.Time) string {
	e.t.Helper()
	c, err := e.pipe.Capture(e.ctx, &steward.Item{Type: steward.EventMessage, Channel: "signal", ChannelMessageID: id,
		Direction: dir, Sender: steward.Party{Address: from}, Recipients: []steward.Party{{Address: to}}, Body: "x", SentAt: sent})
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Ref.ID
}

func (e *env) checkpoint() *steward.Checkpoint {
	e.t.Helper()
	cp, err := e.log.Checkpoint(e.ctx, e.log.Size())
	if err != nil {
		e.t.Fatal(err)
	}
	return cp
}

func group(t *testing.T, r *fra.Report, mode steward.IdentityMode) records.LagSummary {
	t.Helper()
	for _, g := range r.Groups {
		if g.Channel == "signal" && g.Mode == mode {
			return g
		}
	}
	t.Fatalf("no signal/%s group in %+v", mode, r.Groups)
	return records.LagSummary{}
}

// TestBuild checks the mode rule and the lag figures over a real log.
func TestBuild(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	e.capture("1700000000001", steward.DirInbound, rileyAddr, danaAddr, now.Add(-time.Minute))       // governed
	e.capture("steward:s1", steward.DirOutbound, danaAddr, rileyAddr, now.Add(-2*time.Minute))       // governed
	e.capture("steward:s2", steward.DirOutbound, danaAddr, rileyAddr, now.Add(time.Hour))            // governed, sender clock ahead
	native := e.capture("1700000000004", steward.DirOutbound, danaAddr, rileyAddr, now.Add(-21*day)) // linked: not sent by Steward
	late := e.capture("1700000000005", steward.DirInbound, rileyAddr, leeAddr, now.Add(-25*day))     // linked identity
	e.capture("steward:l2", steward.DirOutbound, leeAddr, rileyAddr, now.Add(-3*day))                // linked identity, even via Steward
	if _, err := e.pipe.Audit(e.ctx, pipeline.AuditEntry{Actor: "t", Action: "x"}); err != nil {
		t.Fatal(err) // not a message: not counted
	}
	cp := e.checkpoint()
	var last int64
	rep, err := fra.Build(e.ctx, e.db, e.db, cp, 0, now, func(done, total int64) { last = done })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Threshold != records.DefaultFRAThreshold || rep.TreeSize != cp.Size || rep.Root != cp.Root || last != cp.Size {
		t.Errorf("report header: %+v, progress %d", rep, last)
	}
	if rep.Messages() != 6 || rep.OverThreshold() != 2 {
		t.Errorf("%d messages, %d over", rep.Messages(), rep.OverThreshold())
	}
	gov := group(t, rep, steward.IdentityGoverned)
	if gov.Count != 3 || gov.Skewed != 1 || len(gov.Over) != 0 || gov.Max > 3*time.Minute {
		t.Errorf("governed: %+v", gov)
	}
	lnk := group(t, rep, steward.IdentityLinked)
	if lnk.Count != 3 || len(lnk.Over) != 2 || lnk.Over[0].RecordID != late || lnk.Over[1].RecordID != native ||
		lnk.Max < 25*day || lnk.Max > 25*day+time.Minute {
		t.Errorf("linked: %+v", lnk)
	}
	// A custom threshold.
	rep, err = fra.Build(e.ctx, e.db, e.db, cp, 30*day, now, nil)
	if err != nil || rep.OverThreshold() != 0 {
		t.Errorf("30-day threshold: %v, %+v", err, rep)
	}
	// Only the checkpoint's tree is reported: here its first three records.
	rep, err = fra.Build(e.ctx, e.db, e.db, &steward.Checkpoint{Size: 3}, 0, now, nil)
	if err != nil || rep.Messages() != 3 || rep.TreeSize != 3 {
		t.Errorf("tree of 3: %v, %d messages", err, rep.Messages())
	}
}

func TestMode(t *testing.T) {
	linked := func(a string) bool { return a == leeAddr }
	cases := []struct {
		meta steward.RecordMeta
		want steward.IdentityMode
	}{
		{steward.RecordMeta{Direction: steward.DirInbound, ChannelID: "1", Sender: rileyAddr, Recipients: []string{danaAddr}}, steward.IdentityGoverned},
		{steward.RecordMeta{Direction: steward.DirOutbound, ChannelID: "steward:1", Sender: danaAddr}, steward.IdentityGoverned},
		{steward.RecordMeta{Direction: steward.DirOutbound, ChannelID: "17", Sender: danaAddr}, steward.IdentityLinked},
		{steward.RecordMeta{Direction: steward.DirInternal, ChannelID: "17", Sender: danaAddr}, steward.IdentityLinked},
		{steward.RecordMeta{Direction: steward.DirInbound, ChannelID: "1", Sender: rileyAddr, Recipients: []string{leeAddr}}, steward.IdentityLinked},
		{steward.RecordMeta{Direction: steward.DirOutbound, ChannelID: "steward:2", Sender: leeAddr}, steward.IdentityLinked},
	}
	for i, c := range cases {
		if got := fra.Mode(&c.meta, linked); got != c.want {
			t.Errorf("case %d (%+v): %s, want %s", i, c.meta, got, c.want)
		}
	}
}

func sample() *fra.Report {
	return &fra.Report{GeneratedAt: time.Date(2026, 11, 26, 2, 0, 0, 500, time.UTC), Threshold: 20 * day, TreeSize: 42,
		Root: steward.Hash{1, 2, 3},
		Groups: []records.LagSummary{
			{Channel: "signal", Mode: steward.IdentityGoverned, Count: 40, Skewed: 1, P50: time.Second, P90: 2 * time.Second,
				P99: 3 * time.Second, Max: 90 * time.Second},
			{Channel: "signal", Mode: steward.IdentityLinked, Count: 2, Unknown: 1, P50: day, P90: 25 * day, P99: 25 * day,
				Max: 25 * day, Over: []records.LagOver{{RecordID: "rec 1/é", Lag: 25 * day}}},
		}}
}

// TestSignedSummary signs a report, checks it with the log's public key,
// and refuses it altered or checked with another key.
func TestSignedSummary(t *testing.T) {
	e := newEnv(t)
	rep := sample()
	if err := fra.Sign(rep, e.signer); err != nil {
		t.Fatal(err)
	}
	v, err := archive.NewVerifier(e.vkey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fra.Open(rep.Note, v)
	if err != nil {
		t.Fatal(err)
	}
	if got.OverThreshold() != 1 || got.Groups[1].Over[0].RecordID != "rec 1/é" || !got.GeneratedAt.Equal(rep.GeneratedAt) {
		t.Errorf("opened: %+v", got)
	}
	text, _ := fra.Encode(rep)
	if !bytes.HasPrefix(rep.Note, text) || !strings.Contains(string(text), "over rec%201/%C3%A9 600h0m0s\n") {
		t.Errorf("note text:\n%s", rep.Note)
	}
	// One changed figure breaks the signature.
	bad := bytes.Replace(rep.Note, []byte("count 40"), []byte("count 41"), 1)
	if _, err := fra.Open(bad, v); !steward.Is(steward.Invalid, err) {
		t.Errorf("altered report: %v", err)
	}
	_, other, _ := archive.GenerateKey("steward/fra-test")
	ov, _ := archive.NewVerifier(other)
	if _, err := fra.Open(rep.Note, ov); !steward.Is(steward.Invalid, err) {
		t.Errorf("another key: %v", err)
	}
	js, err := json.Marshal(rep)
	if err != nil || !strings.Contains(string(js), `"threshold":"480h0m0s"`) || !strings.Contains(string(js), `"signed_summary":"steward fra`) {
		t.Errorf("JSON: %s, %v", js, err)
	}
}

func TestParseCanonical(t *testing.T) {
	text, err := fra.Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	r, err := fra.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := fra.Encode(r)
	if !bytes.Equal(again, text) {
		t.Fatalf("round trip:\n%s\n%s", text, again)
	}
	for _, bad := range []struct{ from, to string }{
		{"messages 43", "messages 44"},          // totals must add up
		{"threshold 480h0m0s", "threshold 20d"}, // durations as Go writes them
		{"threshold 480h0m0s", "threshold 480h"},
		{"count 40", "count 040"},
		{"over rec%201", "over rec 1"},
		{"\ngroups 2\n", "\ngroups 3\n"},
	} {
		b := bytes.Replace(text, []byte(bad.from), []byte(bad.to), 1)
		if _, err := fra.Parse(b); !steward.Is(steward.Invalid, err) {
			t.Errorf("%q → %q: %v", bad.from, bad.to, err)
		}
	}
	if _, err := fra.Parse(append(bytes.Clone(text), "extra\n"...)); err == nil {
		t.Error("a trailing line was accepted")
	}
}

func TestParseThreshold(t *testing.T) {
	for in, want := range map[string]time.Duration{"20d": 20 * day, "1d12h": 36 * time.Hour, "36h": 36 * time.Hour, "90s": 90 * time.Second} {
		if got, err := fra.ParseThreshold(in); err != nil || got != want {
			t.Errorf("%s: %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "d", "0d", "-3d", "+3d", "1.5d", "20days", "1d-1h", "36501d"} {
		if _, err := fra.ParseThreshold(in); !steward.Is(steward.Invalid, err) {
			t.Errorf("%q: %v", in, err)
		}
	}
}
