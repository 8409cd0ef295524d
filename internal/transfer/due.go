package transfer

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/steward-gov/steward/internal/records"
	"github.com/steward-gov/steward/internal/steward"
)

// DueStore is what Due reads: the assignment index, the records, the
// file plan, holds, cutoff events and the directory. *sqlite.DB
// implements it.
type DueStore interface {
	RecordByID(ctx context.Context, id string) (*steward.Record, error)
	ConversationByID(ctx context.Context, id string) (*steward.Conversation, error)
	Members(ctx context.Context, conversationID string) ([]steward.Member, error)
	IdentityByAddress(ctx context.Context, ch steward.Channel, address string) (*steward.Identity, error)
	Schedule(ctx context.Context) (steward.Schedule, error)
	Holds(ctx context.Context, includeReleased bool) ([]*steward.Hold, error)
	Assignments(ctx context.Context, itemID string, unscheduled bool, after string, limit int) ([]steward.RecordAssignment, error)
	CutoffEvents(ctx context.Context, subject string) ([]*steward.CutoffEvent, error)
}

// Candidate is a record on a permanent schedule item, with the verdict
// that put it on the due or the held list.
type Candidate struct {
	RecordID  string             `json:"record_id"`
	LeafIndex int64              `json:"leaf_index"`
	Kind      steward.RecordKind `json:"kind"`
	ItemID    string             `json:"item_id"`
	Authority string             `json:"authority"`
	Reason    string             `json:"reason"`
	DueAt     time.Time          `json:"due_at"`
	HeldBy    []string           `json:"held_by,omitempty"`
}

// Selection is the answer of Due.
type Selection struct {
	At time.Time `json:"at"`
	// Due are the records whose transfer is due at At, in leaf order.
	Due []Candidate `json:"due"`
	// Held are the records that would be due but for an active legal
	// hold, in leaf order; they are not to be transferred.
	Held []Candidate `json:"held"`
}

// IDs returns the due records' ids, for Build.
func (s *Selection) IDs() []string {
	ids := make([]string, len(s.Due))
	for i, c := range s.Due {
		ids[i] = c.RecordID
	}
	return ids
}

// assignmentPage is how many assignments Due reads at a time.
const assignmentPage = 500

// Due lists the records whose transfer to NARA is due at the instant at:
// the message, event and consent records whose current assignment (the
// store's index of the assignment written into each record at capture,
// or of a later reassignment) is a permanent item of the current
// schedule, and that records.Evaluate finds eligible with the holds in
// force at at. Records an active hold covers are listed apart and never
// as due; attachments are not listed (Build takes them with their
// message); records whose content was destroyed are skipped.
//
// The facts come from metadata, as the records service reads them, so
// that both agree on what is eligible: the custodians are the employees
// holding the sender's or a recipient's address and, in a group, the
// conversation's members; the cutoff events are those recorded for the
// record, its conversation or a custodian, the latest of each name
// counting. A hold with a query covers every record in its other
// dimensions, since Due cannot search content.
//
// progress, if set, is called with the number of assignments judged so
// far. Errors are those of the store; Integrity for metadata that is not
// JSON.
func Due(ctx context.Context, s DueStore, at time.Time, progress func(done int64)) (*Selection, error) {
	const op steward.Op = "transfer.Due"
	sel := &Selection{At: at.UTC(), Due: []Candidate{}, Held: []Candidate{}}
	sched, err := s.Schedule(ctx)
	if err != nil {
		return nil, steward.E(op, err)
	}
	var permanent []steward.ScheduleItem
	for _, it := range sched.Items {
		if it.Permanent && it.Action == steward.DispositionTransfer {
			permanent = append(permanent, it)
		}
	}
	// Released holds too: Evaluate counts each only while Active at at.
	hs, err := s.Holds(ctx, true)
	if err != nil {
		return nil, steward.E(op, err)
	}
	holds := make([]steward.Hold, len(hs))
	for i, h := range hs {
		holds[i] = *h
	}
	f := &facts{ctx: ctx, s: s, employees: map[string]string{}, members: map[string][]string{},
		events: map[string][]*steward.CutoffEvent{}}
	var n int64
	for _, item := range permanent {
		after := ""
		for {
			page, err := s.Assignments(ctx, item.ID, false, after, assignmentPage)
			if err != nil {
				return nil, steward.E(op, err)
			}
			for _, a := range page {
				after = a.RecordID
				n++
				if progress != nil && n%256 == 0 {
					progress(n)
				}
				if err := f.judge(sel, a, item, sched, holds, at); err != nil {
					return nil, steward.E(op, err)
				}
			}
			if len(page) < assignmentPage {
				break
			}
		}
	}
	if progress != nil {
		progress(n)
	}
	byLeaf := func(x, y Candidate) int { return cmpInt(x.LeafIndex, y.LeafIndex) }
	slices.SortFunc(sel.Due, byLeaf)
	slices.SortFunc(sel.Held, byLeaf)
	return sel, nil
}

// facts assembles what holds and cutoffs need of a record from its
// metadata, caching directory and event lookups for one Due.
type facts struct {
	ctx       context.Context
	s         DueStore
	employees map[string]string   // channel\x00address → employee id, "" for none
	members   map[string][]string // group conversation → its members' employee ids
	events    map[string][]*steward.CutoffEvent
}

// judge evaluates one assigned record and files it as due or held.
func (f *facts) judge(sel *Selection, a steward.RecordAssignment, item steward.ScheduleItem, sched steward.Schedule, holds []steward.Hold, at time.Time) error {
	r, err := f.s.RecordByID(f.ctx, a.RecordID)
	if steward.Is(steward.NotFound, err) {
		return nil
	} else if err != nil {
		return err
	}
	switch {
	case r.Kind != steward.RecordMessage && r.Kind != steward.RecordEvent && r.Kind != steward.RecordConsent:
		return nil // attachments and policy decisions follow their message
	case r.Shredded():
		return nil
	}
	var meta steward.RecordMeta
	if err := json.Unmarshal(r.Meta, &meta); err != nil {
		return steward.Errorf("transfer.Due", steward.Integrity, "record %s: metadata is not JSON", r.ID)
	}
	rf, err := f.of(r, &meta)
	if err != nil {
		return err
	}
	var events map[string]time.Time
	if item.Cutoff.Event != "" {
		if events, err = f.dates(rf); err != nil {
			return err
		}
	}
	e := records.Evaluate(rf, a.Assignment, sched, holds, events, at)
	c := Candidate{RecordID: r.ID, LeafIndex: r.LeafIndex, Kind: r.Kind, ItemID: e.ItemID, Authority: e.Authority,
		Reason: e.Reason, DueAt: e.DueAt, HeldBy: e.HeldBy}
	switch {
	case e.Eligible && e.Action == steward.DispositionTransfer:
		sel.Due = append(sel.Due, c)
	case len(e.HeldBy) > 0:
		if free := records.Evaluate(rf, a.Assignment, sched, nil, events, at); free.Eligible && free.Action == steward.DispositionTransfer {
			sel.Held = append(sel.Held, c)
		}
	}
	return nil
}

func (f *facts) employee(ch steward.Channel, addr string) (string, error) {
	key := string(ch) + "\x00" + addr
	if emp, ok := f.employees[key]; ok {
		return emp, nil
	}
	var emp string
	id, err := f.s.IdentityByAddress(f.ctx, ch, addr)
	switch {
	case err == nil:
		emp = id.EmployeeID
	case !steward.Is(steward.NotFound, err):
		return "", err
	}
	f.employees[key] = emp
	return emp, nil
}

// of returns the record's facts: custodians from its parties and, in a
// group, the conversation's current members (more custodians rather than
// fewer: a hold that cannot tell must cover).
func (f *facts) of(r *steward.Record, meta *steward.RecordMeta) (steward.RecordFacts, error) {
	rf := steward.RecordFacts{RecordID: r.ID, Kind: r.Kind, ConversationID: r.ConversationID, CapturedAt: r.CapturedAt}
	if meta.SentAt != nil {
		rf.SentAt = *meta.SentAt
	}
	add := func(id string) {
		if id != "" && !slices.Contains(rf.Custodians, id) {
			rf.Custodians = append(rf.Custodians, id)
		}
	}
	for _, a := range append([]string{meta.Sender}, meta.Recipients...) {
		if a == "" {
			continue
		}
		emp, err := f.employee(steward.Channel(meta.Channel), a)
		if err != nil {
			return rf, err
		}
		add(emp)
	}
	if r.ConversationID != "" {
		ids, ok := f.members[r.ConversationID]
		if !ok {
			conv, err := f.s.ConversationByID(f.ctx, r.ConversationID)
			switch {
			case err == nil && conv.Kind == steward.ConversationGroup:
				ms, err := f.s.Members(f.ctx, conv.ID)
				if err != nil {
					return rf, err
				}
				for _, m := range ms {
					emp, err := f.employee(conv.Channel, m.Address)
					if err != nil {
						return rf, err
					}
					if emp != "" {
						ids = append(ids, emp)
					}
				}
			case err != nil && !steward.Is(steward.NotFound, err):
				return rf, err
			}
			f.members[r.ConversationID] = ids
		}
		for _, id := range ids {
			add(id)
		}
	}
	return rf, nil
}

// dates returns the cutoff events that apply to a record: those whose
// subject is the record, its conversation or a custodian; the latest
// date of each name counts, so the file closes last rather than first.
func (f *facts) dates(rf steward.RecordFacts) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for _, sub := range append([]string{rf.RecordID, rf.ConversationID}, rf.Custodians...) {
		if sub == "" {
			continue
		}
		evs, ok := f.events[sub]
		if !ok {
			var err error
			if evs, err = f.s.CutoffEvents(f.ctx, sub); err != nil {
				return nil, err
			}
			f.events[sub] = evs
		}
		for _, e := range evs {
			if e.At.After(out[e.Name]) {
				out[e.Name] = e.At
			}
		}
	}
	return out, nil
}
