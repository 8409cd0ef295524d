package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/archivetest"
	"github.com/steward-gov/steward/internal/fra"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// transferWorld is a data directory seeded for the transfer and report
// commands, and the ids of what it holds.
type transferWorld struct {
	data                  string
	direct, reply, group  string // message record ids
	late                  string // captured 25 days after it was sent
	attachment, groupConv string
}

// seedTransfer builds a data directory as `steward serve` would (openApp
// with init), with a file plan holding a permanent item due at capture,
// assignment rules that put a Capstone official's messages on it, and
// captured traffic: Dana (Capstone, governed) writes to Riley with an
// attachment and Riley replies; Dana writes to a group, which a legal
// hold covers; a message from Riley to Lee (linked) arrives 25 days
// after it was sent.
func seedTransfer(t *testing.T) transferWorld {
	t.Helper()
	ctx := context.Background()
	w := transferWorld{data: t.TempDir()}
	cfg, err := loadConfig("serve", []string{"--data", w.data}, serveSettings...)
	if err != nil {
		t.Fatal(err)
	}
	a, err := openApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), true)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	perm := steward.ScheduleItem{ID: "agency-perm-900", Schedule: "Agency test schedule", Item: "900",
		Title: "Case files of Capstone officials", Authority: "DAA-AGENCY-TEST-0900", Permanent: true,
		Cutoff: steward.CutoffRule{Period: steward.CutoffNone}, Action: steward.DispositionTransfer}
	hook := archivetest.Rules(t, a.db, []steward.ScheduleItem{perm}, []steward.AssignmentRule{
		{ID: "r1", Name: "capstone", Condition: "capstone", ItemID: perm.ID, Priority: 1, Enabled: true, Version: 1},
		{ID: "r2", Name: "rest", Condition: "true", ItemID: "grs-6.1-030", Priority: 2, Enabled: true, Version: 1},
	})
	a.pipeline.Records, a.pipeline.Router = hook, hook

	dana := &steward.Employee{UserName: "dana@agency.example.gov", DisplayName: "Dana Whitfield", Email: "dana@agency.example.gov",
		CapstoneOfficial: true, Active: true}
	lee := &steward.Employee{UserName: "lee@agency.example.gov", DisplayName: "Lee Park", Active: true}
	for _, p := range []struct {
		e    *steward.Employee
		addr string
		mode steward.IdentityMode
	}{{dana, "+12025550140", steward.IdentityGoverned}, {lee, "+12025550141", steward.IdentityLinked}} {
		if err := a.db.CreateEmployee(ctx, p.e); err != nil {
			t.Fatal(err)
		}
		if err := a.db.CreateIdentity(ctx, &steward.Identity{EmployeeID: p.e.ID, Channel: "signal", Address: p.addr,
			Mode: p.mode, Status: steward.IdentityActive}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.db.CreateContact(ctx, &steward.Contact{EmployeeID: dana.ID, Channel: "signal", Address: "+14155550140",
		DisplayName: "Riley Chen", ConsentState: steward.ConsentActive}); err != nil {
		t.Fatal(err)
	}
	capture := func(it *steward.Item) *pipeline.Captured {
		it.Type, it.Channel = steward.EventMessage, "signal"
		if it.SentAt.IsZero() {
			it.SentAt = time.Now().Add(-time.Minute)
		}
		c, err := a.pipeline.Capture(ctx, it)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := capture(&steward.Item{ChannelMessageID: "steward:d1", Direction: steward.DirOutbound,
		Sender: steward.Party{Address: "+12025550140"}, Recipients: []steward.Party{{Address: "+14155550140"}},
		Body: "The signed memo is attached.", Attachments: []steward.Attachment{{Filename: "memo.pdf", ContentType: "application/pdf",
			Data: []byte("%PDF-1.7 memo")}}})
	w.direct, w.attachment = c.Ref.ID, c.Attachments[0].ID
	w.reply = capture(&steward.Item{ChannelMessageID: "1700000000002", Direction: steward.DirInbound,
		Sender: steward.Party{Address: "+14155550140"}, Recipients: []steward.Party{{Address: "+12025550140"}},
		Body: "Received, thank you."}).Ref.ID
	g := capture(&steward.Item{ChannelMessageID: "steward:g1", Direction: steward.DirOutbound,
		Sender: steward.Party{Address: "+12025550140"}, Recipients: []steward.Party{{Address: "+12025550141"}},
		Conversation: steward.ConversationRef{ID: "grp-1", Kind: steward.ConversationGroup}, Body: "Staff meeting moved."})
	w.group, w.groupConv = g.Ref.ID, g.Conversation.ID
	w.late = capture(&steward.Item{ChannelMessageID: "1700000000004", Direction: steward.DirInbound,
		Sender: steward.Party{Address: "+14155550140"}, Recipients: []steward.Party{{Address: "+12025550141"}},
		Body: "Old news", SentAt: time.Now().Add(-25 * 24 * time.Hour)}).Ref.ID
	if err := a.db.CreateHold(ctx, &steward.Hold{ID: "hold-7", Name: "Staff meeting inquiry", Reason: "litigation",
		Owner: dana.ID, Conversations: []string{w.groupConv}, CreatedBy: "counsel", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestTransferCLI runs `steward transfer --due`, verifies the package with
// `steward transfer verify`, changes one byte of a message file and sees
// verify fail naming it, and builds a second package from --records.
func TestTransferCLI(t *testing.T) {
	w := seedTransfer(t)
	pub := filepath.Join(w.data, "keys", "log.pub")
	out := filepath.Join(t.TempDir(), "accession-2041")
	stdout, stderr, code := runSteward(t, "transfer", "--data", w.data, "--out", out, "--due")
	if code != 0 {
		t.Fatalf("transfer --due: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"held: " + w.group, "by hold-7", "2 records are due for transfer (1 held)", "wrote transfer package",
		"3 records (2 messages) in 1 conversations"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("transfer output lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "transfer 3/3 records (100%)") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
	stdout, stderr, code = runSteward(t, "transfer", "verify", "--public-key", pub, out)
	if code != 0 || !strings.Contains(stdout, "OK: transfer package") {
		t.Fatalf("transfer verify: exit %d\n%s\n%s", code, stdout, stderr)
	}

	emls, _ := filepath.Glob(filepath.Join(out, "conversations", "*", "*.eml"))
	if len(emls) != 2 {
		t.Fatalf("message files: %v", emls)
	}
	b, _ := os.ReadFile(emls[0])
	if !bytes.Contains(b, []byte("memo.pdf")) && !bytes.Contains(b, []byte("Received")) {
		t.Errorf("%s shows neither message:\n%s", emls[0], b)
	}
	i := bytes.Index(b, []byte("X-Steward-Record-ID"))
	b[i] = 'Y'
	os.WriteFile(emls[0], b, 0o600)
	rel, _ := filepath.Rel(out, emls[0])
	stdout, _, code = runSteward(t, "transfer", "verify", "--public-key", pub, out)
	if code != 1 || !strings.Contains(stdout, "BAD "+filepath.ToSlash(rel)+": SHA-256") {
		t.Errorf("a changed byte: exit %d\n%s", code, stdout)
	}

	out2 := filepath.Join(t.TempDir(), "one")
	if stdout, stderr, code := runSteward(t, "transfer", "--data", w.data, "--out", out2, "--records", w.reply); code != 0 ||
		!strings.Contains(stdout, "1 records (1 messages)") {
		t.Fatalf("transfer --records: exit %d\n%s\n%s", code, stdout, stderr)
	}
	stdout, _, code = runSteward(t, "transfer", "verify", "--json", out2)
	var rep struct {
		Records  int
		Problems []any
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil || rep.Records != 1 || len(rep.Problems) != 0 {
		t.Errorf("verify --json: exit %d\n%s", code, stdout)
	}

	// The reads were audited in the log, which still verifies.
	if stdout, stderr, code := runSteward(t, "verify", "--data", w.data); code != 0 {
		t.Errorf("steward verify after transfers: exit %d\n%s\n%s", code, stdout, stderr)
	}

	tomorrow := time.Now().AddDate(0, 0, 2).Format(time.DateOnly)
	for _, args := range [][]string{
		{"--due"}, // no --out
		{"--out", filepath.Join(t.TempDir(), "x")}, // neither --due nor --records
		{"--out", filepath.Join(t.TempDir(), "x"), "--due", "--records", w.reply},
		{"--out", filepath.Join(t.TempDir(), "x"), "--due", "--through", tomorrow},
		{"--out", out2, "--records", w.reply}, // exists
		{"--out", filepath.Join(t.TempDir(), "x"), "--records", w.attachment},
	} {
		if _, stderr, code := runSteward(t, append([]string{"transfer", "--data", w.data}, args...)...); code != 1 {
			t.Errorf("transfer %v: exit %d, want 1\n%s", args, code, stderr)
		}
	}
	// A date before anything was captured: nothing is due.
	if stdout, _, code := runSteward(t, "transfer", "--data", w.data, "--out", filepath.Join(t.TempDir(), "x"),
		"--due", "--through", "2020-01-01"); code != 0 || !strings.Contains(stdout, "no records are due") {
		t.Errorf("--through 2020-01-01: exit %d\n%s", code, stdout)
	}
}

// TestReportFRACLI runs `steward report fra` and checks the lag figures,
// the message over the threshold and the signed summary.
func TestReportFRACLI(t *testing.T) {
	w := seedTransfer(t)
	stdout, stderr, code := runSteward(t, "report", "fra", "--data", w.data, "--json")
	if code != 0 {
		t.Fatalf("report fra: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var rep struct {
		Messages      int    `json:"messages"`
		OverThreshold int    `json:"over_threshold"`
		Threshold     string `json:"threshold"`
		SignedSummary string `json:"signed_summary"`
		Groups        []struct {
			Channel, Mode string
			Count         int
			Over          []struct {
				RecordID string `json:"record_id"`
			}
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Messages != 4 || rep.OverThreshold != 1 || rep.Threshold != "480h0m0s" || len(rep.Groups) != 2 {
		t.Fatalf("report: %+v", rep)
	}
	// Lee's number is linked: the late message to Lee, and Dana's group
	// message that Lee received, are in the linked group.
	if g := rep.Groups[1]; g.Mode != "linked" || g.Count != 2 || len(g.Over) != 1 || g.Over[0].RecordID != w.late {
		t.Errorf("linked group: %+v", g)
	}
	pub, _ := os.ReadFile(filepath.Join(w.data, "keys", "log.pub"))
	v, err := archive.NewVerifier(strings.TrimSpace(string(pub)))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := fra.Open([]byte(rep.SignedSummary), v)
	if err != nil {
		t.Fatalf("the signed summary does not verify: %v\n%s", err, rep.SignedSummary)
	}
	if signed.OverThreshold() != 1 || signed.Messages() != 4 {
		t.Errorf("signed summary: %+v", signed)
	}

	stdout, _, code = runSteward(t, "report", "fra", "--data", w.data)
	for _, want := range []string{"4 messages", "threshold 20d", w.late, "signal/linked  25d", "Signed summary", "steward fra capture-lag report v1"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("report text lacks %q (exit %d):\n%s", want, code, stdout)
		}
	}
	if stdout, _, code := runSteward(t, "report", "fra", "--data", w.data, "--threshold", "30d"); code != 0 ||
		!strings.Contains(stdout, "No message was captured more than 30d") {
		t.Errorf("--threshold 30d: exit %d\n%s", code, stdout)
	}
	for _, bad := range []string{"0d", "twenty", "-1h"} {
		if _, _, code := runSteward(t, "report", "fra", "--data", w.data, "--threshold", bad); code != 1 {
			t.Errorf("--threshold %s: exit %d", bad, code)
		}
	}
}
