package steward

import (
	"context"
	"time"
)

// This file holds the eDiscovery vocabulary (issue 7): a case is the
// authority under which the archive's content may be searched, and its
// saved searches. internal/discovery validates every value before a store
// is asked to save it, so stores may trust their input's shape.

// Case is an eDiscovery matter: litigation, an investigation, or the
// search and review behind a FOIA request. Its custodians and dates bound
// every search made under it; no query text can widen them.
type Case struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Custodians are the employee ids whose records the case may search:
	// at least one.
	Custodians []string `json:"custodians"`
	// From and Until bound the messages' sent time, From inclusive and
	// Until exclusive; nil is unbounded.
	From  *time.Time `json:"from,omitempty"`
	Until *time.Time `json:"until,omitempty"`
	// HoldID is the legal hold that preserves the case's records, if any.
	HoldID string `json:"hold_id,omitempty"`
	// Owner is the employee id of the counsel who answers for the case.
	Owner     string     `json:"owner"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	ClosedBy  string     `json:"closed_by,omitempty"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
	// Version counts the case's saved changes, 1 when created: an update
	// names the version it read, so two editors cannot overwrite each
	// other unseen.
	Version int64 `json:"version"`
}

// Closed reports whether the case was closed. A closed case is kept, and
// read, but no longer searched or changed.
func (c *Case) Closed() bool { return c.ClosedAt != nil }

// SavedSearch is a query kept with a case so that it can be run again,
// as the case's scope or the archive grows.
type SavedSearch struct {
	ID        string    `json:"id"`
	CaseID    string    `json:"case_id"`
	Name      string    `json:"name"`
	Query     string    `json:"query"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// CaseStore keeps eDiscovery cases and their saved searches. No content:
// a case holds its scope, and a saved search its query text, which is the
// searcher's words rather than the archive's.
type CaseStore interface {
	// CreateCase stores a new case (ID set by the caller) at Version 1,
	// setting CreatedAt to now when zero. Invalid without an ID; Conflict
	// for an ID already used.
	CreateCase(ctx context.Context, c *Case) error
	// CaseByID returns a case, closed or not. NotFound.
	CaseByID(ctx context.Context, id string) (*Case, error)
	// Cases lists cases, newest first; closed ones only when
	// includeClosed is set.
	Cases(ctx context.Context, includeClosed bool) ([]*Case, error)
	// UpdateCase saves c's Name, Description, Custodians, From, Until,
	// HoldID and Owner if the stored case is still at c.Version and open,
	// and sets c.Version to the next version. Conflict if the case
	// changed since c.Version was read or is closed; NotFound.
	UpdateCase(ctx context.Context, c *Case) error
	// CloseCase closes a case, incrementing its version. Invalid without
	// by or at; Conflict when already closed; NotFound.
	CloseCase(ctx context.Context, id, by string, at time.Time) error
	// AddSavedSearch stores a saved search (ID set by the caller), setting
	// CreatedAt to now when zero. NotFound when its case does not exist;
	// Conflict for an ID already used.
	AddSavedSearch(ctx context.Context, s *SavedSearch) error
	// SavedSearches lists a case's saved searches, oldest first. NotFound
	// when there is no such case.
	SavedSearches(ctx context.Context, caseID string) ([]*SavedSearch, error)
	// DeleteSavedSearch removes a case's saved search. NotFound when the
	// case has no such search.
	DeleteSavedSearch(ctx context.Context, caseID, id string) error
}
