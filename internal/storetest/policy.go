package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// testPolicies checks steward.PolicyStore: versions, optimistic locking,
// live-name uniqueness, history and the policy-set version.
func testPolicies(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	ps, set, err := s.Policies(ctx)
	must(t, "Policies (empty)", err)
	if len(ps) != 0 || set != 0 {
		t.Fatalf("new store: Policies = %d policies, set version %d; want none, 0", len(ps), set)
	}
	_, err = s.PolicyByID(ctx, steward.NewID())
	wantKind(t, "PolicyByID unknown", err, steward.NotFound)
	_, err = s.PolicyHistory(ctx, steward.NewID())
	wantKind(t, "PolicyHistory unknown", err, steward.NotFound)

	for name, p := range map[string]*steward.Policy{
		"bad name":         {Name: "Bad Name", Kind: steward.PolicyMessage, Condition: "true", Action: steward.ActionFlag},
		"bad kind":         {Name: "k", Kind: "chat", Condition: "true", Action: steward.ActionFlag},
		"unknown action":   {Name: "k", Kind: steward.PolicyMessage, Condition: "true", Action: "shred"},
		"group redact":     {Name: "k", Kind: steward.PolicyGroup, Condition: "true", Action: steward.ActionRedact},
		"message approval": {Name: "k", Kind: steward.PolicyMessage, Condition: "true", Action: steward.ActionApproval},
		"no condition":     {Name: "k", Kind: steward.PolicyMessage, Action: steward.ActionFlag},
	} {
		_, err := s.SavePolicy(ctx, p)
		wantKind(t, "SavePolicy, "+name, err, steward.Invalid)
	}

	// A new policy: the store assigns ID, Version and UpdatedAt.
	before := time.Now().Add(-time.Second)
	beta := &steward.Policy{Name: "beta", Description: "card numbers to outsiders", Kind: steward.PolicyMessage,
		Condition: `findings["credit_card"] > 0 && direction == "outbound"`, Action: steward.ActionRedact,
		Reason: "Card numbers are masked.", Redact: []string{"credit_card", "iban"}, Enabled: true, UpdatedBy: "emp-1"}
	set, err = s.SavePolicy(ctx, beta)
	must(t, "SavePolicy (new)", err)
	if beta.ID == "" || beta.Version != 1 || beta.UpdatedAt.Before(before) || beta.UpdatedAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("SavePolicy left ID %q, Version %d, UpdatedAt %v; want an id, 1, now", beta.ID, beta.Version, beta.UpdatedAt)
	}
	if set != 1 {
		t.Fatalf("set version after the first save = %d, want 1", set)
	}
	got, err := s.PolicyByID(ctx, beta.ID)
	must(t, "PolicyByID", err)
	same(t, "PolicyByID", normPolicy(got), normPolicy(beta))

	// A new policy with an ID of the caller's, and nothing optional.
	alpha := &steward.Policy{ID: "pol-alpha", Name: "alpha", Kind: steward.PolicyGroup, Condition: "true",
		Action: steward.ActionApproval}
	set = savePolicy(t, s, alpha, 2)
	if alpha.ID != "pol-alpha" || alpha.Version != 1 {
		t.Fatalf("SavePolicy with an id left ID %q, Version %d", alpha.ID, alpha.Version)
	}
	got, err = s.PolicyByID(ctx, alpha.ID)
	must(t, "PolicyByID", err)
	same(t, "PolicyByID of a bare policy", normPolicy(got), normPolicy(alpha))
	wantPolicies(t, s, set, alpha, beta)

	// The next version replaces the current one and keeps the old.
	v1 := *beta
	beta.Condition, beta.Action, beta.Redact, beta.UpdatedBy = `findings["iban"] > 0`, steward.ActionBlock, nil, "emp-2"
	set = savePolicy(t, s, beta, 3)
	if beta.Version != 2 || beta.UpdatedAt.Before(v1.UpdatedAt) {
		t.Fatalf("second save: Version %d, UpdatedAt %v (first %v); want 2, not earlier", beta.Version, beta.UpdatedAt, v1.UpdatedAt)
	}
	got, err = s.PolicyByID(ctx, beta.ID)
	must(t, "PolicyByID", err)
	same(t, "PolicyByID after a change", normPolicy(got), normPolicy(beta))

	// Conflicts change nothing: not the store, not the set version, not
	// the caller's policy.
	stale := v1
	stale.Condition = "false"
	refused := func(what string, p *steward.Policy) {
		t.Helper()
		keep := *p
		_, err := s.SavePolicy(ctx, p)
		wantKind(t, what, err, steward.Conflict)
		same(t, what+": the caller's policy", normPolicy(p), normPolicy(&keep))
	}
	refused("SavePolicy of a stale version", &stale)
	refused("SavePolicy of a version from the future", &steward.Policy{ID: beta.ID, Version: 5, Name: "beta",
		Kind: steward.PolicyMessage, Condition: "true", Action: steward.ActionFlag})
	refused("SavePolicy new with a known id", &steward.Policy{ID: beta.ID, Name: "gamma",
		Kind: steward.PolicyMessage, Condition: "true", Action: steward.ActionFlag})
	refused("SavePolicy of an unknown id at version 1", &steward.Policy{ID: steward.NewID(), Version: 1, Name: "gamma",
		Kind: steward.PolicyMessage, Condition: "true", Action: steward.ActionFlag})
	refused("SavePolicy new with a taken name", &steward.Policy{Name: "alpha",
		Kind: steward.PolicyMessage, Condition: "true", Action: steward.ActionFlag})
	rename := *beta
	rename.Name = "alpha"
	refused("SavePolicy renaming onto a taken name", &rename)
	got, err = s.PolicyByID(ctx, beta.ID)
	must(t, "PolicyByID", err)
	same(t, "policy after refused saves", normPolicy(got), normPolicy(beta))
	wantPolicies(t, s, set, alpha, beta)

	// Deleting is a version too: the policy leaves the set but keeps its
	// history, and its name is free for another.
	alpha.Deleted = true
	set = savePolicy(t, s, alpha, 4)
	wantPolicies(t, s, set, beta)
	got, err = s.PolicyByID(ctx, alpha.ID)
	must(t, "PolicyByID of a deleted policy", err)
	if !got.Deleted || got.Version != 2 {
		t.Fatalf("deleted policy: Deleted %v, Version %d; want true, 2", got.Deleted, got.Version)
	}
	alpha2 := &steward.Policy{Name: "alpha", Kind: steward.PolicyMessage, Condition: "true", Action: steward.ActionFlag}
	set = savePolicy(t, s, alpha2, 5)
	wantPolicies(t, s, set, alpha2, beta)
	// Restoring the first alpha would now take a live name.
	restore := *alpha
	restore.Deleted = false
	refused("SavePolicy restoring onto a taken name", &restore)
	// A rename frees the old name at once.
	alpha2.Name = "zeta"
	set = savePolicy(t, s, alpha2, 6)
	set = savePolicy(t, s, &restore, 7)
	wantPolicies(t, s, set, &restore, beta, alpha2)

	hist, err := s.PolicyHistory(ctx, beta.ID)
	must(t, "PolicyHistory", err)
	if len(hist) != 2 {
		t.Fatalf("PolicyHistory = %d versions, want 2", len(hist))
	}
	same(t, "PolicyHistory[0]", normPolicy(hist[0]), normPolicy(&v1))
	same(t, "PolicyHistory[1]", normPolicy(hist[1]), normPolicy(beta))
	hist, err = s.PolicyHistory(ctx, alpha.ID)
	must(t, "PolicyHistory", err)
	var versions []int
	var deleted []bool
	for _, p := range hist {
		versions, deleted = append(versions, p.Version), append(deleted, p.Deleted)
	}
	same(t, "PolicyHistory of a deleted and restored policy: versions", versions, []int{1, 2, 3})
	same(t, "PolicyHistory of a deleted and restored policy: deleted", deleted, []bool{false, true, false})

	must(t, "Close", s.Close())
	_, _, err = s.Policies(ctx)
	wantKind(t, "Policies after Close", err, steward.Unavailable)
	_, err = s.SavePolicy(ctx, &steward.Policy{Name: "late", Kind: steward.PolicyMessage, Condition: "true",
		Action: steward.ActionFlag})
	wantKind(t, "SavePolicy after Close", err, steward.Unavailable)
}

// savePolicy saves p and checks that the set version became want.
func savePolicy(t *testing.T, s steward.Store, p *steward.Policy, want int64) int64 {
	t.Helper()
	set, err := s.SavePolicy(ctx, p)
	must(t, "SavePolicy "+p.Name, err)
	if set != want {
		t.Fatalf("SavePolicy %s: set version %d, want %d", p.Name, set, want)
	}
	return set
}

// wantPolicies checks that Policies lists want, in that order, at set
// version set.
func wantPolicies(t *testing.T, s steward.Store, set int64, want ...*steward.Policy) {
	t.Helper()
	ps, gotSet, err := s.Policies(ctx)
	must(t, "Policies", err)
	if gotSet != set {
		t.Fatalf("Policies: set version %d, want %d", gotSet, set)
	}
	got, exp := []steward.Policy{}, []steward.Policy{}
	for _, p := range ps {
		got = append(got, normPolicy(p))
	}
	for _, p := range want {
		exp = append(exp, normPolicy(p))
	}
	same(t, "Policies", got, exp)
}

func normPolicy(p *steward.Policy) steward.Policy {
	n := *p
	n.UpdatedAt = ts(n.UpdatedAt)
	if len(n.Redact) == 0 {
		n.Redact = nil
	}
	return n
}

// testDetectors checks steward.DetectorStore, and that exact-data-match
// digests are kept as opaque bytes and counted.
func testDetectors(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	ds, err := s.Detectors(ctx)
	must(t, "Detectors (empty)", err)
	if len(ds) != 0 {
		t.Fatalf("new store has detectors %+v", ds)
	}
	_, err = s.DetectorByID(ctx, steward.NewID())
	wantKind(t, "DetectorByID unknown", err, steward.NotFound)

	for name, d := range map[string]*steward.CustomDetector{
		"unknown kind":  {Name: "x", Kind: "fuzzy", Pattern: "x", Confidence: 0.5},
		"no kind":       {Name: "x", Pattern: "x", Confidence: 0.5},
		"empty name":    {Kind: steward.DetectorRegex, Pattern: "x", Confidence: 0.5},
		"capitals":      {Name: "Case_Number", Kind: steward.DetectorRegex, Pattern: "x", Confidence: 0.5},
		"leading digit": {Name: "1case", Kind: steward.DetectorRegex, Pattern: "x", Confidence: 0.5},
		"space":         {Name: "case number", Kind: steward.DetectorRegex, Pattern: "x", Confidence: 0.5},
	} {
		wantKind(t, "SaveDetector, "+name, s.SaveDetector(ctx, d), steward.Invalid)
	}

	before := time.Now().Add(-time.Second)
	caseNo := &steward.CustomDetector{Name: "case_number", Kind: steward.DetectorRegex, Pattern: `\bCN-\d{6}\b`,
		Context: []string{"case", "docket"}, Confidence: 0.8, Enabled: true, UpdatedBy: "emp-1"}
	must(t, "SaveDetector", s.SaveDetector(ctx, caseNo))
	if caseNo.ID == "" || caseNo.Version != 1 || caseNo.UpdatedAt.Before(before) {
		t.Fatalf("SaveDetector left ID %q, Version %d, UpdatedAt %v", caseNo.ID, caseNo.Version, caseNo.UpdatedAt)
	}
	got, err := s.DetectorByID(ctx, caseNo.ID)
	must(t, "DetectorByID", err)
	same(t, "DetectorByID", normDetector(got), normDetector(caseNo))

	lex := &steward.CustomDetector{ID: "det-lex", Name: "lex_threats", Kind: steward.DetectorLexicon,
		Keywords: []string{"hurt you", `"watch out" w/3 night`}, Confidence: 0.6, Enabled: true}
	must(t, "SaveDetector", s.SaveDetector(ctx, lex))
	edm := &steward.CustomDetector{Name: "client_ids", Kind: steward.DetectorEDM, Pattern: `\b\d{9}\b`, Confidence: 1}
	must(t, "SaveDetector", s.SaveDetector(ctx, edm))
	wantDetectors(t, s, caseNo, edm, lex)

	// Versions and names follow the policy rules.
	v1 := *caseNo
	caseNo.Pattern, caseNo.Keywords = `\bCN-\d{7}\b`, nil
	must(t, "SaveDetector (next version)", s.SaveDetector(ctx, caseNo))
	if caseNo.Version != 2 {
		t.Fatalf("second save: Version %d, want 2", caseNo.Version)
	}
	stale := v1
	wantKind(t, "SaveDetector of a stale version", s.SaveDetector(ctx, &stale), steward.Conflict)
	if stale.Version != 1 {
		t.Fatalf("refused save changed the caller's version to %d", stale.Version)
	}
	wantKind(t, "SaveDetector new with a known id", s.SaveDetector(ctx, &steward.CustomDetector{ID: lex.ID,
		Name: "other", Kind: steward.DetectorKeywords, Keywords: []string{"x"}, Confidence: 0.5}), steward.Conflict)
	wantKind(t, "SaveDetector of an unknown id at version 2", s.SaveDetector(ctx, &steward.CustomDetector{
		ID: steward.NewID(), Version: 2, Name: "other", Kind: steward.DetectorKeywords, Confidence: 0.5}), steward.Conflict)
	wantKind(t, "SaveDetector new with a taken name", s.SaveDetector(ctx, &steward.CustomDetector{
		Name: "lex_threats", Kind: steward.DetectorKeywords, Keywords: []string{"x"}, Confidence: 0.5}), steward.Conflict)
	rename := *caseNo
	rename.Name = "client_ids"
	wantKind(t, "SaveDetector renaming onto a taken name", s.SaveDetector(ctx, &rename), steward.Conflict)
	got, err = s.DetectorByID(ctx, caseNo.ID)
	must(t, "DetectorByID", err)
	same(t, "detector after refused saves", normDetector(got), normDetector(caseNo))

	// Digests: replaced wholesale, duplicates once, counted in EDMValues.
	d1, d2, d3 := randomBytes(32), randomBytes(32), randomBytes(32)
	must(t, "SetEDMDigests", s.SetEDMDigests(ctx, edm.ID, [][]byte{d1, d2, d1, d3}))
	wantDigests(t, s, edm.ID, d1, d2, d3)
	edm.EDMValues = 3
	got, err = s.DetectorByID(ctx, edm.ID)
	must(t, "DetectorByID", err)
	same(t, "DetectorByID of an edm detector", normDetector(got), normDetector(edm))
	wantDetectors(t, s, caseNo, edm, lex)

	// A new version of an edm detector keeps its digests.
	edm.Enabled, edm.EDMValues = true, 0 // saves ignore EDMValues
	must(t, "SaveDetector (edm, next version)", s.SaveDetector(ctx, edm))
	edm.EDMValues = 3
	wantDigests(t, s, edm.ID, d1, d2, d3)
	wantDetectors(t, s, caseNo, edm, lex)

	must(t, "SetEDMDigests (replace)", s.SetEDMDigests(ctx, edm.ID, [][]byte{d2}))
	wantDigests(t, s, edm.ID, d2)
	edm.EDMValues = 1
	wantDetectors(t, s, caseNo, edm, lex)
	must(t, "SetEDMDigests (none)", s.SetEDMDigests(ctx, edm.ID, nil))
	wantDigests(t, s, edm.ID)
	edm.EDMValues = 0
	wantDetectors(t, s, caseNo, edm, lex)

	wantKind(t, "SetEDMDigests on a regex detector", s.SetEDMDigests(ctx, caseNo.ID, [][]byte{d1}), steward.Invalid)
	wantKind(t, "SetEDMDigests on an unknown detector", s.SetEDMDigests(ctx, steward.NewID(), [][]byte{d1}), steward.NotFound)
	wantKind(t, "SetEDMDigests with an empty digest", s.SetEDMDigests(ctx, edm.ID, [][]byte{d1, {}}), steward.Invalid)
	wantDigests(t, s, edm.ID) // the refused replacement left nothing behind
	_, err = s.EDMDigests(ctx, steward.NewID())
	wantKind(t, "EDMDigests of an unknown detector", err, steward.NotFound)
	wantDigests(t, s, caseNo.ID)

	// A detector that stops being edm drops its digests.
	must(t, "SetEDMDigests", s.SetEDMDigests(ctx, edm.ID, [][]byte{d1, d3}))
	edm.Kind, edm.Keywords = steward.DetectorKeywords, []string{"client"}
	must(t, "SaveDetector (edm to keywords)", s.SaveDetector(ctx, edm))
	wantDigests(t, s, edm.ID)
	edm.EDMValues = 0
	wantDetectors(t, s, caseNo, edm, lex)

	// Deleted: out of the list, still readable, name free.
	lex.Deleted = true
	must(t, "SaveDetector (delete)", s.SaveDetector(ctx, lex))
	wantDetectors(t, s, caseNo, edm)
	got, err = s.DetectorByID(ctx, lex.ID)
	must(t, "DetectorByID of a deleted detector", err)
	if !got.Deleted || got.Version != 2 {
		t.Fatalf("deleted detector: Deleted %v, Version %d; want true, 2", got.Deleted, got.Version)
	}
	lex2 := &steward.CustomDetector{Name: "lex_threats", Kind: steward.DetectorLexicon, Keywords: []string{"x"}, Confidence: 0.5}
	must(t, "SaveDetector reusing a deleted detector's name", s.SaveDetector(ctx, lex2))
	wantDetectors(t, s, caseNo, edm, lex2)

	must(t, "Close", s.Close())
	_, err = s.Detectors(ctx)
	wantKind(t, "Detectors after Close", err, steward.Unavailable)
	wantKind(t, "SetEDMDigests after Close", s.SetEDMDigests(ctx, edm.ID, nil), steward.Unavailable)
}

func wantDetectors(t *testing.T, s steward.Store, want ...*steward.CustomDetector) {
	t.Helper()
	ds, err := s.Detectors(ctx)
	must(t, "Detectors", err)
	got, exp := []steward.CustomDetector{}, []steward.CustomDetector{}
	for _, d := range ds {
		got = append(got, normDetector(d))
	}
	for _, d := range want {
		exp = append(exp, normDetector(d))
	}
	same(t, "Detectors", got, exp)
}

// wantDigests checks a detector's digests as a set.
func wantDigests(t *testing.T, s steward.Store, detectorID string, want ...[]byte) {
	t.Helper()
	got, err := s.EDMDigests(ctx, detectorID)
	must(t, "EDMDigests", err)
	slices.SortFunc(got, bytes.Compare)
	want = slices.Clone(want)
	slices.SortFunc(want, bytes.Compare)
	if len(got) != len(want) {
		t.Fatalf("EDMDigests = %d digests, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("EDMDigests[%d] = %x, want %x", i, got[i], want[i])
		}
	}
}

func normDetector(d *steward.CustomDetector) steward.CustomDetector {
	n := *d
	n.UpdatedAt = ts(n.UpdatedAt)
	if len(n.Keywords) == 0 {
		n.Keywords = nil
	}
	if len(n.Context) == 0 {
		n.Context = nil
	}
	return n
}
