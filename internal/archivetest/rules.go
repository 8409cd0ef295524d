package archivetest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/records"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

// RuleHook is a pipeline records hook and router that does what the
// records service does at capture, without the service: it assigns each
// item a schedule through compiled assignment rules, and after capture
// indexes that assignment for the record and its attachments. Tests of
// what comes after assignment (transfer, reports) use it to control the
// schedule exactly.
type RuleHook struct {
	T        testing.TB // Route reports failures here; it has no caller to answer
	DB       *sqlite.DB
	Assigner *records.Assigner
}

// Rules saves the built-in schedules and extra items into db, compiles
// rules against what db then holds, and returns the hook that assigns by
// them. Set it as both the pipeline's Records and Router. Any failure
// fails t.
func Rules(t testing.TB, db *sqlite.DB, extra []steward.ScheduleItem, rules []steward.AssignmentRule) *RuleHook {
	t.Helper()
	ctx := context.Background()
	for _, it := range append(records.BuiltinSchedules().Items, extra...) {
		it.Version = 0 // new to this database
		if _, err := db.SaveScheduleItem(ctx, &it); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := db.Schedule(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, err := records.Compile(stored, rules)
	if err != nil {
		t.Fatal(err)
	}
	return &RuleHook{T: t, DB: db, Assigner: a}
}

// Assign gathers the facts the rules read (kind, channel, direction,
// conversation type, and which participants are Capstone officials) and
// returns the rules' assignment. Errors: those of reading an employee.
func (h *RuleHook) Assign(ctx context.Context, it *steward.Item, conv *steward.Conversation, _ *pipeline.Decision) (*steward.Assignment, error) {
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
			emp, err := h.DB.EmployeeByID(ctx, p.EmployeeID)
			if err != nil {
				return nil, err
			}
			rp.Capstone = emp.CapstoneOfficial
		}
		in.Participants = append(in.Participants, rp)
	}
	a := h.Assigner.Assign(in)
	return &a, nil
}

// Route indexes the assignment sealed into the captured record for it and
// its attachments. A record without one is a test failure.
func (h *RuleHook) Route(ctx context.Context, c *pipeline.Captured) {
	rec, err := h.DB.RecordByID(ctx, c.Ref.ID)
	if err != nil {
		h.T.Error(err)
		return
	}
	var meta steward.RecordMeta
	if err := json.Unmarshal(rec.Meta, &meta); err != nil || meta.Schedule == nil {
		h.T.Errorf("record %s has no assignment", rec.ID)
		return
	}
	as := []steward.RecordAssignment{{RecordID: rec.ID, Assignment: *meta.Schedule}}
	for _, a := range c.Attachments {
		as = append(as, steward.RecordAssignment{RecordID: a.ID, Assignment: *meta.Schedule})
	}
	if err := h.DB.AddAssignments(ctx, as); err != nil {
		h.T.Error(err)
	}
}
