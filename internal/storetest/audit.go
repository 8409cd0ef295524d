package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// testAudit: audit records are found by actor, action (exact or prefix),
// subject, time and leaf index, newest first, among other records.
func testAudit(t *testing.T, open func(t *testing.T) steward.Store) {
	ctx := context.Background()
	s := open(t)
	audit := func(key, actor, action, subject string) *steward.Record {
		r := NewRecord(t, key)
		r.Kind = steward.RecordAudit
		meta, err := json.Marshal(steward.RecordMeta{Type: "audit", Actor: actor, Action: action, Subject: subject})
		if err != nil {
			t.Fatal(err)
		}
		r.Meta, r.ConversationID = meta, ""
		return r
	}
	recs := []*steward.Record{
		audit("a1", "token:1", "record.read", "rec-1"),
		NewRecord(t, "m1"), // a message between audits
		audit("a2", "employee:e1", "conversation.read", "conv-1"),
		audit("a3", "scim", "scim.user.create", "emp-1"),
		audit("a4", "scim", "scim.user.deactivate", "emp-1"),
	}
	must(t, "append", appendRecords(s, recs...))
	ids := func(rs []*steward.Record) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.IdempotencyKey)
		}
		return out
	}
	q := func(f steward.AuditFilter) []string {
		t.Helper()
		if f.Limit == 0 {
			f.Limit = 10
		}
		if f.Before == 0 {
			f.Before = -1
		}
		rs, err := s.AuditRecords(ctx, f)
		must(t, "AuditRecords", err)
		return ids(rs)
	}
	same(t, "all, newest first", q(steward.AuditFilter{}), []string{"a4", "a3", "a2", "a1"})
	same(t, "by actor", q(steward.AuditFilter{Actor: "scim"}), []string{"a4", "a3"})
	same(t, "by action", q(steward.AuditFilter{Action: "record.read"}), []string{"a1"})
	same(t, "by action prefix", q(steward.AuditFilter{Action: "scim."}), []string{"a4", "a3"})
	same(t, "by subject", q(steward.AuditFilter{Subject: "emp-1", Action: "scim.user.create"}), []string{"a3"})
	same(t, "limit", q(steward.AuditFilter{Limit: 1}), []string{"a4"})
	same(t, "before (paging)", q(steward.AuditFilter{Before: recs[2].LeafIndex}), []string{"a1"})
	same(t, "until the past", q(steward.AuditFilter{Until: time.Now().Add(-24 * time.Hour)}), []string(nil))
	same(t, "since the past", len(q(steward.AuditFilter{Since: time.Now().Add(-24 * time.Hour)})), 4)
	_, err := s.AuditRecords(ctx, steward.AuditFilter{Limit: 0, Before: -1})
	wantKind(t, "limit 0", err, steward.Invalid)
}
