// Package storetest is the conformance suite for steward.Store. Every
// storage engine runs it from its own tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) steward.Store {
//			s := mustOpen(t)
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The suite checks the contracts written in package steward's doc
// comments and nothing engine-specific. Where the contracts leave room, it
// asks for this much:
//
//   - Record.CapturedAt round-trips to the nanosecond; other times need only
//     survive to the microsecond, which is what PostgreSQL keeps.
//   - Empty and nil byte slices are the same value.
//   - Close may be called twice; the suite closes some stores itself to
//     check that a closed store reports Unavailable.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// Run runs the whole suite. open must return a new, empty store each time
// it is called, and arrange for it to be closed when t ends. Each subtest
// opens its own store, so that a failure in one cannot leave state that
// makes another pass or fail.
func Run(t *testing.T, open func(t *testing.T) steward.Store) {
	t.Run("Log", func(t *testing.T) { testLog(t, open) })
	t.Run("Hashes", func(t *testing.T) { testHashes(t, open) })
	t.Run("Checkpoints", func(t *testing.T) { testCheckpoints(t, open) })
	t.Run("Employees", func(t *testing.T) { testEmployees(t, open) })
	t.Run("EmployeeProvisioning", func(t *testing.T) { testEmployeeProvisioning(t, open) })
	t.Run("Groups", func(t *testing.T) { testGroups(t, open) })
	t.Run("DeletedReports", func(t *testing.T) { testDeletedReports(t, open) })
	t.Run("ManagerRefs", func(t *testing.T) { testManagerRefs(t, open) })
	t.Run("Successors", func(t *testing.T) { testSuccessors(t, open) })
	t.Run("Identities", func(t *testing.T) { testIdentities(t, open) })
	t.Run("Contacts", func(t *testing.T) { testContacts(t, open) })
	t.Run("Conversations", func(t *testing.T) { testConversations(t, open) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, open) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open) })
	t.Run("RecordConversation", func(t *testing.T) { testRecordConversation(t, open) })
	t.Run("ConversationMembers", func(t *testing.T) { testConversationMembers(t, open) })
	t.Run("ConversationsOf", func(t *testing.T) { testConversationsOf(t, open) })
	t.Run("ConversationRecords", func(t *testing.T) { testConversationRecords(t, open) })
	t.Run("ContactConsent", func(t *testing.T) { testContactConsent(t, open) })
	t.Run("PendingContacts", func(t *testing.T) { testPendingContacts(t, open) })
	t.Run("ConsentEvents", func(t *testing.T) { testConsentEvents(t, open) })
	t.Run("ConsentTexts", func(t *testing.T) { testConsentTexts(t, open) })
	t.Run("Deliveries", func(t *testing.T) { testDeliveries(t, open) })
	t.Run("SignIn", func(t *testing.T) { testSignIn(t, open) })
	t.Run("RoleMappings", func(t *testing.T) { testRoleMappings(t, open) })
	t.Run("Policies", func(t *testing.T) { testPolicies(t, open) })
	t.Run("Detectors", func(t *testing.T) { testDetectors(t, open) })
	t.Run("Review", func(t *testing.T) { testReview(t, open) })
	t.Run("Approvals", func(t *testing.T) { testApprovals(t, open) })
	t.Run("Schedule", func(t *testing.T) { testSchedule(t, open) })
	t.Run("AssignmentRules", func(t *testing.T) { testAssignmentRules(t, open) })
	t.Run("Assignments", func(t *testing.T) { testAssignments(t, open) })
	t.Run("AssignmentPaging", func(t *testing.T) { testAssignmentPaging(t, open) })
	t.Run("CutoffEvents", func(t *testing.T) { testCutoffEvents(t, open) })
	t.Run("Holds", func(t *testing.T) { testHolds(t, open) })
	t.Run("HoldNotices", func(t *testing.T) { testHoldNotices(t, open) })
	t.Run("Disposition", func(t *testing.T) { testDisposition(t, open) })
	t.Run("LargeBatch", func(t *testing.T) { testLargeBatch(t, open) })
	t.Run("Tombstones", func(t *testing.T) { testTombstones(t, open) })
	t.Run("FOIARequests", func(t *testing.T) { testFOIARequests(t, open) })
	t.Run("Cases", func(t *testing.T) { testCases(t, open) })
	t.Run("FOIAEvents", func(t *testing.T) { testFOIAEvents(t, open) })
	t.Run("FOIAPaging", func(t *testing.T) { testFOIAPaging(t, open) })
	t.Run("Lifecycle", func(t *testing.T) { testLifecycle(t, open) })
}

// NewRecord returns a record ready to append but for LeafIndex (-1) and
// TreeHashes (nil): a message with a fresh ID, the given idempotency key,
// the conversation "conv-"+key (in Meta and ConversationID alike), about
// 600 bytes of metadata and sealed content, and a wrapped key. The capture
// time has a nanosecond part, to catch stores that round it.
func NewRecord(tb testing.TB, key string) *steward.Record {
	tb.Helper()
	id := steward.NewID()
	sent := time.Now().UTC().Add(-time.Second)
	meta, err := json.Marshal(steward.RecordMeta{
		Channel:        "signal",
		ChannelID:      key,
		Type:           string(steward.EventMessage),
		Direction:      steward.DirOutbound,
		ConversationID: "conv-" + key,
		Sender:         "+15550100",
		Recipients:     []string{"+15550101", "+15550102"},
		SentAt:         &sent,
		ReceivedAt:     &sent,
	})
	if err != nil {
		tb.Fatal(err)
	}
	r := &steward.Record{
		ID:             id,
		LeafIndex:      -1,
		Kind:           steward.RecordMessage,
		IdempotencyKey: key,
		ConversationID: "conv-" + key,
		CapturedAt:     time.Now().UTC().Truncate(time.Second).Add(123456789 * time.Nanosecond),
		Meta:           meta,
		Sealed:         randomBytes(600 - len(meta)),
		KeyID:          "kek-test-1",
		WrappedKey:     randomBytes(60),
	}
	r.Leaf = fmt.Appendf(nil, "leaf\x00%s\x00%s\x00%x", r.ID, r.Kind, r.Meta)
	return r
}

func randomBytes(n int) []byte {
	b := make([]byte, max(n, 16))
	rand.Read(b)
	return b
}

var ctx = context.Background()

// wantKind fails the test unless err has the given kind.
func wantKind(t *testing.T, what string, err error, kind steward.Kind) {
	t.Helper()
	if got := steward.KindOf(err); err == nil || got != kind {
		t.Fatalf("%s: error %v (kind %v), want kind %v", what, err, got, kind)
	}
}

// must fails the test if err is not nil.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// same fails the test unless got and want are deeply equal.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// ts normalizes a time for comparison: UTC, no monotonic reading, and
// microseconds, the precision the suite requires.
func ts(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

func tsp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := ts(*t)
	return &n
}

// bytesOrNil makes empty and nil slices compare equal.
func bytesOrNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
