package recordkeeping_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/archivetest"
	"github.com/steward-gov/steward/internal/compliance"
	"github.com/steward-gov/steward/internal/keys"
	"github.com/steward-gov/steward/internal/localfs"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/recordkeeping"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

// The addresses of the test organization. Dana is staff, Max a
// supervisor (by an identity-provider group mapped to the role) and Carla
// a Capstone official; all hold governed Signal numbers. Riley and Sam
// are outside parties.
const (
	danaAddr    = "+12025550160"
	maxAddr     = "+12025550161"
	carlaAddr   = "+12025550162"
	rileyAddr   = "+14155550160"
	samAddr     = "+14155550161"
	testChannel = steward.Channel("signal")
)

// env is the records service wired into a capture pipeline built from
// real parts, as cmd/steward wires it: a SQLite file, the sealed blob
// directory, the archive log, the key envelope and the compliance
// service (with one policy that flags SSNs, so some items get an archived
// policy decision). The records service is the pipeline's records hook
// and, after compliance, a router.
type env struct {
	t        testing.TB
	ctx      context.Context
	db       *sqlite.DB
	blobs    *localfs.Store
	log      *archive.Log
	pipe     *pipeline.Pipeline
	reader   *pipeline.Reader
	envelope *keys.Envelope
	verifier note.Verifier
	svc      *recordkeeping.Service
	policy   *compliance.Service

	dana, max, carla *steward.Employee
	supervisors      *steward.Group
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	s := archivetest.New(t, archivetest.Origin("steward/records-test"))
	db, logger := s.DB, s.Logger
	e := &env{t: t, ctx: ctx, db: db, blobs: s.Blobs, log: s.Log, pipe: s.Pipeline, reader: s.Reader, envelope: s.Envelope,
		verifier: s.Verifier}
	e.svc = &recordkeeping.Service{Store: db, Pipeline: e.pipe, Blobs: s.Blobs, Signer: s.Signer, Logger: logger,
		Open: e.reader.OpenRecord}
	e.policy = &compliance.Service{Store: db, Pipeline: e.pipe, Reader: e.reader, EDMKey: s.Keyring.DeriveKey("dlp exact data match v1"),
		Logger: logger}
	e.pipe.Policy, e.pipe.Records = e.policy, e.svc
	e.pipe.Router = pipeline.Routers{e.policy, e.svc}

	e.dana = e.employee("dana@agency.example.gov", "Dana Whitfield", danaAddr, false)
	e.max = e.employee("max@agency.example.gov", "Max Ortiz", maxAddr, false)
	e.carla = e.employee("carla@agency.example.gov", "Carla Reyes", carlaAddr, true)
	if err := db.SetRoleMappings(ctx, []steward.RoleMapping{{Group: "Supervisors", Role: steward.RoleSupervisor}}); err != nil {
		t.Fatal(err)
	}
	e.supervisors = &steward.Group{DisplayName: "Supervisors", Members: []string{e.max.ID}}
	if err := db.CreateGroup(ctx, e.supervisors); err != nil {
		t.Fatal(err)
	}
	if err := e.policy.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.policy.SavePolicy(ctx, "admin", &steward.Policy{Name: "ssn-flag", Kind: steward.PolicyMessage,
		Condition: `finding("us_ssn") > 0`, Action: steward.ActionFlag, Reason: "An SSN.", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if items, rules, err := e.svc.InstallDefaults(ctx, "system"); err != nil || items != 5 || rules != 3 {
		t.Fatalf("install defaults: %d items, %d rules, %v", items, rules, err)
	}
	return e
}

// employee creates an active employee with a governed identity at addr.
func (e *env) employee(user, name, addr string, capstone bool) *steward.Employee {
	e.t.Helper()
	emp := &steward.Employee{UserName: user, DisplayName: name, Active: true, CapstoneOfficial: capstone}
	if err := e.db.CreateEmployee(e.ctx, emp); err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.CreateIdentity(e.ctx, &steward.Identity{EmployeeID: emp.ID, Channel: testChannel, Address: addr,
		Mode: steward.IdentityGoverned, Status: steward.IdentityActive}); err != nil {
		e.t.Fatal(err)
	}
	return emp
}

// zeroRetention adds a schedule item whose records are due for
// destruction the instant they are captured, and a rule, ahead of the
// defaults, that puts every record on it; so disposition can be tested
// without moving clocks.
func (e *env) zeroRetention() {
	e.t.Helper()
	if _, err := e.svc.SaveItem(e.ctx, "rm", &steward.ScheduleItem{ID: "test-zero", Schedule: "Test", Item: "001",
		Title: "Test records, destroyed at once", Authority: "DAA-TEST-0001", Cutoff: steward.CutoffRule{Period: steward.CutoffNone},
		Action: steward.DispositionDestroy}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.SaveRule(e.ctx, "rm", &steward.AssignmentRule{Name: "everything-zero", Condition: "true",
		ItemID: "test-zero", Priority: 1, Enabled: true}); err != nil {
		e.t.Fatal(err)
	}
}

// message is a message from one party to another.
func message(from, to, body string, atts ...steward.Attachment) *steward.Item {
	return &steward.Item{Type: steward.EventMessage, Channel: testChannel, ChannelMessageID: steward.NewID(),
		Direction: steward.DirInbound, Sender: steward.Party{Address: from}, Recipients: []steward.Party{{Address: to}},
		Body: body, Attachments: atts, SentAt: time.Now().UTC()}
}

func attachment(name, text string) steward.Attachment {
	return steward.Attachment{Filename: name, ContentType: "text/plain", Data: []byte(text)}
}

func (e *env) capture(it *steward.Item) *pipeline.Captured {
	e.t.Helper()
	c, err := e.pipe.Capture(e.ctx, it)
	if err != nil {
		e.t.Fatalf("capture %q: %v", it.Body, err)
	}
	return c
}

// sealedSchedule returns the assignment in a record's metadata.
func (e *env) sealedSchedule(id string) *steward.Assignment {
	e.t.Helper()
	rec, err := e.db.RecordByID(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	meta, _, err := e.reader.OpenRecord(e.ctx, rec)
	if err != nil && !steward.Is(steward.Gone, err) {
		e.t.Fatal(err)
	}
	return meta.Schedule
}

// indexed returns a record's current indexed assignment, or nil.
func (e *env) indexed(id string) *steward.RecordAssignment {
	e.t.Helper()
	a, err := e.db.AssignmentByRecord(e.ctx, id)
	if steward.Is(steward.NotFound, err) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// auditEntry is an archived audit record, opened.
type auditEntry struct {
	ID, Actor, Subject string
	Details            map[string]any
}

// audits opens the audit records of an action, newest first.
func (e *env) audits(action string) []auditEntry {
	e.t.Helper()
	recs, err := e.db.RecordsByKind(e.ctx, steward.RecordAudit, -1, 10000)
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
			out = append(out, auditEntry{ID: r.ID, Actor: m.Actor, Subject: m.Subject, Details: c.Details})
		}
	}
	return out
}

// wantKind fails the test unless err is of kind k and, when given, its
// public message contains each of words.
func wantKind(t *testing.T, what string, err error, k steward.Kind, words ...string) {
	t.Helper()
	if !steward.Is(k, err) {
		t.Fatalf("%s: error %v (kind %v), want kind %v", what, err, steward.KindOf(err), k)
	}
	msg := steward.PublicMessage(err)
	for _, w := range words {
		if !strings.Contains(msg, w) {
			t.Errorf("%s: message %q does not mention %q", what, msg, w)
		}
	}
}
