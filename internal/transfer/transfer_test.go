package transfer_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/recordkeeping"
	"github.com/steward-gov/steward/internal/steward"
	"github.com/steward-gov/steward/internal/transfer"
)

var photo = bytes.Repeat([]byte{0xff, 0xd8, 'J', 'P', 'G', 0}, 700)

// world is what scenario captured.
type world struct {
	m1, m2, edit, react, del, group, other *pipeline.Captured
	groupConv                              string
}

// scenario captures a direct conversation between Dana (Capstone) and
// Riley with an attachment, a reply, an edit, a reaction and a deletion;
// a group message of Dana's; and a message between Lee and Sam, who are
// not Capstone officials.
func (e *env) scenario() world {
	var w world
	w.m1 = e.capture(msg("steward:m1", steward.DirOutbound, danaAddr, rileyAddr, "Draft attached",
		steward.Attachment{Filename: "photo.jpg", ContentType: "image/jpeg", Data: photo}))
	reply := msg("1700000000002", steward.DirInbound, rileyAddr, danaAddr, "Thanks, looks good")
	reply.ReplyTo = "steward:m1"
	w.m2 = e.capture(reply)
	ed := act(steward.EventEdit, "steward:e1", "steward:m1", steward.DirOutbound, danaAddr, rileyAddr)
	ed.Body = "Revised draft attached"
	w.edit = e.capture(ed)
	re := act(steward.EventReaction, "steward:r1", "1700000000002", steward.DirOutbound, danaAddr, rileyAddr)
	re.Emoji = "👍"
	w.react = e.capture(re)
	w.del = e.capture(act(steward.EventDelete, "1700000000003", "1700000000002", steward.DirInbound, rileyAddr, danaAddr))
	g := msg("steward:g1", steward.DirOutbound, danaAddr, leeAddr, "Budget meeting at 10")
	g.Recipients = append(g.Recipients, steward.Party{Address: samAddr})
	g.Conversation = steward.ConversationRef{ID: "grp-budget", Kind: steward.ConversationGroup, Title: "Budget 2027"}
	w.group = e.capture(g)
	w.groupConv = w.group.Conversation.ID
	w.other = e.capture(msg("1700000000009", steward.DirOutbound, leeAddr, samAddr, "Lunch?"))
	return w
}

func (e *env) hold(id string, conversations ...string) {
	e.t.Helper()
	if err := e.db.CreateHold(e.ctx, &steward.Hold{ID: id, Name: "Litigation " + id, Reason: "FOIA litigation",
		Owner: e.dana.ID, Conversations: conversations, CreatedBy: "counsel", CreatedAt: time.Now()}); err != nil {
		e.t.Fatal(err)
	}
}

func ids(cs []transfer.Candidate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.RecordID)
	}
	return out
}

// TestDue selects the permanent records due for transfer: Capstone
// records yes, support staff's no, held ones listed apart until the hold
// is released.
func TestDue(t *testing.T) {
	e := newEnv(t)
	w := e.scenario()
	e.hold("hold-1", w.groupConv)
	sel, err := transfer.Due(e.ctx, e.db, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{w.m1.Ref.ID, w.m2.Ref.ID, w.edit.Ref.ID, w.react.Ref.ID, w.del.Ref.ID}
	if got := ids(sel.Due); !slices.Equal(got, want) {
		t.Errorf("due = %v, want %v", got, want)
	}
	if got := ids(sel.Held); !slices.Equal(got, []string{w.group.Ref.ID}) || !slices.Equal(sel.Held[0].HeldBy, []string{"hold-1"}) {
		t.Errorf("held = %+v, want the group message held by hold-1", sel.Held)
	}
	for _, c := range sel.Due {
		if c.ItemID != permItem.ID || c.Authority != permItem.Authority {
			t.Errorf("due %s on %s (%s)", c.RecordID, c.ItemID, c.Authority)
		}
	}
	// Before the records existed, nothing was due.
	if sel, err := transfer.Due(e.ctx, e.db, time.Now().Add(-time.Hour), nil); err != nil || len(sel.Due)+len(sel.Held) != 0 {
		t.Errorf("an hour ago: %+v, %v", sel, err)
	}
	if err := e.db.ReleaseHold(e.ctx, "hold-1", "counsel", "case closed", time.Now()); err != nil {
		t.Fatal(err)
	}
	sel, err = transfer.Due(e.ctx, e.db, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(sel.Due); !slices.Contains(got, w.group.Ref.ID) || len(sel.Held) != 0 {
		t.Errorf("after release: due %v, held %v", got, ids(sel.Held))
	}
	// A reassignment off the permanent item takes the record out.
	if err := e.db.Reassign(e.ctx, steward.RecordAssignment{RecordID: w.m2.Ref.ID,
		Assignment: steward.Assignment{ItemID: "grs-6.1-020"}, AssignedBy: "rm", Reason: "not a Capstone record"}); err != nil {
		t.Fatal(err)
	}
	if sel, _ := transfer.Due(e.ctx, e.db, time.Now(), nil); slices.Contains(ids(sel.Due), w.m2.Ref.ID) {
		t.Error("a record reassigned to a temporary item is still due for transfer")
	}
}

// build makes a package of the due records into a new directory.
func (e *env) build(t *testing.T, recordIDs []string) (string, *transfer.Manifest) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "pkg")
	var last, total int64
	m, err := transfer.Build(e.ctx, e.deps(), recordIDs, out, func(done, n int64) { last, total = done, n })
	if err != nil {
		t.Fatal(err)
	}
	if last != total || total != int64(len(m.Records)) {
		t.Errorf("progress ended at %d of %d, %d records", last, total, len(m.Records))
	}
	return out, m
}

func TestBuildAndVerify(t *testing.T) {
	e := newEnv(t)
	w := e.scenario()
	e.hold("hold-1", w.groupConv)
	sel, err := transfer.Due(e.ctx, e.db, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir, m := e.build(t, sel.IDs())

	att := w.m1.Attachments[0].ID
	wantIDs := []string{w.m1.Ref.ID, att, w.m2.Ref.ID, w.edit.Ref.ID, w.react.Ref.ID, w.del.Ref.ID}
	var got []string
	files := map[string]string{}
	for _, r := range m.Records {
		got = append(got, r.RecordID)
		files[r.RecordID] = r.File
	}
	if !slices.Equal(got, wantIDs) {
		t.Fatalf("records %v, want %v", got, wantIDs)
	}
	if s := m.Summary(); s.Messages != 2 || s.Conversations != 1 || s.Records != 6 {
		t.Errorf("summary %+v", s)
	}
	// The edit and the attachment show in the first message's file, the
	// reaction and deletion in the reply's.
	if files[att] != files[w.m1.Ref.ID] || files[w.edit.Ref.ID] != files[w.m1.Ref.ID] ||
		files[w.react.Ref.ID] != files[w.m2.Ref.ID] || files[w.del.Ref.ID] != files[w.m2.Ref.ID] {
		t.Errorf("files: %v", files)
	}
	if !strings.HasPrefix(files[w.m1.Ref.ID], "conversations/"+w.m1.Conversation.ID+"/") {
		t.Errorf("m1 is in %s", files[w.m1.Ref.ID])
	}

	h, text, parts := readEML(t, filepath.Join(dir, files[w.m1.Ref.ID]))
	if from := h.Get("From"); !strings.Contains(from, "Dana Whitfield") || !strings.Contains(from, "dana@agency.example.gov") {
		t.Errorf("From: %s", from)
	}
	if to := h.Get("To"); !strings.Contains(to, "Riley Chen") {
		t.Errorf("To: %s", to)
	}
	if h.Get("X-Steward-Record-ID") != w.m1.Ref.ID || h.Get("Date") == "" {
		t.Errorf("headers: %v", h)
	}
	for _, s := range []string{"EDIT 1 of 1", "Draft attached", "Revised draft attached"} {
		if !strings.Contains(text, s) {
			t.Errorf("m1's text lacks %q:\n%s", s, text)
		}
	}
	if !bytes.Equal(parts["photo.jpg"], photo) {
		t.Errorf("the attachment is not the captured bytes (%d parts)", len(parts))
	}
	_, text, _ = readEML(t, filepath.Join(dir, files[w.m2.Ref.ID]))
	for _, s := range []string{"Thanks, looks good", "DELETED", "REACTION 👍", "reply to [" + w.m1.Ref.ID + "]"} {
		if !strings.Contains(text, s) {
			t.Errorf("m2's text lacks %q:\n%s", s, text)
		}
	}

	var rows []transfer.Row
	readJSON(t, filepath.Join(dir, transfer.MetadataJSON), &rows)
	byID := map[string]transfer.Row{}
	for _, r := range rows {
		byID[r.RecordID] = r
	}
	r1 := byID[w.m1.Ref.ID]
	if r1.SenderName != "Dana Whitfield" || !slices.Equal(r1.RecipientNames, []string{"Riley Chen"}) ||
		r1.Creator != "Dana Whitfield <"+danaAddr+">" || r1.ScheduleItem != permItem.ID || r1.Authority != permItem.Authority ||
		r1.Schedule != "Agency test schedule item 900" || r1.SentAt == "" || r1.CreationDate != r1.SentAt || r1.Kind != "message" {
		t.Errorf("m1 row: %+v", r1)
	}
	if a := byID[att]; a.Parent != w.m1.Ref.ID || a.AttachmentName != "photo.jpg" || a.AttachmentSize != int64(len(photo)) ||
		a.FileName != r1.FileName || a.Sender != danaAddr {
		t.Errorf("attachment row: %+v", a)
	}
	if ed := byID[w.edit.Ref.ID]; ed.ActsOn != w.m1.Ref.ID || ed.EventType != "edit" {
		t.Errorf("edit row: %+v", ed)
	}
	if r2 := byID[w.m2.Ref.ID]; r2.SenderName != "Riley Chen" || r2.Direction != "inbound" {
		t.Errorf("m2 row: %+v", r2)
	}
	f, err := os.Open(filepath.Join(dir, transfer.MetadataCSV))
	if err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(f)
	cr.Comma = '|'
	all, err := cr.ReadAll()
	f.Close()
	if err != nil || len(all) != 1+len(wantIDs) || !slices.Equal(all[0], transfer.Columns) {
		t.Fatalf("metadata.csv: %d lines, %v", len(all), err)
	}

	rep, err := transfer.Verify(dir, transfer.VerifyOptions{PublicKey: e.vkey})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Records != 6 || rep.PackageID != m.PackageID {
		t.Fatalf("verify: %+v", rep)
	}

	// The read of content is in the audit trail, with its purpose.
	audits := e.audits("transfer.read")
	if len(audits) != 1 || audits[0].Subject != m.PackageID || audits[0].Actor != "records-manager-1" ||
		audits[0].Details["purpose"] != "transfer" || len(audits[0].Details["records"].([]any)) != 6 {
		t.Errorf("audit: %+v", audits)
	}
}

// TestVerifyNamesTamperedFile changes one byte at a time, in every file
// of a package, and checks that Verify fails naming that file; then
// removes, adds and replaces files.
func TestVerifyNamesTamperedFile(t *testing.T) {
	e := newEnv(t)
	e.scenario()
	sel, err := transfer.Due(e.ctx, e.db, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := e.build(t, sel.IDs())
	var names []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			names = append(names, filepath.ToSlash(rel))
		}
		return err
	})
	if len(names) < 9 {
		t.Fatalf("only %d files: %v", len(names), names)
	}
	for _, name := range names {
		p := filepath.Join(dir, filepath.FromSlash(name))
		orig, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range []int{0, len(orig) / 3, len(orig) / 2, len(orig) - 1} {
			b := bytes.Clone(orig)
			b[at] ^= 0x01
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			rep, err := transfer.Verify(dir, transfer.VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() || !slices.ContainsFunc(rep.Problems, func(p transfer.Problem) bool { return p.File == name }) {
				t.Errorf("byte %d of %s changed: problems %v", at, name, rep.Problems)
			}
		}
		if err := os.WriteFile(p, orig, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if rep, _ := transfer.Verify(dir, transfer.VerifyOptions{}); !rep.OK() {
		t.Fatalf("restored package: %v", rep.Problems)
	}

	names = slices.DeleteFunc(names, func(n string) bool { return !strings.HasSuffix(n, ".eml") })
	eml := filepath.Join(dir, filepath.FromSlash(names[0]))
	orig, _ := os.ReadFile(eml)
	os.Remove(eml)
	wantProblem(t, dir, transfer.VerifyOptions{}, names[0], "missing")
	os.WriteFile(eml, orig, 0o600)

	stray := filepath.Join(dir, "conversations", "extra.eml")
	os.WriteFile(stray, []byte("From: someone\r\n\r\nhi\r\n"), 0o600)
	wantProblem(t, dir, transfer.VerifyOptions{}, "conversations/extra.eml", "not listed")
	os.Remove(stray)

	_, other, _ := archive.GenerateKey("steward/transfer-test")
	wantProblem(t, dir, transfer.VerifyOptions{PublicKey: other}, transfer.PublicKeyFile, "not the expected public key")
	if rep, _ := transfer.Verify(dir, transfer.VerifyOptions{PublicKey: e.vkey}); !rep.OK() {
		t.Fatalf("restored package: %v", rep.Problems)
	}
}

func wantProblem(t *testing.T, dir string, opts transfer.VerifyOptions, file, what string) {
	t.Helper()
	rep, err := transfer.Verify(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rep.Problems, func(p transfer.Problem) bool { return p.File == file && strings.Contains(p.What, what) }) {
		t.Errorf("want a problem with %s (%q); got %v", file, what, rep.Problems)
	}
}

func TestBuildRefuses(t *testing.T) {
	e := newEnv(t)
	w := e.scenario()
	out := filepath.Join(t.TempDir(), "pkg")
	d := e.deps()
	cases := []struct {
		name string
		ids  []string
		kind steward.Kind
	}{
		{"nothing", nil, steward.Invalid},
		{"unknown record", []string{"00000000-0000-7000-8000-000000000000"}, steward.NotFound},
		{"an attachment alone", []string{w.m1.Attachments[0].ID}, steward.Invalid},
	}
	for _, c := range cases {
		if _, err := transfer.Build(e.ctx, d, c.ids, out, nil); !steward.Is(c.kind, err) {
			t.Errorf("%s: %v, want %v", c.name, err, c.kind)
		}
	}
	ref, err := e.pipe.Audit(e.ctx, pipeline.AuditEntry{Actor: "t", Action: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := transfer.Build(e.ctx, d, []string{ref.ID}, out, nil); !steward.Is(steward.Invalid, err) {
		t.Errorf("an audit record: %v", err)
	}
	bad := d
	_, other, _ := archive.GenerateKey("steward/transfer-test")
	bad.PublicKey = other
	if _, err := transfer.Build(e.ctx, bad, []string{w.m1.Ref.ID}, out, nil); !steward.Is(steward.Invalid, err) {
		t.Errorf("another key: %v", err)
	}
	if err := e.db.ShredKey(e.ctx, w.m2.Ref.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := transfer.Build(e.ctx, d, []string{w.m2.Ref.ID}, out, nil); !steward.Is(steward.Gone, err) {
		t.Errorf("a shredded record: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused build left %s behind: %v", out, err)
	}
	os.MkdirAll(out, 0o700)
	if _, err := transfer.Build(e.ctx, d, []string{w.m1.Ref.ID}, out, nil); !steward.Is(steward.Conflict, err) {
		t.Errorf("an existing directory: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".pkg.partial-*")); len(left) != 0 {
		t.Errorf("partial directories left: %v", left)
	}
}

// TestBuildGroupAndStandaloneEvents packages a group message, whose
// addressees are the group's members, and an event whose message is not
// in the package, which gets a file of its own.
func TestBuildGroupAndStandaloneEvents(t *testing.T) {
	e := newEnv(t)
	w := e.scenario()
	dir, m := e.build(t, []string{w.group.Ref.ID, w.del.Ref.ID})
	if len(m.Records) != 2 || m.Records[0].File == m.Records[1].File {
		t.Fatalf("records: %+v", m.Records)
	}
	var rows []transfer.Row
	readJSON(t, filepath.Join(dir, transfer.MetadataJSON), &rows)
	byID := map[string]transfer.Row{}
	for _, r := range rows {
		byID[r.RecordID] = r
	}
	g := byID[w.group.Ref.ID]
	if !slices.Equal(g.Recipients, []string{leeAddr, samAddr}) || !slices.Equal(g.RecipientNames, []string{"Lee Park", "Sam Okafor"}) ||
		g.Subject != "Budget 2027" {
		t.Errorf("group row: %+v", g)
	}
	d := byID[w.del.Ref.ID]
	if d.ActsOn != "" || d.EventType != "delete" {
		t.Errorf("standalone delete row: %+v", d)
	}
	_, text, _ := readEML(t, filepath.Join(dir, d.FileName))
	if !strings.Contains(text, "Deleted channel message 1700000000002 (not in this package)") {
		t.Errorf("standalone event text:\n%s", text)
	}
	if rep, _ := transfer.Verify(dir, transfer.VerifyOptions{}); !rep.OK() {
		t.Fatalf("verify: %v", rep.Problems)
	}
}

// readEML parses a message with the standard library: its header, its
// decoded text and its attachments by file name.
func readEML(t *testing.T, path string) (mail.Header, string, map[string][]byte) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msg, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string][]byte{}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		b, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		return msg.Header, string(b), parts
	}
	var text string
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // multipart decodes quoted-printable itself
		if name := p.FileName(); name != "" {
			dec := make([]byte, len(b))
			n, err := base64.StdEncoding.Decode(dec, b)
			if err != nil {
				t.Fatal(err)
			}
			parts[name] = dec[:n]
		} else {
			text = string(b)
		}
	}
	return msg.Header, text, parts
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// audits returns the archived audit records of an action, opened.
func (e *env) audits(action string) []auditEntry {
	e.t.Helper()
	recs, err := e.db.RecordsByKind(e.ctx, steward.RecordAudit, -1, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []auditEntry
	for _, r := range recs {
		m, c, err := e.reader.OpenRecord(e.ctx, r)
		if err != nil {
			e.t.Fatal(err)
		}
		if m.Action == action {
			out = append(out, auditEntry{Actor: m.Actor, Subject: m.Subject, Details: c.Details})
		}
	}
	return out
}

type auditEntry struct {
	Actor, Subject string
	Details        map[string]any
}

// flagger is a policy hook that flags one message, so that it gets an
// archived policy decision.
type flagger struct{}

func (flagger) Decide(_ context.Context, it *steward.Item, _ *steward.Conversation) (*pipeline.Decision, error) {
	if it.Type != steward.EventMessage || !strings.Contains(it.Body, "flag me") {
		return nil, nil
	}
	return &pipeline.Decision{Outcome: steward.PolicyOutcome{Action: steward.ActionAllow, Flag: true},
		Details: map[string]any{"rule": "test"}}, nil
}

// TestBatchHook builds the package of a transfer batch as the records
// service hands it over: messages with their attachments and policy
// decisions listed too. A second call finds the package built.
func TestBatchHook(t *testing.T) {
	e := newEnv(t)
	e.pipe.Policy = flagger{}
	w := e.scenario()
	flagged := e.capture(msg("steward:f1", steward.DirOutbound, danaAddr, rileyAddr, "flag me"))
	if flagged.DecisionRef == nil {
		t.Fatal("no archived policy decision")
	}
	b := &steward.DispositionBatch{ID: "batch-7", Action: steward.DispositionTransfer, ExecutedBy: "rm-2"}
	for _, id := range []string{w.m1.Ref.ID, w.m1.Attachments[0].ID, w.m2.Ref.ID, flagged.Ref.ID, flagged.DecisionRef.ID} {
		b.Records = append(b.Records, steward.BatchRecord{RecordID: id})
	}
	dir := t.TempDir()
	d := e.deps()
	d.Actor = ""
	hook := transfer.BatchHook(d, dir)
	// It is the records service's hook, as cmd/steward wires it.
	var svc recordkeeping.Service
	svc.Transfer = hook
	if err := hook(e.ctx, b); err != nil {
		t.Fatal(err)
	}
	rep, err := transfer.Verify(filepath.Join(dir, "batch-7"), transfer.VerifyOptions{PublicKey: e.vkey})
	if err != nil || !rep.OK() || rep.PackageID != "batch-7" || rep.Records != 5 {
		t.Fatalf("package: %+v %v", rep, err)
	}
	var rows []transfer.Row
	readJSON(t, filepath.Join(dir, "batch-7", transfer.MetadataJSON), &rows)
	i := slices.IndexFunc(rows, func(r transfer.Row) bool { return r.RecordID == flagged.DecisionRef.ID })
	if i < 0 || rows[i].Kind != "policy" || rows[i].Parent != flagged.Ref.ID || rows[i].EventType != "policy_decision" {
		t.Errorf("decision row: %+v", rows)
	}
	if a := e.audits("transfer.read"); len(a) != 1 || a[0].Actor != "rm-2" {
		t.Errorf("audit: %+v", a)
	}
	if err := hook(e.ctx, b); err != nil {
		t.Errorf("a resumed execution: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "batch-7", transfer.ReadmeFile), []byte("x"), 0o600)
	if err := hook(e.ctx, b); !steward.Is(steward.Conflict, err) {
		t.Errorf("a damaged package in place: %v", err)
	}
	// A decision without its message is refused.
	if _, err := transfer.Build(e.ctx, e.deps(), []string{flagged.DecisionRef.ID}, filepath.Join(t.TempDir(), "p"), nil); !steward.Is(steward.Invalid, err) {
		t.Errorf("a policy decision alone: %v", err)
	}
}
