package archivetest_test

import (
	"context"
	"testing"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/archivetest"
	"github.com/steward-gov/steward/internal/steward"
)

// TestStackCapturesAndAssigns captures a message with an attachment
// through a stack wired with Rules, reads it back sealed, finds the rules'
// assignment indexed for both records, and checks the log's checkpoint
// against the stack's own verifier key.
func TestStackCapturesAndAssigns(t *testing.T) {
	ctx := context.Background()
	s := archivetest.New(t, archivetest.Origin("steward/archivetest"))
	if s.Signer.Name() != "steward/archivetest" {
		t.Errorf("signer %q, want the origin", s.Signer.Name())
	}
	emp := &steward.Employee{UserName: "dana@agency.example.gov", DisplayName: "Dana", CapstoneOfficial: true, Active: true}
	if err := s.DB.CreateEmployee(ctx, emp); err != nil {
		t.Fatal(err)
	}
	if err := s.DB.CreateIdentity(ctx, &steward.Identity{EmployeeID: emp.ID, Channel: "signal", Address: "+12025550140",
		Mode: steward.IdentityGoverned, Status: steward.IdentityActive}); err != nil {
		t.Fatal(err)
	}
	hook := archivetest.Rules(t, s.DB, nil, []steward.AssignmentRule{
		{ID: "r1", Name: "capstone", Condition: "capstone", ItemID: "grs-6.1-010", Priority: 1, Enabled: true, Version: 1},
		{ID: "r2", Name: "rest", Condition: "true", ItemID: "grs-6.1-030", Priority: 2, Enabled: true, Version: 1},
	})
	s.Pipeline.Records, s.Pipeline.Router = hook, hook

	c, err := s.Pipeline.Capture(ctx, &steward.Item{Type: steward.EventMessage, Channel: "signal", ChannelMessageID: "steward:1",
		Direction: steward.DirOutbound, Sender: steward.Party{Address: "+12025550140"},
		Recipients: []steward.Party{{Address: "+14155550140"}}, Body: "the memo",
		Attachments: []steward.Attachment{{Filename: "memo.txt", ContentType: "text/plain", Data: []byte("memo")}}})
	if err != nil {
		t.Fatal(err)
	}
	_, meta, content, err := s.Reader.Open(ctx, c.Ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	if content.Body != "the memo" || meta.Schedule == nil || meta.Schedule.RuleName != "capstone" {
		t.Errorf("read back body %q, schedule %+v", content.Body, meta.Schedule)
	}
	for _, id := range []string{c.Ref.ID, c.Attachments[0].ID} {
		a, err := s.DB.AssignmentByRecord(ctx, id)
		if err != nil {
			t.Fatalf("record %s: %v", id, err)
		}
		if a.ItemID != "grs-6.1-010" {
			t.Errorf("record %s indexed on %q, want grs-6.1-010", id, a.ItemID)
		}
	}

	cp, err := s.Log.Checkpoint(ctx, s.Log.Size())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := archive.ParseCheckpoint(cp.Note, s.Verifier, "steward/archivetest"); err != nil {
		t.Errorf("checkpoint does not verify with the stack's key: %v", err)
	}
}
