package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// testReview checks steward.ReviewStore.
func testReview(t *testing.T, open func(t *testing.T) steward.Store) {
	t.Run("Items", func(t *testing.T) { testReviewItems(t, open) })
	t.Run("Paging", func(t *testing.T) { testReviewPaging(t, open) })
	t.Run("Update", func(t *testing.T) { testReviewUpdate(t, open) })
	t.Run("RuleStats", func(t *testing.T) { testRuleStats(t, open) })
	t.Run("PolicyCounts", func(t *testing.T) { testPolicyCounts(t, open) })
	t.Run("Suppressions", func(t *testing.T) { testSuppressions(t, open) })
}

// newReviewItem returns an open flag item for a new record and decision,
// created at created.
func newReviewItem(created time.Time, policies ...string) *steward.ReviewItem {
	return &steward.ReviewItem{RecordID: steward.NewID(), DecisionID: steward.NewID(), Action: steward.ActionFlag,
		Policies: policies, Source: "policy", State: steward.ReviewOpen, CreatedAt: created, UpdatedAt: created}
}

func addReviewItem(t *testing.T, s steward.Store, it *steward.ReviewItem) *steward.ReviewItem {
	t.Helper()
	got, added, err := s.AddReviewItem(ctx, it)
	must(t, "AddReviewItem", err)
	if !added {
		t.Fatalf("AddReviewItem of a new decision: added = false")
	}
	same(t, "AddReviewItem's stored item", normReviewItem(got), normReviewItem(it))
	return it
}

func testReviewItems(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	t0 := time.Date(2025, 8, 1, 9, 0, 0, 123456789, time.UTC)

	// Every field, given.
	resolved := t0.Add(time.Hour)
	full := &steward.ReviewItem{ID: steward.NewID(), RecordID: steward.NewID(), DecisionID: steward.NewID(),
		ConversationID: steward.NewID(), Channel: "signal", Direction: steward.DirOutbound, EmployeeID: steward.NewID(),
		Action: steward.ActionQuarantine, Policies: []string{"pol-a", "pol-b"}, Source: "policy",
		State: steward.ReviewResolved, Quarantine: steward.QuarantineReleased, Assignee: steward.NewID(),
		Outcome: steward.OutcomeFalsePositive, CreatedAt: t0, UpdatedAt: resolved, ResolvedBy: steward.NewID(),
		ResolvedAt: &resolved}
	addReviewItem(t, s, full)
	got, err := s.ReviewItemByID(ctx, full.ID)
	must(t, "ReviewItemByID", err)
	same(t, "item with every field", normReviewItem(got), normReviewItem(full))

	// Defaults: ID, times and state.
	before := time.Now().Add(-time.Second)
	bare := &steward.ReviewItem{RecordID: steward.NewID(), DecisionID: steward.NewID(), Action: steward.ActionFlag,
		Source: "lexicon"}
	addReviewItem(t, s, bare)
	if bare.ID == "" || bare.CreatedAt.Before(before) || !bare.UpdatedAt.Equal(bare.CreatedAt) || bare.State != steward.ReviewOpen {
		t.Fatalf("AddReviewItem left ID %q, CreatedAt %v, UpdatedAt %v, State %q; want an id, now, CreatedAt, open",
			bare.ID, bare.CreatedAt, bare.UpdatedAt, bare.State)
	}
	got, err = s.ReviewItemByID(ctx, bare.ID)
	must(t, "ReviewItemByID", err)
	same(t, "bare item", normReviewItem(got), normReviewItem(bare))

	// One item per decision: re-queuing returns the first, unchanged.
	again := newReviewItem(t0.Add(time.Minute), "pol-c")
	again.DecisionID, again.RecordID = full.DecisionID, full.RecordID
	keep := *again
	stored, added, err := s.AddReviewItem(ctx, again)
	must(t, "AddReviewItem of a queued decision", err)
	if added {
		t.Fatal("AddReviewItem of a queued decision: added = true")
	}
	same(t, "AddReviewItem of a queued decision returns", normReviewItem(stored), normReviewItem(full))
	same(t, "AddReviewItem of a queued decision: the caller's item", normReviewItem(again), normReviewItem(&keep))
	items, err := s.ReviewItems(ctx, steward.ReviewFilter{})
	must(t, "ReviewItems", err)
	if len(items) != 2 {
		t.Fatalf("ReviewItems after a re-queue = %d items, want 2", len(items))
	}
	// Nor is the duplicate counted for its policy.
	items, err = s.ReviewItems(ctx, steward.ReviewFilter{PolicyID: "pol-c"})
	must(t, "ReviewItems(pol-c)", err)
	if len(items) != 0 {
		t.Fatalf("the refused duplicate is listed under its policy: %+v", items)
	}

	dupID := newReviewItem(t0)
	dupID.ID = full.ID
	_, _, err = s.AddReviewItem(ctx, dupID)
	wantKind(t, "AddReviewItem with a taken id", err, steward.Conflict)
	for name, it := range map[string]*steward.ReviewItem{
		"no record":          {DecisionID: steward.NewID(), Action: steward.ActionFlag},
		"no decision":        {RecordID: steward.NewID(), Action: steward.ActionFlag},
		"unknown state":      {RecordID: steward.NewID(), DecisionID: steward.NewID(), State: "pending"},
		"unknown quarantine": {RecordID: steward.NewID(), DecisionID: steward.NewID(), Quarantine: "frozen"},
		"unknown outcome":    {RecordID: steward.NewID(), DecisionID: steward.NewID(), Outcome: "maybe"},
		"empty policy id":    {RecordID: steward.NewID(), DecisionID: steward.NewID(), Policies: []string{"pol-a", ""}},
	} {
		_, _, err := s.AddReviewItem(ctx, it)
		wantKind(t, "AddReviewItem, "+name, err, steward.Invalid)
	}

	_, err = s.ReviewItemByID(ctx, steward.NewID())
	wantKind(t, "ReviewItemByID unknown", err, steward.NotFound)
	_, err = s.ReviewItemByRecord(ctx, steward.NewID())
	wantKind(t, "ReviewItemByRecord unknown", err, steward.NotFound)

	// By record: the newest of its items, whatever the order of adding.
	rec := steward.NewID()
	newer, older := newReviewItem(t0.Add(2*time.Hour)), newReviewItem(t0.Add(time.Hour))
	newer.RecordID, older.RecordID = rec, rec
	addReviewItem(t, s, newer)
	addReviewItem(t, s, older)
	got, err = s.ReviewItemByRecord(ctx, rec)
	must(t, "ReviewItemByRecord", err)
	same(t, "ReviewItemByRecord", normReviewItem(got), normReviewItem(newer))

	must(t, "Close", s.Close())
	_, err = s.ReviewItemByID(ctx, full.ID)
	wantKind(t, "ReviewItemByID after Close", err, steward.Unavailable)
	_, _, err = s.AddReviewItem(ctx, newReviewItem(t0))
	wantKind(t, "AddReviewItem after Close", err, steward.Unavailable)
}

// testReviewPaging checks ReviewItems' order, filters and cursor, with
// many items created at the same instant so that a cursor on time alone
// would skip or repeat them.
func testReviewPaging(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	t0 := time.Date(2025, 8, 1, 9, 0, 0, 0, time.UTC)
	var all []*steward.ReviewItem
	for i := range 23 {
		// Seconds 0,0,0,0,0,1,1,1,1,1,... in an order unlike their ids'.
		it := newReviewItem(t0.Add(time.Duration((i*7)%23/5)*time.Second), "pol-all")
		if i%3 == 0 {
			it.Policies = append(it.Policies, "pol-third")
		}
		if i%2 == 0 {
			it.State, it.Assignee = steward.ReviewAssigned, "officer-1"
		}
		if i%4 == 0 {
			it.Action, it.Quarantine = steward.ActionQuarantine, steward.QuarantineHeld
		}
		all = append(all, addReviewItem(t, s, it))
	}
	// An item in the past, added last, still comes first.
	first := addReviewItem(t, s, newReviewItem(t0.Add(-time.Hour)))
	all = append([]*steward.ReviewItem{first}, all...)

	ids := func(items []*steward.ReviewItem) []string {
		out := []string{}
		for _, it := range items {
			out = append(out, it.ID)
		}
		return out
	}
	// wantPages reads every page of f and checks that together they hold
	// exactly the items matching, oldest first, each once.
	wantPages := func(what string, f steward.ReviewFilter, match func(*steward.ReviewItem) bool) {
		t.Helper()
		want := map[string]bool{}
		for _, it := range all {
			if match(it) {
				want[it.ID] = true
			}
		}
		whole, err := s.ReviewItems(ctx, f)
		must(t, what, err)
		if len(whole) != len(want) {
			t.Fatalf("%s: %d items, want %d", what, len(whole), len(want))
		}
		for i, it := range whole {
			if !want[it.ID] {
				t.Fatalf("%s: item %s does not match the filter: %+v", what, it.ID, it)
			}
			if i > 0 && it.CreatedAt.Before(whole[i-1].CreatedAt) {
				t.Fatalf("%s: not oldest first: %v after %v", what, it.CreatedAt, whole[i-1].CreatedAt)
			}
		}
		for _, size := range []int{1, 2, 3} {
			var paged []*steward.ReviewItem
			page := f
			page.Limit = size
			for n := 0; ; n++ {
				if n > len(whole)+1 {
					t.Fatalf("%s: paging by %d does not end", what, size)
				}
				items, err := s.ReviewItems(ctx, page)
				must(t, what, err)
				if len(items) > size {
					t.Fatalf("%s: a page of %d items with limit %d", what, len(items), size)
				}
				if len(items) == 0 {
					break
				}
				paged = append(paged, items...)
				page.After = items[len(items)-1].ID
			}
			same(t, fmt.Sprintf("%s, in pages of %d", what, size), ids(paged), ids(whole))
		}
	}
	wantPages("ReviewItems", steward.ReviewFilter{}, func(*steward.ReviewItem) bool { return true })
	wantPages("ReviewItems(policy)", steward.ReviewFilter{PolicyID: "pol-third"},
		func(it *steward.ReviewItem) bool { return slices.Contains(it.Policies, "pol-third") })
	wantPages("ReviewItems(state)", steward.ReviewFilter{State: steward.ReviewAssigned},
		func(it *steward.ReviewItem) bool { return it.State == steward.ReviewAssigned })
	wantPages("ReviewItems(open)", steward.ReviewFilter{State: steward.ReviewOpen},
		func(it *steward.ReviewItem) bool { return it.State == steward.ReviewOpen })
	wantPages("ReviewItems(quarantine)", steward.ReviewFilter{Quarantine: steward.QuarantineHeld},
		func(it *steward.ReviewItem) bool { return it.Quarantine == steward.QuarantineHeld })
	wantPages("ReviewItems(assignee)", steward.ReviewFilter{Assignee: "officer-1"},
		func(it *steward.ReviewItem) bool { return it.Assignee == "officer-1" })
	wantPages("ReviewItems(policy, state, quarantine)", steward.ReviewFilter{PolicyID: "pol-all",
		State: steward.ReviewAssigned, Quarantine: steward.QuarantineHeld},
		func(it *steward.ReviewItem) bool {
			return slices.Contains(it.Policies, "pol-all") && it.State == steward.ReviewAssigned &&
				it.Quarantine == steward.QuarantineHeld
		})
	wantPages("ReviewItems(unknown policy)", steward.ReviewFilter{PolicyID: "pol-none"},
		func(*steward.ReviewItem) bool { return false })

	whole, err := s.ReviewItems(ctx, steward.ReviewFilter{})
	must(t, "ReviewItems", err)
	if whole[0].ID != first.ID {
		t.Fatalf("ReviewItems starts with %s, want the oldest, %s", whole[0].ID, first.ID)
	}
	same(t, "first item listed", normReviewItem(whole[0]), normReviewItem(first))
	_, err = s.ReviewItems(ctx, steward.ReviewFilter{After: steward.NewID()})
	wantKind(t, "ReviewItems after an unknown cursor", err, steward.Invalid)
	_, err = s.ReviewItems(ctx, steward.ReviewFilter{Limit: -1})
	wantKind(t, "ReviewItems with a negative limit", err, steward.Invalid)

	// Limit 0 means 100.
	for range 100 - len(all) + 1 {
		addReviewItem(t, s, newReviewItem(t0))
	}
	items, err := s.ReviewItems(ctx, steward.ReviewFilter{})
	must(t, "ReviewItems", err)
	if len(items) != 100 {
		t.Fatalf("ReviewItems of 101 with no limit = %d, want 100", len(items))
	}

	must(t, "Close", s.Close())
	_, err = s.ReviewItems(ctx, steward.ReviewFilter{})
	wantKind(t, "ReviewItems after Close", err, steward.Unavailable)
}

func testReviewUpdate(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	t0 := time.Date(2025, 8, 1, 9, 0, 0, 123456789, time.UTC)
	it := newReviewItem(t0, "pol-a")
	it.Action, it.Quarantine = steward.ActionQuarantine, steward.QuarantineHeld
	addReviewItem(t, s, it)

	// Assign, with the store stamping UpdatedAt.
	read, err := s.ReviewItemByID(ctx, it.ID)
	must(t, "ReviewItemByID", err)
	upd := *read
	upd.State, upd.Assignee, upd.UpdatedAt = steward.ReviewAssigned, "officer-1", time.Time{}
	must(t, "UpdateReviewItem", s.UpdateReviewItem(ctx, &upd, read.UpdatedAt))
	if !upd.UpdatedAt.After(read.UpdatedAt) {
		t.Fatalf("UpdateReviewItem set UpdatedAt %v, not after %v", upd.UpdatedAt, read.UpdatedAt)
	}
	got, err := s.ReviewItemByID(ctx, it.ID)
	must(t, "ReviewItemByID", err)
	same(t, "assigned item", normReviewItem(got), normReviewItem(&upd))

	// A second officer who read before the assignment is refused, and
	// changes nothing.
	late := *read
	late.State, late.Assignee, late.UpdatedAt = steward.ReviewEscalated, "officer-2", time.Time{}
	wantKind(t, "UpdateReviewItem from a stale read", s.UpdateReviewItem(ctx, &late, read.UpdatedAt), steward.Conflict)
	got, err = s.ReviewItemByID(ctx, it.ID)
	must(t, "ReviewItemByID", err)
	same(t, "item after a refused update", normReviewItem(got), normReviewItem(&upd))

	// prev compares to the microsecond: a time read back from any store
	// will do. The fields that are not workflow fields do not change.
	resolved := got.UpdatedAt.Add(time.Minute)
	done := *got
	done.State, done.Quarantine, done.Outcome = steward.ReviewResolved, steward.QuarantineReleased, steward.OutcomeTruePositive
	done.ResolvedBy, done.ResolvedAt, done.UpdatedAt = "officer-1", &resolved, resolved
	tampered := done
	tampered.RecordID, tampered.DecisionID, tampered.Policies = "other", "other", []string{"pol-z"}
	tampered.Action, tampered.Source, tampered.CreatedAt = steward.ActionBlock, "sample", t0.Add(time.Hour)
	must(t, "UpdateReviewItem", s.UpdateReviewItem(ctx, &tampered, got.UpdatedAt.Truncate(time.Microsecond)))
	got, err = s.ReviewItemByID(ctx, it.ID)
	must(t, "ReviewItemByID", err)
	same(t, "resolved item", normReviewItem(got), normReviewItem(&done))
	items, err := s.ReviewItems(ctx, steward.ReviewFilter{PolicyID: "pol-a", State: steward.ReviewResolved})
	must(t, "ReviewItems(pol-a, resolved)", err)
	same(t, "resolved item under its policy", len(items), 1)

	// An UpdatedAt that does not move past prev would let the next stale
	// writer through.
	same2 := *got
	same2.Assignee = "officer-3"
	wantKind(t, "UpdateReviewItem with UpdatedAt = prev", s.UpdateReviewItem(ctx, &same2, got.UpdatedAt), steward.Invalid)
	wantKind(t, "UpdateReviewItem with an unknown state", s.UpdateReviewItem(ctx, &steward.ReviewItem{ID: it.ID,
		State: "closed"}, got.UpdatedAt), steward.Invalid)
	wantKind(t, "UpdateReviewItem without prev", s.UpdateReviewItem(ctx, &same2, time.Time{}), steward.Invalid)
	wantKind(t, "UpdateReviewItem unknown", s.UpdateReviewItem(ctx, &steward.ReviewItem{ID: steward.NewID(),
		State: steward.ReviewOpen}, t0), steward.NotFound)

	// A stamp ahead of the store's clock (another node's, say) still
	// moves forward when the store stamps the update.
	ahead := time.Now().Add(time.Hour)
	fut := addReviewItem(t, s, newReviewItem(ahead))
	fupd := *fut
	fupd.State, fupd.UpdatedAt = steward.ReviewEscalated, time.Time{}
	must(t, "UpdateReviewItem of an item stamped ahead", s.UpdateReviewItem(ctx, &fupd, fut.UpdatedAt))
	if !ts(fupd.UpdatedAt).After(ts(fut.UpdatedAt)) {
		t.Fatalf("UpdateReviewItem set UpdatedAt %v, not after prev %v", fupd.UpdatedAt, fut.UpdatedAt)
	}
	got, err = s.ReviewItemByID(ctx, fut.ID)
	must(t, "ReviewItemByID", err)
	same(t, "item stamped ahead, updated", normReviewItem(got), normReviewItem(&fupd))

	must(t, "Close", s.Close())
	same2.UpdatedAt = time.Time{}
	wantKind(t, "UpdateReviewItem after Close", s.UpdateReviewItem(ctx, &same2, got.UpdatedAt), steward.Unavailable)
}

func testRuleStats(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	t0 := time.Date(2025, 8, 1, 9, 0, 0, 0, time.UTC)
	stats, err := s.RuleStats(ctx, time.Time{})
	must(t, "RuleStats (empty)", err)
	if len(stats) != 0 {
		t.Fatalf("new store has rule stats %+v", stats)
	}
	add := func(at time.Duration, state steward.ReviewState, outcome steward.ReviewOutcome, policies ...string) {
		t.Helper()
		it := newReviewItem(t0.Add(at), policies...)
		it.State, it.Outcome = state, outcome
		addReviewItem(t, s, it)
	}
	add(-time.Hour, steward.ReviewResolved, steward.OutcomeTruePositive, "pol-a") // before since
	add(0, steward.ReviewOpen, "", "pol-a", "pol-b")                              // at since: counted
	add(time.Minute, steward.ReviewAssigned, "", "pol-a")
	add(time.Minute, steward.ReviewEscalated, "", "pol-b")
	add(2*time.Minute, steward.ReviewResolved, steward.OutcomeTruePositive, "pol-a", "pol-b")
	add(3*time.Minute, steward.ReviewResolved, steward.OutcomeFalsePositive, "pol-a")
	add(3*time.Minute, steward.ReviewResolved, steward.OutcomeFalsePositive, "pol-c")
	add(4*time.Minute, steward.ReviewResolved, "", "pol-c")

	stats, err = s.RuleStats(ctx, t0)
	must(t, "RuleStats", err)
	same(t, "RuleStats", stats, []steward.RuleStat{
		{PolicyID: "pol-a", Items: 4, Open: 2, TruePositives: 1, FalsePositives: 1},
		{PolicyID: "pol-b", Items: 3, Open: 2, TruePositives: 1},
		{PolicyID: "pol-c", Items: 2, FalsePositives: 1},
	})
	stats, err = s.RuleStats(ctx, t0.Add(-2*time.Hour))
	must(t, "RuleStats", err)
	same(t, "RuleStats from earlier", stats[0], steward.RuleStat{PolicyID: "pol-a", Items: 5, Open: 2,
		TruePositives: 2, FalsePositives: 1})
	stats, err = s.RuleStats(ctx, t0.Add(time.Hour))
	must(t, "RuleStats", err)
	if len(stats) != 0 {
		t.Fatalf("RuleStats after every item = %+v, want none", stats)
	}

	must(t, "Close", s.Close())
	_, err = s.RuleStats(ctx, t0)
	wantKind(t, "RuleStats after Close", err, steward.Unavailable)
}

func testPolicyCounts(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	cs, err := s.PolicyCounts(ctx, "")
	must(t, "PolicyCounts (empty)", err)
	if len(cs) != 0 {
		t.Fatalf("new store has counts %+v", cs)
	}
	must(t, "AddPolicyCounts", s.AddPolicyCounts(ctx, []steward.PolicyCount{
		{PolicyID: "pol-b", Day: "2025-08-02", Evaluated: 100, Matched: 3},
		{PolicyID: "pol-a", Day: "2025-08-02", Evaluated: 100, Matched: 0},
		{PolicyID: "pol-a", Day: "2025-07-31", Evaluated: 50, Matched: 5},
	}))
	must(t, "AddPolicyCounts", s.AddPolicyCounts(ctx, []steward.PolicyCount{
		{PolicyID: "pol-b", Day: "2025-08-02", Evaluated: 10, Matched: 1},
		{PolicyID: "pol-a", Day: "2025-08-01", Evaluated: 7, Matched: 7},
		{PolicyID: "pol-a", Day: "2025-08-01", Evaluated: 1, Matched: 0}, // twice in one call adds twice
	}))
	must(t, "AddPolicyCounts (none)", s.AddPolicyCounts(ctx, nil))
	cs, err = s.PolicyCounts(ctx, "")
	must(t, "PolicyCounts", err)
	same(t, "PolicyCounts", cs, []steward.PolicyCount{
		{PolicyID: "pol-a", Day: "2025-07-31", Evaluated: 50, Matched: 5},
		{PolicyID: "pol-a", Day: "2025-08-01", Evaluated: 8, Matched: 7},
		{PolicyID: "pol-a", Day: "2025-08-02", Evaluated: 100, Matched: 0},
		{PolicyID: "pol-b", Day: "2025-08-02", Evaluated: 110, Matched: 4},
	})
	cs, err = s.PolicyCounts(ctx, "2025-08-01")
	must(t, "PolicyCounts since", err)
	same(t, "PolicyCounts since 2025-08-01", cs, []steward.PolicyCount{
		{PolicyID: "pol-a", Day: "2025-08-01", Evaluated: 8, Matched: 7},
		{PolicyID: "pol-a", Day: "2025-08-02", Evaluated: 100, Matched: 0},
		{PolicyID: "pol-b", Day: "2025-08-02", Evaluated: 110, Matched: 4},
	})
	cs, err = s.PolicyCounts(ctx, "2025-08-03")
	must(t, "PolicyCounts since", err)
	if len(cs) != 0 {
		t.Fatalf("PolicyCounts after the last day = %+v", cs)
	}

	// A bad count refuses the whole call.
	for name, c := range map[string]steward.PolicyCount{
		"no policy":      {Day: "2025-08-01", Evaluated: 1},
		"no day":         {PolicyID: "pol-a", Evaluated: 1},
		"bad day":        {PolicyID: "pol-a", Day: "2025-8-1", Evaluated: 1},
		"impossible day": {PolicyID: "pol-a", Day: "2025-02-30", Evaluated: 1},
		"negative":       {PolicyID: "pol-a", Day: "2025-08-01", Evaluated: -1},
	} {
		wantKind(t, "AddPolicyCounts, "+name, s.AddPolicyCounts(ctx, []steward.PolicyCount{
			{PolicyID: "pol-a", Day: "2025-08-01", Evaluated: 1000, Matched: 1000}, c}), steward.Invalid)
	}
	_, err = s.PolicyCounts(ctx, "yesterday")
	wantKind(t, "PolicyCounts since a bad day", err, steward.Invalid)
	cs, err = s.PolicyCounts(ctx, "2025-08-01")
	must(t, "PolicyCounts", err)
	same(t, "counts after refused adds", cs[0], steward.PolicyCount{PolicyID: "pol-a", Day: "2025-08-01", Evaluated: 8, Matched: 7})

	must(t, "Close", s.Close())
	wantKind(t, "AddPolicyCounts after Close", s.AddPolicyCounts(ctx, []steward.PolicyCount{
		{PolicyID: "pol-a", Day: "2025-08-01", Evaluated: 1}}), steward.Unavailable)
}

func testSuppressions(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	now := time.Date(2025, 8, 1, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	add := func(policy string, kind steward.SuppressionKind, value string, created time.Duration, expires *time.Time) *steward.Suppression {
		t.Helper()
		x := &steward.Suppression{ID: steward.NewID(), PolicyID: policy, Kind: kind, Value: value,
			Reason: "known good", CreatedBy: "officer-1", CreatedAt: now.Add(created), ExpiresAt: expires}
		must(t, "AddSuppression", s.AddSuppression(ctx, x))
		return x
	}
	forever := add("*", steward.SuppressSender, "+15550100", -3*time.Hour, nil)
	later := add("pol-a", steward.SuppressConversation, steward.NewID(), -2*time.Hour, at(time.Microsecond))
	add("pol-a", steward.SuppressValue, "9f86d081884c7d659a2feaa0c55ad015", -time.Hour, at(0)) // expires now
	add("pol-b", steward.SuppressSender, "+15550101", -time.Hour, at(-time.Minute))
	digest := add("pol-b", steward.SuppressValue, "a665a45920422f9d417e4867efdc4fb8", -time.Minute, at(24*time.Hour))

	list := func(when time.Time) []steward.Suppression {
		t.Helper()
		xs, err := s.Suppressions(ctx, when)
		must(t, "Suppressions", err)
		out := []steward.Suppression{}
		for _, x := range xs {
			out = append(out, normSuppression(x))
		}
		return out
	}
	norm := func(xs ...*steward.Suppression) []steward.Suppression {
		out := []steward.Suppression{}
		for _, x := range xs {
			out = append(out, normSuppression(x))
		}
		return out
	}
	got := list(now)
	slices.SortFunc(got, func(a, b steward.Suppression) int { return a.CreatedAt.Compare(b.CreatedAt) })
	same(t, "Suppressions at now", got, norm(forever, later, digest))
	got = list(now.Add(48 * time.Hour))
	same(t, "Suppressions in two days", got, norm(forever))

	// The store sets a missing creation time.
	before := time.Now().Add(-time.Second)
	bare := &steward.Suppression{ID: steward.NewID(), PolicyID: "pol-c", Kind: steward.SuppressSender, Value: "+15550102"}
	must(t, "AddSuppression", s.AddSuppression(ctx, bare))
	if bare.CreatedAt.Before(before) {
		t.Fatalf("AddSuppression left CreatedAt %v", bare.CreatedAt)
	}

	for name, x := range map[string]*steward.Suppression{
		"no id":        {PolicyID: "*", Kind: steward.SuppressSender, Value: "+1"},
		"no policy":    {ID: steward.NewID(), Kind: steward.SuppressSender, Value: "+1"},
		"unknown kind": {ID: steward.NewID(), PolicyID: "*", Kind: "domain", Value: "example.org"},
		"empty value":  {ID: steward.NewID(), PolicyID: "*", Kind: steward.SuppressSender},
	} {
		wantKind(t, "AddSuppression, "+name, s.AddSuppression(ctx, x), steward.Invalid)
	}
	dup := *digest
	dup.Value = "other"
	wantKind(t, "AddSuppression with a taken id", s.AddSuppression(ctx, &dup), steward.Conflict)

	must(t, "DeleteSuppression", s.DeleteSuppression(ctx, later.ID))
	wantKind(t, "DeleteSuppression again", s.DeleteSuppression(ctx, later.ID), steward.NotFound)
	got = list(now)
	slices.SortFunc(got, func(a, b steward.Suppression) int { return a.CreatedAt.Compare(b.CreatedAt) })
	same(t, "Suppressions after a delete", got, norm(forever, digest, bare))

	must(t, "Close", s.Close())
	_, err := s.Suppressions(ctx, now)
	wantKind(t, "Suppressions after Close", err, steward.Unavailable)
	wantKind(t, "DeleteSuppression after Close", s.DeleteSuppression(ctx, forever.ID), steward.Unavailable)
}

func normReviewItem(it *steward.ReviewItem) steward.ReviewItem {
	n := *it
	n.CreatedAt, n.UpdatedAt, n.ResolvedAt = ts(n.CreatedAt), ts(n.UpdatedAt), tsp(n.ResolvedAt)
	if len(n.Policies) == 0 {
		n.Policies = nil
	}
	return n
}

func normSuppression(x *steward.Suppression) steward.Suppression {
	n := *x
	n.CreatedAt, n.ExpiresAt = ts(n.CreatedAt), tsp(n.ExpiresAt)
	return n
}
