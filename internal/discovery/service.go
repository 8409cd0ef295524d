// Package discovery runs eDiscovery cases (issue 7): a case names the
// custodians and dates whose records may be searched, and is the only
// authority under which the blind search index is consulted for content.
//
// Every search is a read of content for the case's purpose: it is
// audited (who, which case, which query, which records) before any record
// is decrypted, and the answer carries each hit with the messages around
// it and the spans of its text that the query matched.
package discovery

import (
	"context"
	"log/slog"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/search"
	"github.com/steward-gov/steward/internal/steward"
)

// Holds places legal holds. recordkeeping.Service implements it.
type Holds interface {
	CreateHold(ctx context.Context, actor string, h *steward.Hold) (*steward.Hold, error)
}

// Index is the part of the search index discovery reads. sqlite.Index
// implements it.
type Index interface {
	Search(ctx context.Context, q *search.Query, f search.Filter) ([]search.Hit, error)
}

// Service keeps cases and searches under them. Set the fields, then use
// it from any goroutine.
type Service struct {
	Store    steward.Store
	Pipeline *pipeline.Pipeline // for audit records
	Reader   *pipeline.Reader   // opens the records a search found
	// Index is the blind search index; nil when the installation runs
	// without one, and then searches are Unavailable.
	Index Index
	// Holds places the hold a new case may ask for; nil refuses such
	// cases (Unavailable).
	Holds Holds
	// Load, if set, rebuilds a record's search document, letting the
	// index verify queries it can only narrow (long wildcard stems; see
	// search.Filter.Load). Without it such queries are Invalid.
	Load   func(ctx context.Context, id string) (*search.Doc, error)
	Logger *slog.Logger
	Now    func() time.Time
}

// Bounds of what a case and a search hold.
const (
	MaxNameLen        = 200
	MaxDescriptionLen = 4000
	// DefaultLimit and MaxLimit bound a page of hits: each hit opens
	// itself and up to 2*ContextSize neighbours.
	DefaultLimit = 25
	MaxLimit     = 100
	// ContextSize is how many records of the conversation either side of
	// a hit a search returns.
	ContextSize = 2
)

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

func (s *Service) audit(ctx context.Context, actor, action, subject string, details map[string]any) error {
	_, err := s.Pipeline.Audit(ctx, pipeline.AuditEntry{Actor: actor, Action: action, Subject: subject, Details: details})
	return err
}

// checkCase vets a case's fields as a person wrote them. Returns Invalid
// or TooLarge.
func checkCase(c *steward.Case) error {
	const op steward.Op = "discovery.checkCase"
	switch {
	case c.Name == "" || utf8.RuneCountInString(c.Name) > MaxNameLen || !utf8.ValidString(c.Name):
		return steward.Errorf(op, steward.Invalid, "a case needs a name of 1 to %d characters", MaxNameLen)
	case utf8.RuneCountInString(c.Description) > MaxDescriptionLen || !utf8.ValidString(c.Description):
		return steward.Errorf(op, steward.Invalid, "a case's description is at most %d characters", MaxDescriptionLen)
	case c.Owner == "":
		return steward.E(op, steward.Invalid, "a case needs an owner: the employee id of the counsel who answers for it")
	case len(c.Custodians) == 0:
		// Without custodians a case would be an authority over everyone.
		return steward.E(op, steward.Invalid, "a case needs at least one custodian")
	case len(c.Custodians) > search.MaxFilterValues:
		return steward.Errorf(op, steward.TooLarge, "a case has at most %d custodians", search.MaxFilterValues)
	case c.From != nil && c.Until != nil && !c.From.Before(*c.Until):
		return steward.E(op, steward.Invalid, "a case's from must be before its until")
	}
	for _, id := range c.Custodians {
		if id == "" || len(id) > search.MaxIDLen {
			return steward.Errorf(op, steward.Invalid, "custodian ids are 1 to %d bytes", search.MaxIDLen)
		}
	}
	return nil
}

// checkPeople returns Invalid unless the owner and every custodian are
// employees.
func (s *Service) checkPeople(ctx context.Context, c *steward.Case) error {
	const op steward.Op = "discovery.checkPeople"
	for _, id := range append([]string{c.Owner}, c.Custodians...) {
		if _, err := s.Store.EmployeeByID(ctx, id); steward.Is(steward.NotFound, err) {
			return steward.Errorf(op, steward.Invalid, "%s is not an employee", id)
		} else if err != nil {
			return steward.E(op, err)
		}
	}
	return nil
}

// normalize sorts and dedupes the custodians and brings dates to UTC.
func normalize(c *steward.Case) {
	c.Custodians = slices.Compact(slices.Sorted(slices.Values(c.Custodians)))
	for _, t := range []**time.Time{&c.From, &c.Until} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
}

// CreateCase opens a case with c's name, description, custodians, dates
// and owner; its id, creator, creation time and version are set here.
// With hold set it first places a legal hold over the same custodians and
// dates through Holds, and links it (HoldID): a case whose storing fails
// after that leaves the hold in force, which errs towards preservation.
// Audited (case.create) before it is stored. Returns Invalid (a field, or
// an owner or custodian who is not an employee), Unavailable if a hold is
// asked for and no Holds is set.
func (s *Service) CreateCase(ctx context.Context, actor string, c *steward.Case, hold bool) (*steward.Case, error) {
	const op steward.Op = "discovery.CreateCase"
	normalize(c)
	c.ID, c.CreatedBy, c.CreatedAt, c.Version = steward.NewID(), actor, s.now(), 1
	c.HoldID, c.ClosedBy, c.ClosedAt = "", "", nil
	if err := checkCase(c); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.checkPeople(ctx, c); err != nil {
		return nil, steward.E(op, err)
	}
	if hold {
		if s.Holds == nil {
			return nil, steward.E(op, steward.Unavailable, "legal holds are not available here")
		}
		h, err := s.Holds.CreateHold(ctx, actor, &steward.Hold{Name: c.Name, Owner: c.Owner,
			Reason: "eDiscovery case " + c.ID + ": " + c.Name, Custodians: slices.Clone(c.Custodians),
			From: c.From, Until: c.Until})
		if err != nil {
			return nil, steward.E(op, err)
		}
		c.HoldID = h.ID
	}
	if err := s.audit(ctx, actor, "case.create", c.ID, map[string]any{"case": c}); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.Store.CreateCase(ctx, c); err != nil {
		return nil, steward.E(op, err)
	}
	return c, nil
}

// Case returns a case, open or closed. NotFound.
func (s *Service) Case(ctx context.Context, id string) (*steward.Case, error) {
	c, err := s.Store.CaseByID(ctx, id)
	if err != nil {
		return nil, steward.E(steward.Op("discovery.Case"), err)
	}
	return c, nil
}

// Cases lists cases, newest first; closed ones only with includeClosed.
func (s *Service) Cases(ctx context.Context, includeClosed bool) ([]*steward.Case, error) {
	cs, err := s.Store.Cases(ctx, includeClosed)
	if err != nil {
		return nil, steward.E(steward.Op("discovery.Cases"), err)
	}
	return cs, nil
}

// UpdateCase changes an open case's name, description, custodians, dates
// and owner to c's, if the case is still at c.Version; the rest (its
// hold included) stays. A hold already placed is not widened with it.
// Audited (case.update) before it is stored. Returns Invalid, Conflict if
// the case changed since c.Version or is closed, NotFound.
func (s *Service) UpdateCase(ctx context.Context, actor string, c *steward.Case) (*steward.Case, error) {
	const op steward.Op = "discovery.UpdateCase"
	cur, err := s.Store.CaseByID(ctx, c.ID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if cur.Closed() {
		return nil, steward.E(op, steward.Conflict, "the case is closed")
	}
	if cur.Version != c.Version {
		return nil, steward.Errorf(op, steward.Conflict, "the case is at version %d, not %d: it was changed by someone else", cur.Version, c.Version)
	}
	next := *cur
	next.Name, next.Description, next.Owner = c.Name, c.Description, c.Owner
	next.Custodians, next.From, next.Until = c.Custodians, c.From, c.Until
	normalize(&next)
	if err := checkCase(&next); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.checkPeople(ctx, &next); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.audit(ctx, actor, "case.update", next.ID, map[string]any{"case": &next}); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.Store.UpdateCase(ctx, &next); err != nil {
		return nil, steward.E(op, err)
	}
	return &next, nil
}

// CloseCase closes a case: it is kept and read, but no longer searched or
// changed. Its hold, if any, stays in force until released on its own
// (recordkeeping.ReleaseHold): closing a matter and ending its
// preservation are separate decisions. Audited (case.close). Returns
// Conflict if already closed, NotFound.
func (s *Service) CloseCase(ctx context.Context, actor, id string) (*steward.Case, error) {
	const op steward.Op = "discovery.CloseCase"
	c, err := s.Store.CaseByID(ctx, id)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if c.Closed() {
		return nil, steward.E(op, steward.Conflict, "the case is already closed")
	}
	if err := s.audit(ctx, actor, "case.close", id, nil); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.Store.CloseCase(ctx, id, actor, s.now()); err != nil {
		return nil, steward.E(op, err)
	}
	return s.Case(ctx, id)
}

// SaveSearch keeps a query with an open case. The query must parse.
// Audited (case.search.save). Returns Invalid (a name, or the query with
// the position of its fault), Conflict if the case is closed, NotFound.
func (s *Service) SaveSearch(ctx context.Context, actor, caseID, name, query string) (*steward.SavedSearch, error) {
	const op steward.Op = "discovery.SaveSearch"
	if name == "" || utf8.RuneCountInString(name) > MaxNameLen || !utf8.ValidString(name) {
		return nil, steward.Errorf(op, steward.Invalid, "a saved search needs a name of 1 to %d characters", MaxNameLen)
	}
	if _, err := search.Parse(query); err != nil {
		return nil, steward.E(op, err)
	}
	c, err := s.Store.CaseByID(ctx, caseID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if c.Closed() {
		return nil, steward.E(op, steward.Conflict, "the case is closed")
	}
	ss := &steward.SavedSearch{ID: steward.NewID(), CaseID: caseID, Name: name, Query: query, CreatedBy: actor, CreatedAt: s.now()}
	if err := s.audit(ctx, actor, "case.search.save", caseID, map[string]any{"search": ss}); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.Store.AddSavedSearch(ctx, ss); err != nil {
		return nil, steward.E(op, err)
	}
	return ss, nil
}

// SavedSearches lists a case's saved searches, oldest first. NotFound.
func (s *Service) SavedSearches(ctx context.Context, caseID string) ([]*steward.SavedSearch, error) {
	ss, err := s.Store.SavedSearches(ctx, caseID)
	if err != nil {
		return nil, steward.E(steward.Op("discovery.SavedSearches"), err)
	}
	return ss, nil
}

// DeleteSavedSearch removes a case's saved search. Audited
// (case.search.delete). Returns NotFound.
func (s *Service) DeleteSavedSearch(ctx context.Context, actor, caseID, id string) error {
	const op steward.Op = "discovery.DeleteSavedSearch"
	ss, err := s.Store.SavedSearches(ctx, caseID)
	if err != nil {
		return steward.E(op, err)
	}
	if !slices.ContainsFunc(ss, func(x *steward.SavedSearch) bool { return x.ID == id }) {
		return steward.E(op, steward.NotFound, "saved search not found")
	}
	if err := s.audit(ctx, actor, "case.search.delete", caseID, map[string]any{"search": id}); err != nil {
		return steward.E(op, err)
	}
	if err := s.Store.DeleteSavedSearch(ctx, caseID, id); err != nil {
		return steward.E(op, err)
	}
	return nil
}
