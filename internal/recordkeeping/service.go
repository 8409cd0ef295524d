// Package recordkeeping runs records management (issue 6) on top of the
// pure decisions of internal/records: it is the pipeline's records hook
// (every captured item is put on a retention schedule from the facts as
// they are at capture) and a router (the assignment is indexed after
// capture), and it keeps the file plan, the assignment rules, legal holds
// and their notices, cutoff events, the eligibility and unscheduled
// reports, and disposition batches from proposal to the signed
// certificate of disposition.
//
// Every change made through the service is audited before it is stored.
// Assignments use the rules and schedule loaded by the last Reload; every
// change made here reloads at once. Eligibility, by contrast, is never
// cached: holds and the schedule are read from the store each time, so a
// hold placed a moment ago stops a disposition now.
package recordkeeping

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/records"
	"github.com/steward-gov/steward/internal/steward"
)

// DefaultApprovals is the number of distinct approvers a disposition batch
// needs when RequiredApprovals is not set: the two-person rule.
const DefaultApprovals = 2

// Service is records management. cmd/steward sets the fields and calls
// Reload before the pipeline takes traffic.
type Service struct {
	Store steward.Store
	// Pipeline archives the audit records: every change, hold notices and
	// acknowledgements, and certificates of disposition.
	Pipeline *pipeline.Pipeline
	// Blobs holds attachments' sealed bytes; destruction deletes them
	// once their key is shredded. Nil leaves them (unreadable) in place.
	Blobs steward.BlobStore
	// Signer is the log's checkpoint key: it signs certificates of
	// disposition, so the log's public key verifies them. Execution
	// refuses (Unavailable) without one.
	Signer note.Signer
	// RequiredApprovals is how many distinct approvers a new batch needs
	// (the disposition-approvals setting); 0 means DefaultApprovals. At 2
	// or more the requester may not approve their own batch.
	RequiredApprovals int
	// Transfer hands an approved transfer batch to NARA (builds and
	// delivers the transfer package). Until it is set, executing a
	// transfer batch is Unavailable.
	Transfer func(ctx context.Context, b *steward.DispositionBatch) error
	// Open decrypts a record, for evaluating hold queries
	// (pipeline.Reader.OpenRecord). Without it every hold query matches.
	Open func(ctx context.Context, r *steward.Record) (*steward.RecordMeta, *steward.Content, error)
	// Disposed, if set, is told the ids of a destroy batch's records once
	// their keys are shredded, so the search index drops them. An error
	// fails the execution, which executing again resumes.
	Disposed func(ctx context.Context, ids []string) error
	Logger   *slog.Logger
	Now      func() time.Time

	mu       sync.RWMutex
	loaded   bool
	assigner *records.Assigner // nil while the schedule is empty

	people peopleCache
	idx    indexer
}

// Reload compiles the stored rules against the stored schedule and makes
// them the ones capture uses. A rule that no longer compiles fails the
// reload and the previous rules stay in force. With an empty schedule
// nothing is assigned (records stay unassigned and are never eligible).
func (s *Service) Reload(ctx context.Context) error {
	const op steward.Op = "recordkeeping.Reload"
	sched, err := s.Store.Schedule(ctx)
	if err != nil {
		return steward.E(op, err)
	}
	rules, _, err := s.Store.AssignmentRules(ctx)
	if err != nil {
		return steward.E(op, err)
	}
	var a *records.Assigner
	if len(sched.Items) > 0 {
		if a, err = records.Compile(sched, derefRules(rules)); err != nil {
			return steward.E(op, err)
		}
	}
	s.mu.Lock()
	s.assigner, s.loaded = a, true
	s.mu.Unlock()
	return nil
}

// current returns the assigner in force and whether Reload has run.
func (s *Service) current() (*records.Assigner, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.assigner, s.loaded
}

func (s *Service) approvals() int {
	if s.RequiredApprovals > 0 {
		return s.RequiredApprovals
	}
	return DefaultApprovals
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// audit archives an action and returns its record. Every change made
// through the service is audited before it takes effect, so none can land
// unaudited.
func (s *Service) audit(ctx context.Context, actor, action, subject string, details map[string]any) (steward.RecordRef, error) {
	return s.Pipeline.Audit(ctx, pipeline.AuditEntry{Actor: actor, Action: action, Subject: subject, Details: details})
}

func derefRules(rs []*steward.AssignmentRule) []steward.AssignmentRule {
	out := make([]steward.AssignmentRule, 0, len(rs))
	for _, r := range rs {
		out = append(out, *r)
	}
	return out
}
