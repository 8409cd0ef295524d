package recordkeeping

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"sync"
	"time"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/records"
	"github.com/steward-gov/steward/internal/steward"
)

// peopleTTL bounds how stale a cached employee's attributes may be when a
// record is assigned. Directory changes made through Steward drop the
// cache at once (Forget); the TTL covers everything else.
const peopleTTL = 30 * time.Second

// peopleCache keeps what assignment rules see of employees and which
// employee holds an address, so that assigning a group message does not
// cost several store reads per member.
type peopleCache struct {
	mu    sync.Mutex
	m     map[string]cachedPerson
	addrs map[string]cachedAddr
}

type cachedPerson struct {
	p  records.Participant
	at time.Time
}

type cachedAddr struct {
	employeeID string // "" for an address no employee holds
	at         time.Time
}

// peopleCacheMax bounds each map; past it the map starts afresh.
const peopleCacheMax = 50_000

// Forget drops every cached employee and address; cmd/steward calls it
// whenever the directory changes (SCIM, identities, role mappings).
func (s *Service) Forget() {
	s.people.mu.Lock()
	s.people.m, s.people.addrs = nil, nil
	s.people.mu.Unlock()
}

// employee returns the rules' view of an employee as they are now, which
// is capture time for the record being assigned. An unknown employee is
// a participant with an id and nothing else.
func (s *Service) employee(ctx context.Context, id string) (records.Participant, error) {
	now := s.now()
	s.people.mu.Lock()
	if c, ok := s.people.m[id]; ok && now.Sub(c.at) < peopleTTL {
		s.people.mu.Unlock()
		return c.p, nil
	}
	s.people.mu.Unlock()
	p := records.Participant{EmployeeID: id}
	e, err := s.Store.EmployeeByID(ctx, id)
	switch {
	case steward.Is(steward.NotFound, err):
		return p, nil
	case err != nil:
		return p, err
	}
	roles, err := steward.EmployeeRoles(ctx, s.Store, id)
	if err != nil {
		return p, err
	}
	p.Capstone, p.Department, p.Seniority, p.Title = e.CapstoneOfficial, e.Department, e.Seniority, e.Title
	for _, r := range roles {
		p.Roles = append(p.Roles, string(r))
	}
	s.people.mu.Lock()
	if s.people.m == nil || len(s.people.m) >= peopleCacheMax {
		s.people.m = map[string]cachedPerson{}
	}
	s.people.m[id] = cachedPerson{p, now}
	s.people.mu.Unlock()
	return p, nil
}

// employeeAt returns the employee whose work identity address is, or ""
// for an outside party. Identities are never reassigned to another
// employee, so the answer for an old record is the answer now.
func (s *Service) employeeAt(ctx context.Context, ch steward.Channel, address string) (string, error) {
	key := string(ch) + "\x00" + address
	now := s.now()
	s.people.mu.Lock()
	if c, ok := s.people.addrs[key]; ok && now.Sub(c.at) < peopleTTL {
		s.people.mu.Unlock()
		return c.employeeID, nil
	}
	s.people.mu.Unlock()
	id, err := s.Store.IdentityByAddress(ctx, ch, address)
	emp := ""
	switch {
	case err == nil:
		emp = id.EmployeeID
	case !steward.Is(steward.NotFound, err):
		return "", err
	}
	s.people.mu.Lock()
	if s.people.addrs == nil || len(s.people.addrs) >= peopleCacheMax {
		s.people.addrs = map[string]cachedAddr{}
	}
	s.people.addrs[key] = cachedAddr{emp, now}
	s.people.mu.Unlock()
	return emp, nil
}

// Assign is the pipeline's records hook: it puts a captured item on a
// schedule item by the rules in force, from the parties' Capstone flags,
// roles, department, seniority and title as they are now, and the policy
// decision's findings. The pipeline writes the assignment into the
// metadata of every record of the item (the item, its attachments, its
// policy decision), so it is part of their leaves and never moves.
//
// It returns nil, storing nothing, while the schedule is empty (those
// records are never eligible for disposition). It fails (Unavailable)
// before the first Reload, and when the store cannot say who the parties
// are: the pipeline then refuses the capture and the source retries,
// rather than archiving a record whose schedule was guessed.
func (s *Service) Assign(ctx context.Context, it *steward.Item, conv *steward.Conversation, d *pipeline.Decision) (*steward.Assignment, error) {
	const op steward.Op = "recordkeeping.Assign"
	a, loaded := s.current()
	if !loaded {
		return nil, steward.E(op, steward.Unavailable, "retention schedules are not loaded")
	}
	if a == nil {
		return nil, nil
	}
	in, err := s.input(ctx, it, conv, d)
	if err != nil {
		return nil, steward.E(op, err)
	}
	asg := a.Assign(in)
	return &asg, nil
}

// kindOf is the record kind the pipeline gives an item's own record.
func kindOf(t steward.EventType) steward.RecordKind {
	switch t {
	case steward.EventMessage:
		return steward.RecordMessage
	case steward.EventConsent:
		return steward.RecordConsent
	}
	return steward.RecordEvent
}

// input builds what assignment rules see of an item. The participants are
// the sender, the recipients and, in a group, the conversation's members,
// each once, the sender first.
func (s *Service) input(ctx context.Context, it *steward.Item, conv *steward.Conversation, d *pipeline.Decision) (records.Input, error) {
	in := records.Input{Kind: kindOf(it.Type), Channel: it.Channel, Direction: it.Direction,
		ConversationType: steward.ConversationDirect}
	if d != nil && len(d.Findings) > 0 {
		in.Findings = maps.Clone(d.Findings)
	}
	seen := map[string]bool{}
	add := func(address, employeeID string, sender bool) error {
		if seen[address] {
			return nil
		}
		seen[address] = true
		if employeeID == "" {
			var err error
			if employeeID, err = s.employeeAt(ctx, it.Channel, address); err != nil {
				return err
			}
		}
		p := records.Participant{}
		if employeeID != "" {
			var err error
			if p, err = s.employee(ctx, employeeID); err != nil {
				return err
			}
			p.Roles = append([]string(nil), p.Roles...) // the cache's copy stays unshared
		}
		p.Sender = sender
		in.Participants = append(in.Participants, p)
		return nil
	}
	if err := add(it.Sender.Address, it.Sender.EmployeeID, true); err != nil {
		return in, err
	}
	for _, r := range it.Recipients {
		if err := add(r.Address, r.EmployeeID, false); err != nil {
			return in, err
		}
	}
	if conv != nil {
		in.ConversationType = conv.Kind
		if conv.Kind == steward.ConversationGroup {
			members, err := s.Store.Members(ctx, conv.ID)
			if err != nil {
				return in, err
			}
			for _, m := range members {
				if err := add(m.Address, "", false); err != nil {
					return in, err
				}
			}
		}
	}
	return in, nil
}

// Route indexes the assignment of a captured item's records (the item,
// its attachments and its policy decision) so reports and disposition
// find them without reading the log. The assignment is the one the
// pipeline just wrote into the records' metadata. While Run is running
// the rows are written in batches, so capture does not pay a write
// transaction of its own for them; otherwise at once. A failure is
// logged and retried; Reconcile indexes what a crash left out.
func (s *Service) Route(ctx context.Context, c *pipeline.Captured) {
	asg := c.Assignment
	if asg == nil {
		return
	}
	ids := []string{c.Ref.ID}
	for _, a := range c.Attachments {
		ids = append(ids, a.ID)
	}
	if c.DecisionRef != nil {
		ids = append(ids, c.DecisionRef.ID)
	}
	now := s.now()
	as := make([]steward.RecordAssignment, len(ids))
	for i, id := range ids {
		as[i] = steward.RecordAssignment{RecordID: id, Assignment: *asg, AssignedAt: now}
	}
	s.idx.mu.Lock()
	s.idx.pending = append(s.idx.pending, as...)
	async, n := s.idx.async, len(s.idx.pending)
	s.idx.mu.Unlock()
	switch {
	case !async:
		_ = s.flushIndex(ctx) // logged there
	case n >= indexBatch:
		select {
		case s.idx.wake <- struct{}{}:
		default:
		}
	}
}

// Index batching: Run writes pending rows every interval, or as soon as
// this many wait; at most maxPending wait while the store fails.
const (
	indexBatch = 1000
	maxPending = 1_000_000
)

// indexer holds index rows Route made and Run has not written yet.
type indexer struct {
	mu      sync.Mutex
	pending []steward.RecordAssignment
	async   bool          // Run is running
	wake    chan struct{} // tells Run a batch is full
	flushMu sync.Mutex    // one flush at a time
}

// Run writes the index rows Route queues, every interval and whenever a
// batch fills, until ctx ends, and once more on the way out.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	s.idx.mu.Lock()
	if s.idx.wake == nil {
		s.idx.wake = make(chan struct{}, 1)
	}
	s.idx.async = true
	wake := s.idx.wake
	s.idx.mu.Unlock()
	defer func() {
		s.idx.mu.Lock()
		s.idx.async = false
		s.idx.mu.Unlock()
		_ = s.flushIndex(context.WithoutCancel(ctx))
	}()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
		_ = s.flushIndex(ctx)
	}
}

// flushIndex writes the queued index rows. Every read of the index calls
// it first, so a report never misses a record Route has seen. Rows the
// store refuses for a reason other than being indexed already are queued
// again.
func (s *Service) flushIndex(ctx context.Context) error {
	s.idx.flushMu.Lock()
	defer s.idx.flushMu.Unlock()
	s.idx.mu.Lock()
	batch := s.idx.pending
	s.idx.pending = nil
	s.idx.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := s.Store.AddAssignments(ctx, batch)
	if steward.Is(steward.Conflict, err) {
		// Some are indexed already (by Reconcile): the rest one by one.
		var left []steward.RecordAssignment
		err = nil
		for _, a := range batch {
			if e := s.Store.AddAssignments(ctx, []steward.RecordAssignment{a}); e != nil && !steward.Is(steward.Conflict, e) {
				err, left = e, append(left, a)
			}
		}
		batch = left
	}
	if err == nil {
		return nil
	}
	s.idx.mu.Lock()
	if len(s.idx.pending)+len(batch) <= maxPending {
		s.idx.pending = append(batch, s.idx.pending...)
		s.logger().Error("records: assignments not indexed; will retry", "records", len(batch), "err", err)
	} else {
		s.logger().Error("records: assignments not indexed and too many waiting; Reconcile indexes them at the next start",
			"records", len(batch), "err", err)
	}
	s.idx.mu.Unlock()
	return err
}

// scheduleOf returns the assignment sealed into a record's metadata, or
// nil.
func scheduleOf(rec *steward.Record) *steward.Assignment {
	var meta steward.RecordMeta
	if json.Unmarshal(rec.Meta, &meta) != nil {
		return nil
	}
	return meta.Schedule
}

// Reconcile repairs what a crash can leave half done, and is called at
// start before traffic. It returns how many things it repaired:
//   - records whose metadata carries an assignment but which have no
//     index row (a crash between capture and Route): it walks the log
//     back from its end and stops after a run of records already indexed;
//   - active holds whose custodians have no notice yet;
//   - executed batches with no certificate (a crash during execution).
func (s *Service) Reconcile(ctx context.Context) (int, error) {
	const op steward.Op = "recordkeeping.Reconcile"
	n, err := s.reconcileIndex(ctx)
	if err != nil {
		return n, steward.E(op, err)
	}
	m, err := s.reconcileNotices(ctx)
	n += m
	if err != nil {
		return n, steward.E(op, err)
	}
	m, err = s.reconcileCertificates(ctx)
	n += m
	if err != nil {
		return n, steward.E(op, err)
	}
	return n, nil
}

// errStop ends a ScanRecords early.
var errStop = errors.New("stop")

func (s *Service) reconcileIndex(ctx context.Context) (int, error) {
	// A crash can only leave the newest captures unindexed, so a run of
	// this many indexed ones means the rest is too.
	const page, enough = 500, 500
	size, err := s.Store.LogSize(ctx)
	if err != nil {
		return 0, err
	}
	added, run := 0, 0
	for end := size; end > 0 && run < enough; {
		start := max(0, end-page)
		var recs []*steward.Record
		err := s.Store.ScanRecords(ctx, start, func(r *steward.Record) error {
			if r.LeafIndex >= end {
				return errStop
			}
			recs = append(recs, r)
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return added, err
		}
		var missing []steward.RecordAssignment
		for i := len(recs) - 1; i >= 0 && run < enough; i-- {
			r := recs[i]
			asg := scheduleOf(r)
			if asg == nil {
				continue
			}
			_, err := s.Store.AssignmentByRecord(ctx, r.ID)
			switch {
			case err == nil:
				run++
				continue
			case !steward.Is(steward.NotFound, err):
				return added, err
			}
			run = 0
			missing = append(missing, steward.RecordAssignment{RecordID: r.ID, Assignment: *asg, AssignedAt: r.CapturedAt})
		}
		if len(missing) > 0 {
			if err := s.Store.AddAssignments(ctx, missing); err != nil {
				return added, err
			}
			added += len(missing)
		}
		end = start
	}
	return added, nil
}
