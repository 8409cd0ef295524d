package transfer_test

import (
	"context"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/archivetest"
	"github.com/steward-gov/steward/internal/pipeline"
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
	s := archivetest.New(t, archivetest.Origin("steward/transfer-test"))
	e := &env{t: t, ctx: ctx, dir: s.Dir, db: s.DB, log: s.Log, pipe: s.Pipeline, reader: s.Reader, signer: s.Signer,
		vkey: s.VKey, contacts: map[string]string{}}
	hook := archivetest.Rules(t, s.DB, []steward.ScheduleItem{permItem}, []steward.AssignmentRule{
		{ID: "r1", Name: "capstone", Condition: "capstone", ItemID: permItem.ID, Priority: 1, Enabled: true, Version: 1},
		{ID: "r2", Name: "everyone-else", Condition: "true", ItemID: "grs-6.1-030", Priority: 2, Enabled: true, Version: 1},
	})
	e.pipe.Records, e.pipe.Router = hook, hook

	e.dana = e.employee("dana@agency.example.gov", "Dana Whitfield", danaAddr, true, steward.IdentityGoverned)
	e.lee = e.employee("lee@agency.example.gov", "Lee Park", leeAddr, false, steward.IdentityLinked)
	for _, c := range []struct{ addr, name string }{{rileyAddr, "Riley Chen"}, {samAddr, "Sam Okafor"}} {
		ct := &steward.Contact{EmployeeID: e.dana.ID, Channel: signal, Address: c.addr, DisplayName: c.name,
			ConsentState: steward.ConsentActive}
		if err := e.db.CreateContact(ctx, ct); err != nil {
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
