// Package compliance puts policy between capture and delivery. It is the
// pipeline's policy hook (every message and edit, in either direction, is
// scanned and judged before it may be delivered), the chat service's group
// rule, and the compliance officers' review queue: flagged and
// quarantined items, their assignment and resolution, suppressions, rule
// statistics and the silent-rule alarm. It also keeps policies and custom
// detectors, checking and auditing every change, and runs dry runs of
// proposed policies against the archive.
//
// Decisions use the policy set and detectors loaded by the last Reload;
// every change made through this service reloads at once.
package compliance

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/steward-gov/steward/internal/dlp"
	"github.com/steward-gov/steward/internal/extract"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/policy"
	"github.com/steward-gov/steward/internal/steward"
)

// Service is policy enforcement and review. cmd/steward sets the fields
// and calls Reload before the pipeline takes traffic.
type Service struct {
	Store    steward.Store
	Pipeline *pipeline.Pipeline // for audit records
	Reader   *pipeline.Reader   // opens archived records for review and dry runs
	// Released is told when an officer releases a quarantined record, so
	// the send is queued or the inbox shows it (chat.Service.Released).
	Released func(ctx context.Context, recordID string) error
	// Groups makes approved group changes (chat.Service).
	Groups GroupChanger
	// EDMKey keys exact-data-match digests and value suppressions; it is
	// derived from the KEK, so a copy of the database alone cannot test
	// guesses against them.
	EDMKey []byte
	// Extract bounds attachment text extraction.
	Extract extract.Limits
	// SilentAfter is how many evaluations without a match, in the recent
	// window, raise the silent-rule alarm for a rule that matched before.
	SilentAfter int64
	Logger      *slog.Logger
	Now         func() time.Time

	mu      sync.RWMutex
	set     *policy.Set
	scanner *dlp.Scanner
	supp    []*steward.Suppression

	people peopleCache
}

// Reload loads policies, custom detectors and suppressions from the store
// and makes them current. A policy or detector that no longer compiles
// (it was saved by an older version) fails the reload: the previous set
// stays in force and the error says which.
func (s *Service) Reload(ctx context.Context) error {
	const op steward.Op = "compliance.Reload"
	ps, version, err := s.Store.Policies(ctx)
	if err != nil {
		return steward.E(op, err)
	}
	set, err := policy.NewSet(version, ps)
	if err != nil {
		return steward.E(op, err)
	}
	scanner, err := s.compileScanner(ctx)
	if err != nil {
		return steward.E(op, err)
	}
	supp, err := s.Store.Suppressions(ctx, s.now())
	if err != nil {
		return steward.E(op, err)
	}
	s.mu.Lock()
	old := s.set
	s.set, s.scanner, s.supp = set, scanner, supp
	s.mu.Unlock()
	if old != nil {
		// Counts made under the old set still belong to its policies.
		s.flushCounts(ctx, old)
	}
	return nil
}

func (s *Service) compileScanner(ctx context.Context) (*dlp.Scanner, error) {
	ds, err := s.Store.Detectors(ctx)
	if err != nil {
		return nil, err
	}
	edm := map[string][][]byte{}
	for _, d := range ds {
		if d.Kind == steward.DetectorEDM && d.Enabled {
			if edm[d.ID], err = s.Store.EDMDigests(ctx, d.ID); err != nil {
				return nil, err
			}
		}
	}
	return dlp.Compile(dlp.Config{Custom: ds, EDM: edm, Key: s.EDMKey})
}

// current returns the policy set and scanner in force.
func (s *Service) current() (*policy.Set, *dlp.Scanner, []*steward.Suppression) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.set, s.scanner, s.supp
}

// Run flushes policy hit counters every interval until ctx ends, and once
// more on the way out.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			set, _, _ := s.current()
			s.flushCounts(context.WithoutCancel(ctx), set)
			return
		case <-t.C:
			set, _, _ := s.current()
			s.flushCounts(ctx, set)
		}
	}
}

func (s *Service) flushCounts(ctx context.Context, set *policy.Set) {
	if set == nil {
		return
	}
	counts := set.DrainCounts(s.now().UTC().Format(time.DateOnly))
	if len(counts) == 0 {
		return
	}
	if err := s.Store.AddPolicyCounts(ctx, counts); err != nil {
		s.logger().Error("compliance: policy counts not saved", "err", err)
	}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// audit archives an action. Every change and every read of content made
// through the service is audited before it takes effect or is returned.
func (s *Service) audit(ctx context.Context, actor, action, subject string, details map[string]any) error {
	_, err := s.Pipeline.Audit(ctx, pipeline.AuditEntry{Actor: actor, Action: action, Subject: subject, Details: details})
	return err
}
