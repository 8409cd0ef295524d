package storetest

import (
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// testCases checks steward.CaseStore: round trip, listing with and
// without closed cases, the version check of updates, closing, and saved
// searches.
func testCases(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	t0 := time.Date(2025, 4, 1, 9, 0, 0, 123456789, time.UTC)
	cs, err := s.Cases(ctx, true)
	must(t, "Cases (empty)", err)
	if len(cs) != 0 {
		t.Fatalf("new store has cases %+v", cs)
	}
	_, err = s.CaseByID(ctx, "case-none")
	wantKind(t, "CaseByID unknown", err, steward.NotFound)
	wantKind(t, "CreateCase without an id", s.CreateCase(ctx, &steward.Case{Name: "x"}), steward.Invalid)

	from, until := t0.AddDate(-1, 0, 0), t0.AddDate(0, 0, -1)
	full := &steward.Case{ID: "case-full", Name: "Smith v. City", Description: "Parks contract bid dispute",
		Custodians: []string{"emp-1", "emp-2"}, From: &from, Until: &until, HoldID: "hold-1", Owner: "counsel-1",
		CreatedBy: "counsel-1", CreatedAt: t0}
	must(t, "CreateCase", s.CreateCase(ctx, full))
	if full.Version != 1 {
		t.Fatalf("CreateCase set Version %d, want 1", full.Version)
	}
	before := time.Now().Add(-time.Second)
	bare := &steward.Case{ID: "case-bare", Name: "Audit", Custodians: []string{"emp-3"}, Owner: "counsel-1"}
	must(t, "CreateCase", s.CreateCase(ctx, bare))
	if bare.CreatedAt.Before(before) || bare.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("CreateCase with no time set CreatedAt %v, want about now", bare.CreatedAt)
	}
	old := &steward.Case{ID: "case-old", Name: "Old", Custodians: []string{"emp-1"}, Owner: "counsel-2",
		CreatedAt: t0.AddDate(-2, 0, 0)}
	must(t, "CreateCase", s.CreateCase(ctx, old))
	wantKind(t, "CreateCase with a taken id", s.CreateCase(ctx, &steward.Case{ID: "case-full", Name: "x"}), steward.Conflict)
	wantCase(t, s, full)
	wantCase(t, s, bare)
	wantCases(t, s, false, bare, full, old)

	// An update names the version it read; a second writer holding the
	// same version is refused.
	stale := *full
	full.Name, full.Custodians, full.Until, full.HoldID = "Smith v. City (amended)", []string{"emp-1", "emp-4"}, nil, ""
	must(t, "UpdateCase", s.UpdateCase(ctx, full))
	if full.Version != 2 {
		t.Fatalf("UpdateCase left Version %d, want 2", full.Version)
	}
	wantCase(t, s, full)
	stale.Name = "lost update"
	wantKind(t, "UpdateCase at a stale version", s.UpdateCase(ctx, &stale), steward.Conflict)
	wantCase(t, s, full)
	wantKind(t, "UpdateCase unknown", s.UpdateCase(ctx, &steward.Case{ID: "case-none", Version: 1}), steward.NotFound)

	// Closing.
	closedAt := t0.Add(time.Hour)
	wantKind(t, "CloseCase without a closer", s.CloseCase(ctx, old.ID, "", closedAt), steward.Invalid)
	wantKind(t, "CloseCase unknown", s.CloseCase(ctx, "case-none", "counsel-1", closedAt), steward.NotFound)
	must(t, "CloseCase", s.CloseCase(ctx, old.ID, "counsel-2", closedAt))
	wantKind(t, "CloseCase again", s.CloseCase(ctx, old.ID, "counsel-2", closedAt), steward.Conflict)
	old.ClosedBy, old.ClosedAt, old.Version = "counsel-2", &closedAt, 2
	wantCase(t, s, old)
	wantCases(t, s, false, bare, full)
	wantCases(t, s, true, bare, full, old)
	closedEdit := *old
	closedEdit.Name = "reopened by an edit"
	wantKind(t, "UpdateCase of a closed case", s.UpdateCase(ctx, &closedEdit), steward.Conflict)
	wantCase(t, s, old)

	// Saved searches.
	ss, err := s.SavedSearches(ctx, full.ID)
	must(t, "SavedSearches (none)", err)
	if len(ss) != 0 {
		t.Fatalf("new case has saved searches %+v", ss)
	}
	_, err = s.SavedSearches(ctx, "case-none")
	wantKind(t, "SavedSearches of no case", err, steward.NotFound)
	a := &steward.SavedSearch{ID: "ss-a", CaseID: full.ID, Name: "bids", Query: `bid AND from:"Dana"`, CreatedBy: "counsel-1", CreatedAt: t0}
	b := &steward.SavedSearch{ID: "ss-b", CaseID: full.ID, Name: "contract", Query: `"parks contract"`, CreatedBy: "counsel-1", CreatedAt: t0.Add(time.Minute)}
	must(t, "AddSavedSearch", s.AddSavedSearch(ctx, b))
	must(t, "AddSavedSearch", s.AddSavedSearch(ctx, a))
	wantKind(t, "AddSavedSearch of no case", s.AddSavedSearch(ctx, &steward.SavedSearch{ID: "ss-x", CaseID: "case-none", Query: "x"}), steward.NotFound)
	wantKind(t, "AddSavedSearch with a taken id", s.AddSavedSearch(ctx, &steward.SavedSearch{ID: "ss-a", CaseID: bare.ID, Query: "x"}), steward.Conflict)
	wantKind(t, "AddSavedSearch without a case", s.AddSavedSearch(ctx, &steward.SavedSearch{ID: "ss-y"}), steward.Invalid)
	ss, err = s.SavedSearches(ctx, full.ID)
	must(t, "SavedSearches", err)
	same(t, "SavedSearches, oldest first", ss, []*steward.SavedSearch{a, b})
	ss, err = s.SavedSearches(ctx, bare.ID)
	must(t, "SavedSearches of another case", err)
	if len(ss) != 0 {
		t.Fatalf("another case's saved searches are listed: %+v", ss)
	}
	wantKind(t, "DeleteSavedSearch under another case", s.DeleteSavedSearch(ctx, bare.ID, a.ID), steward.NotFound)
	must(t, "DeleteSavedSearch", s.DeleteSavedSearch(ctx, full.ID, a.ID))
	wantKind(t, "DeleteSavedSearch again", s.DeleteSavedSearch(ctx, full.ID, a.ID), steward.NotFound)
	ss, err = s.SavedSearches(ctx, full.ID)
	must(t, "SavedSearches after a delete", err)
	same(t, "SavedSearches after a delete", ss, []*steward.SavedSearch{b})
}

func wantCase(t *testing.T, s steward.Store, want *steward.Case) {
	t.Helper()
	got, err := s.CaseByID(ctx, want.ID)
	must(t, "CaseByID", err)
	same(t, "CaseByID "+want.ID, got, want)
}

func wantCases(t *testing.T, s steward.Store, includeClosed bool, want ...*steward.Case) {
	t.Helper()
	got, err := s.Cases(ctx, includeClosed)
	must(t, "Cases", err)
	var ids, wantIDs []string
	for _, c := range got {
		ids = append(ids, c.ID)
	}
	for _, c := range want {
		wantIDs = append(wantIDs, c.ID)
	}
	same(t, "Cases ids, newest first", ids, wantIDs)
}
