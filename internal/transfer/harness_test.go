package transfer_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/keys"
	"github.com/steward-gov/steward/internal/localfs"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/records"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
	"github.com/steward-gov/steward/internal/transfer"
)

// The test organization. Dana is a Capstone official with a governed
// Signal number; Lee is support staff whose own phone is linked; Riley and
// Sam are outside contacts of Dana's.
const (
	danaAddr  = "+12025550140"
	leeAddr   = "+12025550141"
	rileyAddr = "+14155550140"
	samAddr   = "+14155550141"
	signal    = steward.Channel("signal")
)

// permItem is a permanent item whose transfer is due at capture, so that
// records captured now are due now.
var permItem = steward.ScheduleItem{ID: "agency-perm-900", Schedule: "Agency test schedule", Item: "900",
	Title: "Case files of Capstone officials", Authority: "DAA-AGENCY-TEST-0900", Permanent: true,
	Cutoff: steward.CutoffRule{Period: steward.CutoffNone}, Action: steward.DispositionTransfer}

// env is an archive built from real parts: a SQLite file, the sealed blob
// directory, the archive log, the key envelope and the capture pipeline,
// with a records hook that assigns schedules by CEL rules as the records
// service does: Capstone conversations to permItem, the rest to GRS 6.1
// item 030.
type env struct {
	t         testing.TB
	ctx       context.Context
	dir       string
	db        *sqlite.DB
	log       *archive.Log
	pipe      *pipeline.Pipeline
	reader    *pipeline.Reader
	signer    note.Signer
	vkey      string
	dana, lee *steward.Employee
	contacts  map[string]string // address → contact id
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(filepath.Join(dir, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := localfs.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	var k [32]byte
	rand.Read(k[:])
	kr, err := keys.ParseKeyring(base64.StdEncoding.EncodeToString(k[:]))
	if err != nil {
		t.Fatal(err)
	}
	envelope := &keys.Envelope{KEK: kr}
	skey, vkey, err := archive.GenerateKey("steward/transfer-test")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := archive.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	lg, err := archive.Open(ctx, db, signer, archive.Options{Origin: signer.Name(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		lg.Close(context.Background())
		db.Close()
	})
	e := &env{t: t, ctx: ctx, dir: dir, db: db, log: lg, signer: signer, vkey: vkey, contacts: map[string]string{}}
	e.reader = &pipeline.Reader{Records: db, Opener: envelope, Blobs: blobs}
	e.pipe = &pipeline.Pipeline{Log: lg, Sealer: envelope, Blobs: blobs, Conversations: db, Index: db,
		Identity: &pipeline.DirectoryResolver{Identities: db, Contacts: db}, Logger: logger}

	sched := records.BuiltinSchedules()
	sched.Items = append(sched.Items, permItem)
	for _, it := range sched.Items {
		it.Version = 0
		if _, err := db.SaveScheduleItem(ctx, &it); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := db.Schedule(ctx)
	if err != nil {
		t.Fatal(err)
	}
	asg, err := records.Compile(stored, []steward.AssignmentRule{
		{ID: "r1", Name: "capstone", Condition: "capstone", ItemID: permItem.ID, Priority: 1, Enabled: true, Version: 1},
		{ID: "r2", Name: "everyone-else", Condition: "true", ItemID: "grs-6.1-030", Priority: 2, Enabled: true, Version: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	hook := &ruleHook{t: t, db: db, a: asg}
	e.pipe.Records, e.pipe.Router = hook, hook

	e.dana = e.employee("dana@agency.example.gov", "Dana Whitfield", danaAddr, true, steward.IdentityGoverned)
	e.lee = e.employee("lee@agency.example.gov", "Lee Park", leeAddr, false, steward.IdentityLinked)
	for _, c := range []struct{ addr, name string }{{rileyAddr, "Riley Chen"}, {samAddr, "Sam Okafor"}} {
		ct := &steward.Contact{EmployeeID: e.dana.ID, Channel: signal, Address: c.addr, DisplayName: c.name,
			ConsentState: steward.ConsentActive}
		if err := db.CreateContact(ctx, ct); err != nil {
			t.Fatal(err)
		}
		e.contacts[c.addr] = ct.ID
	}
	return e
}

func (e *env) employee(user, name, addr string, capstone bool, mode steward.IdentityMode) *steward.Employee {
	e.t.Helper()
	emp := &steward.Employee{UserName: user, DisplayName: name, Email: user, CapstoneOfficial: capstone, Active: true}
	if err := e.db.CreateEmployee(e.ctx, emp); err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.CreateIdentity(e.ctx, &steward.Identity{EmployeeID: emp.ID, Channel: signal, Address: addr,
		Mode: mode, Status: steward.IdentityActive}); err != nil {
		e.t.Fatal(err)
	}
	return emp
}

// ruleHook is the pipeline's records hook: the facts at capture, through
// the compiled assignment rules.
type ruleHook struct {
	t  testing.TB
	db *sqlite.DB
	a  *records.Assigner
}

func (h *ruleHook) Assign(ctx context.Context, it *steward.Item, conv *steward.Conversation, _ *pipeline.Decision) (*steward.Assignment, error) {
	in := records.Input{Kind: steward.RecordMessage, Channel: it.Channel, Direction: it.Direction}
	if it.Type != steward.EventMessage {
		in.Kind = steward.RecordEvent
	}
	if conv != nil {
		in.ConversationType = conv.Kind
	}
	for i, p := range append([]steward.Party{it.Sender}, it.Recipients...) {
		rp := records.Participant{EmployeeID: p.EmployeeID, Sender: i == 0}
		if p.EmployeeID != "" {
			emp, err := h.db.EmployeeByID(ctx, p.EmployeeID)
			if err != nil {
				return nil, err
			}
			rp.Capstone = emp.CapstoneOfficial
		}
		in.Participants = append(in.Participants, rp)
	}
	a := h.a.Assign(in)
	return &a, nil
}

// Route indexes the assignment of the item and its attachments, as the
// records service does after capture.
func (h *ruleHook) Route(ctx context.Context, c *pipeline.Captured) {
	rec, err := h.db.RecordByID(ctx, c.Ref.ID)
	if err != nil {
		h.t.Error(err)
		return
	}
	var meta steward.RecordMeta
	if err := json.Unmarshal(rec.Meta, &meta); err != nil || meta.Schedule == nil {
		h.t.Errorf("record %s has no assignment", rec.ID)
		return
	}
	as := []steward.RecordAssignment{{RecordID: rec.ID, Assignment: *meta.Schedule}}
	for _, a := range c.Attachments {
		as = append(as, steward.RecordAssignment{RecordID: a.ID, Assignment: *meta.Schedule})
	}
	if err := h.db.AddAssignments(ctx, as); err != nil {
		h.t.Error(err)
	}
}

// capture archives an item and returns its captured form.
func (e *env) capture(it *steward.Item) *pipeline.Captured {
	e.t.Helper()
	if it.SentAt.IsZero() {
		it.SentAt = time.Now().Add(-time.Minute)
	}
	c, err := e.pipe.Capture(e.ctx, it)
	if err != nil {
		e.t.Fatalf("capture %q: %v", it.Body, err)
	}
	return c
}

func msg(id string, dir steward.Direction, from, to, body string, atts ...steward.Attachment) *steward.Item {
	return &steward.Item{Type: steward.EventMessage, Channel: signal, ChannelMessageID: id, Direction: dir,
		Sender: steward.Party{Address: from}, Recipients: []steward.Party{{Address: to}}, Body: body, Attachments: atts}
}

// act is an event on the message with channel id target.
func act(typ steward.EventType, id, target string, dir steward.Direction, from, to string) *steward.Item {
	return &steward.Item{Type: typ, Channel: signal, ChannelMessageID: id, Target: target, Direction: dir,
		Sender: steward.Party{Address: from}, Recipients: []steward.Party{{Address: to}}}
}

// deps wires Build to the env.
func (e *env) deps() transfer.Deps {
	return transfer.Deps{Store: e.db, Log: e.log, Reader: e.reader, Audit: e.pipe, Signer: e.signer,
		PublicKey: e.vkey, Actor: "records-manager-1"}
}
