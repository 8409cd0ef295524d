package compliance_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/archivetest"
	"github.com/steward-gov/steward/internal/compliance"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

// The addresses of the test organization. Dana, Max (her manager) and
// Carla (a compliance officer) hold governed Signal numbers; Riley and
// Sam are outside contacts of Dana's.
const (
	danaAddr    = "+12025550140"
	maxAddr     = "+12025550141"
	carlaAddr   = "+12025550142"
	rileyAddr   = "+14155550140"
	samAddr     = "+14155550141"
	testChannel = steward.Channel("signal")
)

// env is the compliance service wired into a capture pipeline built from
// real parts: a SQLite file, the sealed blob directory, the archive log
// and the key envelope. The service is the pipeline's policy hook and
// router, as cmd/steward wires it.
type env struct {
	t      *testing.T
	ctx    context.Context
	db     *sqlite.DB
	pipe   *pipeline.Pipeline
	reader *pipeline.Reader
	svc    *compliance.Service
	clock  *clock

	dana, max, carla *steward.Employee

	mu       sync.Mutex
	released []string // record ids the service reported released
	// onRelease, when set, runs inside Released before it records the
	// call: the tests use it to change an item under an officer's feet.
	onRelease func(recordID string)
	// releaseErr, when set, is what Released answers (once), as a channel
	// queue that cannot take the send would.
	releaseErr error
}

// clock is the service's clock. Each reading advances it by a
// millisecond, so that successive review steps carry distinct stamps
// however fast the machine runs them; Set moves it elsewhere.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	s := archivetest.New(t)
	db := s.DB
	e := &env{t: t, ctx: ctx, db: db, pipe: s.Pipeline, reader: s.Reader, clock: &clock{t: time.Now().UTC()}}
	e.svc = &compliance.Service{Store: db, Pipeline: e.pipe, Reader: e.reader, EDMKey: s.Keyring.DeriveKey("dlp exact data match v1"),
		Logger: s.Logger, Now: e.clock.Now, Released: e.onReleased}
	e.pipe.Policy, e.pipe.Router = e.svc, e.svc

	e.max = e.employee("max@agency.example.gov", "Max Ortiz", maxAddr, "")
	e.dana = e.employee("dana@agency.example.gov", "Dana Whitfield", danaAddr, e.max.ID)
	e.carla = e.employee("carla@agency.example.gov", "Carla Reyes", carlaAddr, "")
	if err := db.SetRoleMappings(ctx, []steward.RoleMapping{{Group: "Compliance", Role: steward.RoleComplianceOfficer}}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateGroup(ctx, &steward.Group{DisplayName: "Compliance", Members: []string{e.carla.ID}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ addr, name string }{{rileyAddr, "Riley Chen"}, {samAddr, "Sam Okafor"}} {
		if err := db.CreateContact(ctx, &steward.Contact{EmployeeID: e.dana.ID, Channel: testChannel, Address: c.addr,
			DisplayName: c.name, ConsentState: steward.ConsentActive}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.svc.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

// employee creates an active employee with a governed identity at addr.
func (e *env) employee(user, name, addr, manager string) *steward.Employee {
	e.t.Helper()
	emp := &steward.Employee{UserName: user, DisplayName: name, ManagerID: manager, Active: true}
	if err := e.db.CreateEmployee(e.ctx, emp); err != nil {
		e.t.Fatal(err)
	}
	e.identity(emp.ID, addr, steward.IdentityGoverned)
	return emp
}

func (e *env) identity(employeeID, addr string, mode steward.IdentityMode) {
	e.t.Helper()
	if err := e.db.CreateIdentity(e.ctx, &steward.Identity{EmployeeID: employeeID, Channel: testChannel, Address: addr,
		Mode: mode, Status: steward.IdentityActive}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) onReleased(ctx context.Context, recordID string) error {
	if err := e.releaseErr; err != nil {
		e.releaseErr = nil
		return err
	}
	if e.onRelease != nil {
		e.onRelease(recordID)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.released = append(e.released, recordID)
	return nil
}

func (e *env) releasedIDs() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.released...)
}

// policy saves a new, enabled message policy through the service.
func (e *env) policy(name, condition string, action steward.PolicyAction, redact ...string) *steward.Policy {
	e.t.Helper()
	return e.savePolicy(&steward.Policy{Name: name, Kind: steward.PolicyMessage, Condition: condition, Action: action,
		Reason: "Policy " + name + " says no.", Redact: redact, Enabled: true})
}

// groupPolicy saves a new, enabled group policy through the service.
func (e *env) groupPolicy(name, condition string, action steward.PolicyAction, reason string) *steward.Policy {
	e.t.Helper()
	return e.savePolicy(&steward.Policy{Name: name, Kind: steward.PolicyGroup, Condition: condition, Action: action,
		Reason: reason, Enabled: true})
}

func (e *env) savePolicy(p *steward.Policy) *steward.Policy {
	e.t.Helper()
	p, err := e.svc.SavePolicy(e.ctx, "admin", p)
	if err != nil {
		e.t.Fatalf("save policy %s: %v", p.Name, err)
	}
	return p
}

// send is a message Steward sends for an employee: governed, so its
// channel id carries Steward's prefix.
func send(from, to, body string, atts ...steward.Attachment) *steward.Item {
	return &steward.Item{Type: steward.EventMessage, Channel: testChannel, ChannelMessageID: "steward:" + steward.NewID(),
		Direction: steward.DirOutbound, Sender: steward.Party{Address: from}, Recipients: []steward.Party{{Address: to}},
		Body: body, Attachments: atts}
}

// linked is a message an employee's own phone sent, seen after the fact.
func linked(from, to, body string) *steward.Item {
	it := send(from, to, body)
	it.ChannelMessageID = "1700000000" + steward.NewID()
	return it
}

// receive is a message from an outside party.
func receive(from, to, body string, atts ...steward.Attachment) *steward.Item {
	return &steward.Item{Type: steward.EventMessage, Channel: testChannel, ChannelMessageID: steward.NewID(),
		Direction: steward.DirInbound, Sender: steward.Party{Address: from}, Recipients: []steward.Party{{Address: to}},
		Body: body, Attachments: atts}
}

func (e *env) capture(it *steward.Item) *pipeline.Captured {
	e.t.Helper()
	c, err := e.pipe.Capture(e.ctx, it)
	if err != nil {
		e.t.Fatalf("capture %q: %v", it.Body, err)
	}
	return c
}

// sealed returns the policy outcome sealed into a captured item's record.
func (e *env) sealed(c *pipeline.Captured) *steward.PolicyOutcome {
	e.t.Helper()
	_, _, content, err := e.reader.Open(e.ctx, c.Ref.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return content.Policy
}

// decisionDetails returns the archived decision record's details.
func (e *env) decisionDetails(o *steward.PolicyOutcome) map[string]any {
	e.t.Helper()
	if o == nil || o.Decision == "" {
		e.t.Fatalf("no archived decision: %+v", o)
	}
	_, meta, content, err := e.reader.Open(e.ctx, o.Decision)
	if err != nil {
		e.t.Fatal(err)
	}
	if meta.Type != "policy_decision" {
		e.t.Fatalf("decision record is a %q", meta.Type)
	}
	return content.Details
}

// audits counts the audit records of an action.
func (e *env) audits(action string) int {
	e.t.Helper()
	return len(e.auditRecords(action))
}

// auditEntry is an archived audit record, opened.
type auditEntry struct {
	Actor, Subject string
	Details        map[string]any
}

// auditRecords opens the audit records of an action, newest first.
func (e *env) auditRecords(action string) []auditEntry {
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
			out = append(out, auditEntry{Actor: m.Actor, Subject: m.Subject, Details: c.Details})
		}
	}
	return out
}

// items lists the review queue.
func (e *env) items() []*steward.ReviewItem {
	e.t.Helper()
	its, err := e.db.ReviewItems(e.ctx, steward.ReviewFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return its
}

// itemFor returns the review item of a captured record, or nil.
func (e *env) itemFor(c *pipeline.Captured) *steward.ReviewItem {
	e.t.Helper()
	it, err := e.db.ReviewItemByRecord(e.ctx, c.Ref.ID)
	if steward.Is(steward.NotFound, err) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return it
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
