package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/records"
	"github.com/steward-gov/steward/internal/steward"
)

// testSchedule checks steward.ScheduleStore's items: versions, optimistic
// locking, history, the schedule version, and that an item enabled rules
// still name cannot be deleted.
func testSchedule(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	sched, err := s.Schedule(ctx)
	must(t, "Schedule (empty)", err)
	if len(sched.Items) != 0 || sched.Version != 0 {
		t.Fatalf("new store: Schedule = %d items at version %d; want none, 0", len(sched.Items), sched.Version)
	}
	_, err = s.ScheduleItemHistory(ctx, "grs-6.1-010")
	wantKind(t, "ScheduleItemHistory unknown", err, steward.NotFound)
	_, err = s.SaveScheduleItem(ctx, &steward.ScheduleItem{Title: "no id", Authority: "X", Action: steward.DispositionDestroy})
	wantKind(t, "SaveScheduleItem without an id", err, steward.Invalid)

	// The built-in file plan, item by item: every field round-trips, and
	// each save moves the schedule version by one.
	before := time.Now().Add(-time.Second)
	builtin := records.BuiltinSchedules().Items
	var items []*steward.ScheduleItem
	for i := range builtin {
		it := builtin[i]
		it.Version, it.UpdatedBy = 0, "rm-1"
		items = append(items, &it)
		saveItem(t, s, &it, int64(i+1))
		if it.Version != 1 || it.UpdatedAt.Before(before) || it.UpdatedAt.After(time.Now().Add(time.Second)) {
			t.Fatalf("SaveScheduleItem %s left Version %d, UpdatedAt %v; want 1, now", it.ID, it.Version, it.UpdatedAt)
		}
	}
	set := int64(len(items))
	wantSchedule(t, s, set, items...)
	// Months and an event are in no built-in item.
	odd := &steward.ScheduleItem{ID: "agency-x.1_2", Title: "Odd terms", Authority: "N1-064-08-1, item 3",
		Retention: steward.Period{Years: 1, Months: 6, Days: 3}, Action: steward.DispositionDestroy,
		Cutoff: steward.CutoffRule{Period: steward.CutoffNone, Event: "employee_departed"}}
	set = saveItem(t, s, odd, set+1)
	items = append(items, odd)
	wantSchedule(t, s, set, items...)

	// The next version replaces the current one and keeps the old.
	transitory := items[3]
	if transitory.ID != "grs-5.2-010" {
		t.Fatalf("built-in item 3 is %s; the test expects grs-5.2-010", transitory.ID)
	}
	v1 := *transitory
	transitory.Retention, transitory.Notes, transitory.ToBeConfirmed = steward.Period{Days: 120}, "", true
	set = saveItem(t, s, transitory, set+1)
	if transitory.Version != 2 || transitory.UpdatedAt.Before(v1.UpdatedAt) {
		t.Fatalf("second save: Version %d, UpdatedAt %v (first %v); want 2, not earlier",
			transitory.Version, transitory.UpdatedAt, v1.UpdatedAt)
	}
	wantSchedule(t, s, set, items...)

	// Conflicts change nothing: not the store, not the schedule version,
	// not the caller's item.
	refused := func(what string, it *steward.ScheduleItem) {
		t.Helper()
		keep := *it
		_, err := s.SaveScheduleItem(ctx, it)
		wantKind(t, what, err, steward.Conflict)
		same(t, what+": the caller's item", normItem(it), normItem(&keep))
	}
	stale := v1
	stale.Title = "stale"
	refused("SaveScheduleItem of a stale version", &stale)
	future := *transitory
	future.Version = 7
	refused("SaveScheduleItem of a version from the future", &future)
	again := *odd
	again.Version = 0
	refused("SaveScheduleItem new with a known id", &again)
	ghost := *odd
	ghost.ID, ghost.Version = "ghost", 1
	refused("SaveScheduleItem of an unknown id at version 1", &ghost)
	wantSchedule(t, s, set, items...)

	// Deleting: refused while an enabled rule names the item, allowed once
	// the rule is disabled, and a deleted rule does not count either.
	rule := &steward.AssignmentRule{Name: "transitory", Condition: "true", ItemID: transitory.ID, Enabled: true}
	_, err = s.SaveAssignmentRule(ctx, rule)
	must(t, "SaveAssignmentRule", err)
	gone := &steward.AssignmentRule{Name: "gone", Condition: "true", ItemID: odd.ID, Enabled: true}
	_, err = s.SaveAssignmentRule(ctx, gone)
	must(t, "SaveAssignmentRule", err)
	gone.Deleted = true
	_, err = s.SaveAssignmentRule(ctx, gone)
	must(t, "SaveAssignmentRule (delete)", err)
	del := *transitory
	del.Deleted = true
	refused("SaveScheduleItem deleting an item an enabled rule names", &del)
	wantSchedule(t, s, set, items...)
	rule.Enabled = false
	_, err = s.SaveAssignmentRule(ctx, rule)
	must(t, "SaveAssignmentRule (disable)", err)
	transitory.Deleted = true
	set = saveItem(t, s, transitory, set+1)
	odd.Deleted = true
	set = saveItem(t, s, odd, set+1)
	wantSchedule(t, s, set, items[0], items[1], items[2], items[4])
	// Nor may a rule be enabled on a deleted item.
	revive := *gone
	revive.Deleted = false
	_, err = s.SaveAssignmentRule(ctx, &revive)
	wantKind(t, "SaveAssignmentRule enabling a rule on a deleted item", err, steward.Conflict)

	// A deleted item keeps its history and can come back.
	hist, err := s.ScheduleItemHistory(ctx, transitory.ID)
	must(t, "ScheduleItemHistory", err)
	if len(hist) != 3 {
		t.Fatalf("ScheduleItemHistory = %d versions, want 3", len(hist))
	}
	same(t, "ScheduleItemHistory[0]", normItem(hist[0]), normItem(&v1))
	if hist[1].Retention != (steward.Period{Days: 120}) || hist[1].Deleted || !hist[2].Deleted || hist[2].Version != 3 {
		t.Fatalf("ScheduleItemHistory: %+v", hist)
	}
	same(t, "ScheduleItemHistory[2]", normItem(hist[2]), normItem(transitory))
	transitory.Deleted = false
	set = saveItem(t, s, transitory, set+1)
	wantSchedule(t, s, set, items[0], items[1], items[2], transitory, items[4])

	must(t, "Close", s.Close())
	_, err = s.Schedule(ctx)
	wantKind(t, "Schedule after Close", err, steward.Unavailable)
	_, err = s.SaveScheduleItem(ctx, &steward.ScheduleItem{ID: "late", Title: "late"})
	wantKind(t, "SaveScheduleItem after Close", err, steward.Unavailable)
}

// saveItem saves it and checks that the schedule version became want.
func saveItem(t *testing.T, s steward.Store, it *steward.ScheduleItem, want int64) int64 {
	t.Helper()
	set, err := s.SaveScheduleItem(ctx, it)
	must(t, "SaveScheduleItem "+it.ID, err)
	if set != want {
		t.Fatalf("SaveScheduleItem %s: schedule version %d, want %d", it.ID, set, want)
	}
	return set
}

// wantSchedule checks that Schedule lists want, in ID order, at version
// set.
func wantSchedule(t *testing.T, s steward.Store, set int64, want ...*steward.ScheduleItem) {
	t.Helper()
	sched, err := s.Schedule(ctx)
	must(t, "Schedule", err)
	if sched.Version != set {
		t.Fatalf("Schedule: version %d, want %d", sched.Version, set)
	}
	got, exp := []steward.ScheduleItem{}, []steward.ScheduleItem{}
	for i := range sched.Items {
		got = append(got, normItem(&sched.Items[i]))
	}
	for _, it := range want {
		exp = append(exp, normItem(it))
	}
	slices.SortFunc(exp, func(a, b steward.ScheduleItem) int { return strings.Compare(a.ID, b.ID) })
	same(t, "Schedule", got, exp)
}

func normItem(it *steward.ScheduleItem) steward.ScheduleItem {
	n := *it
	n.UpdatedAt = ts(n.UpdatedAt)
	return n
}

// testAssignmentRules checks the rules half of steward.ScheduleStore.
func testAssignmentRules(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	rs, set, err := s.AssignmentRules(ctx)
	must(t, "AssignmentRules (empty)", err)
	if len(rs) != 0 || set != 0 {
		t.Fatalf("new store: AssignmentRules = %d rules, version %d; want none, 0", len(rs), set)
	}

	// Enabled rules must name items of the schedule, so it comes first.
	for _, it := range records.BuiltinSchedules().Items {
		it.Version = 0
		_, err := s.SaveScheduleItem(ctx, &it)
		must(t, "SaveScheduleItem", err)
	}
	before := time.Now().Add(-time.Second)
	capstone := &steward.AssignmentRule{Name: "capstone", Description: "Capstone officials' messages",
		Condition: `sender.capstone || recipients.exists(r, r.capstone)`, ItemID: "grs-6.1-010", Priority: 10,
		Enabled: true, UpdatedBy: "rm-1"}
	saveRule(t, s, capstone, 1)
	if capstone.ID == "" || capstone.Version != 1 || capstone.UpdatedAt.Before(before) {
		t.Fatalf("SaveAssignmentRule left ID %q, Version %d, UpdatedAt %v", capstone.ID, capstone.Version, capstone.UpdatedAt)
	}
	// Same priority: by name. A disabled rule is listed too.
	admin := &steward.AssignmentRule{ID: "rule-admin", Name: "admin", Condition: `sender.department == "Admin"`,
		ItemID: "grs-6.1-030", Priority: 20}
	saveRule(t, s, admin, 2)
	if admin.ID != "rule-admin" {
		t.Fatalf("SaveAssignmentRule changed the caller's id to %q", admin.ID)
	}
	officials := &steward.AssignmentRule{Name: "officials", Condition: "true", ItemID: "grs-6.1-020", Priority: 20, Enabled: true}
	set = saveRule(t, s, officials, 3)
	wantRules(t, s, set, capstone, admin, officials)

	// Priority decides before the name.
	v1 := *officials
	officials.Priority, officials.UpdatedBy = 5, "rm-2"
	set = saveRule(t, s, officials, 4)
	if officials.Version != 2 {
		t.Fatalf("second save: Version %d, want 2", officials.Version)
	}
	wantRules(t, s, set, officials, capstone, admin)

	refused := func(what string, r *steward.AssignmentRule) {
		t.Helper()
		keep := *r
		_, err := s.SaveAssignmentRule(ctx, r)
		wantKind(t, what, err, steward.Conflict)
		same(t, what+": the caller's rule", normRule(r), normRule(&keep))
	}
	stale := v1
	refused("SaveAssignmentRule of a stale version", &stale)
	refused("SaveAssignmentRule new with a known id", &steward.AssignmentRule{ID: admin.ID, Name: "other",
		Condition: "true", ItemID: "x"})
	refused("SaveAssignmentRule of an unknown id at version 1", &steward.AssignmentRule{ID: "rule-ghost",
		Version: 1, Name: "ghost", Condition: "true", ItemID: "x"})
	refused("SaveAssignmentRule new with a taken name", &steward.AssignmentRule{Name: "admin", Condition: "true", ItemID: "x"})
	rename := *officials
	rename.Name = "capstone"
	refused("SaveAssignmentRule renaming onto a taken name", &rename)
	wantRules(t, s, set, officials, capstone, admin)

	// An enabled rule must name an item in the schedule; a disabled or
	// deleted one need not, so drafts can be saved.
	refused("SaveAssignmentRule naming an unknown item", &steward.AssignmentRule{Name: "lost", Condition: "true",
		ItemID: "grs-9.9-999", Enabled: true})
	draft := &steward.AssignmentRule{Name: "draft", Condition: "true", ItemID: "grs-9.9-999"}
	set = saveRule(t, s, draft, set+1)
	enable := *draft
	enable.Enabled = true
	refused("SaveAssignmentRule enabling a rule on an unknown item", &enable)
	draft.Deleted = true
	set = saveRule(t, s, draft, set+1)
	wantRules(t, s, set, officials, capstone, admin)

	// Deleting frees the name.
	admin.Deleted = true
	set = saveRule(t, s, admin, set+1)
	wantRules(t, s, set, officials, capstone)
	admin2 := &steward.AssignmentRule{Name: "admin", Condition: "false", ItemID: "grs-6.1-030", Priority: 1, Enabled: true}
	set = saveRule(t, s, admin2, set+1)
	wantRules(t, s, set, admin2, officials, capstone)

	// Rules and items count their versions apart.
	n := int64(len(records.BuiltinSchedules().Items))
	sched, err := s.Schedule(ctx)
	must(t, "Schedule", err)
	if sched.Version != n {
		t.Fatalf("saving rules moved the schedule version to %d, want %d", sched.Version, n)
	}
	_, err = s.SaveScheduleItem(ctx, &steward.ScheduleItem{ID: "x", Title: "x", Authority: "X", Action: steward.DispositionDestroy,
		Cutoff: steward.CutoffRule{Period: steward.CutoffNone}})
	must(t, "SaveScheduleItem", err)
	wantRules(t, s, set, admin2, officials, capstone)

	must(t, "Close", s.Close())
	_, _, err = s.AssignmentRules(ctx)
	wantKind(t, "AssignmentRules after Close", err, steward.Unavailable)
	_, err = s.SaveAssignmentRule(ctx, &steward.AssignmentRule{Name: "late", Condition: "true", ItemID: "x"})
	wantKind(t, "SaveAssignmentRule after Close", err, steward.Unavailable)
}

func saveRule(t *testing.T, s steward.Store, r *steward.AssignmentRule, want int64) int64 {
	t.Helper()
	set, err := s.SaveAssignmentRule(ctx, r)
	must(t, "SaveAssignmentRule "+r.Name, err)
	if set != want {
		t.Fatalf("SaveAssignmentRule %s: rule-set version %d, want %d", r.Name, set, want)
	}
	return set
}

func wantRules(t *testing.T, s steward.Store, set int64, want ...*steward.AssignmentRule) {
	t.Helper()
	rs, gotSet, err := s.AssignmentRules(ctx)
	must(t, "AssignmentRules", err)
	if gotSet != set {
		t.Fatalf("AssignmentRules: version %d, want %d", gotSet, set)
	}
	got, exp := []steward.AssignmentRule{}, []steward.AssignmentRule{}
	for _, r := range rs {
		got = append(got, normRule(r))
	}
	for _, r := range want {
		exp = append(exp, normRule(r))
	}
	same(t, "AssignmentRules", got, exp)
}

func normRule(r *steward.AssignmentRule) steward.AssignmentRule {
	n := *r
	n.UpdatedAt = ts(n.UpdatedAt)
	return n
}

// testAssignments checks steward.AssignmentStore's assignments: write
// once, all or none, reassignment with history, and the listing.
func testAssignments(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 123456789, time.UTC)
	_, err := s.AssignmentByRecord(ctx, "rec-none")
	wantKind(t, "AssignmentByRecord unknown", err, steward.NotFound)
	_, err = s.AssignmentHistory(ctx, "rec-none")
	wantKind(t, "AssignmentHistory unknown", err, steward.NotFound)
	must(t, "AddAssignments (none)", s.AddAssignments(ctx, nil))

	full := steward.RecordAssignment{RecordID: "rec-full", AssignedAt: t0, Assignment: steward.Assignment{
		ItemID: "grs-6.1-010", RuleID: "rule-1", RuleName: "capstone", RuleVersion: 3, ScheduleVersion: 12}}
	bare := steward.RecordAssignment{RecordID: "rec-bare", AssignedAt: t0.Add(time.Second),
		Assignment: steward.Assignment{ItemID: "grs-6.1-010", Unscheduled: true, Error: `no such key: "dept"`}}
	must(t, "AddAssignments", s.AddAssignments(ctx, []steward.RecordAssignment{full, bare}))
	wantAssignment(t, s, full)
	wantAssignment(t, s, bare)

	// A zero AssignedAt is stamped by the store.
	before := time.Now().Add(-time.Second)
	must(t, "AddAssignments", s.AddAssignments(ctx, []steward.RecordAssignment{{RecordID: "rec-now",
		Assignment: steward.Assignment{ItemID: "grs-5.2-010"}}}))
	got, err := s.AssignmentByRecord(ctx, "rec-now")
	must(t, "AssignmentByRecord", err)
	if got.AssignedAt.Before(before) || got.AssignedAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("AddAssignments with no time stored AssignedAt %v, want about now", got.AssignedAt)
	}

	// Write once, and all or none.
	fresh := steward.RecordAssignment{RecordID: "rec-fresh", AssignedAt: t0, Assignment: steward.Assignment{ItemID: "grs-5.2-010"}}
	again := full
	again.ItemID = "grs-5.2-010"
	err = s.AddAssignments(ctx, []steward.RecordAssignment{fresh, again})
	wantKind(t, "AddAssignments with a record already assigned", err, steward.Conflict)
	err = s.AddAssignments(ctx, []steward.RecordAssignment{fresh, fresh})
	wantKind(t, "AddAssignments listing a record twice", err, steward.Conflict)
	_, err = s.AssignmentByRecord(ctx, fresh.RecordID)
	wantKind(t, "AssignmentByRecord after refused adds", err, steward.NotFound)
	wantAssignment(t, s, full)
	for name, a := range map[string]steward.RecordAssignment{
		"no record": {Assignment: steward.Assignment{ItemID: "grs-5.2-010"}},
		"no item":   {RecordID: "rec-x"},
	} {
		wantKind(t, "AddAssignments, "+name, s.AddAssignments(ctx, []steward.RecordAssignment{fresh, a}), steward.Invalid)
	}
	_, err = s.AssignmentByRecord(ctx, fresh.RecordID)
	wantKind(t, "AssignmentByRecord after invalid adds", err, steward.NotFound)

	// Reassignment moves the record and keeps the history.
	moved := steward.RecordAssignment{RecordID: bare.RecordID, AssignedAt: t0.Add(time.Hour), AssignedBy: "rm-1",
		Reason: "scheduled by the records officer", Assignment: steward.Assignment{ItemID: "grs-6.1-020", ScheduleVersion: 13}}
	for name, a := range map[string]steward.RecordAssignment{
		"without AssignedBy": {RecordID: bare.RecordID, Reason: "r", Assignment: steward.Assignment{ItemID: "x"}},
		"without Reason":     {RecordID: bare.RecordID, AssignedBy: "rm-1", Assignment: steward.Assignment{ItemID: "x"}},
	} {
		wantKind(t, "Reassign "+name, s.Reassign(ctx, a), steward.Invalid)
	}
	ghost := moved
	ghost.RecordID = "rec-none"
	wantKind(t, "Reassign of a record with no assignment", s.Reassign(ctx, ghost), steward.NotFound)
	wantAssignment(t, s, bare)
	must(t, "Reassign", s.Reassign(ctx, moved))
	wantAssignment(t, s, moved)
	back := moved
	back.ItemID, back.AssignedAt, back.Reason = "grs-6.1-010", t0.Add(2*time.Hour), "moved back"
	must(t, "Reassign", s.Reassign(ctx, back))
	wantAssignment(t, s, back)
	hist, err := s.AssignmentHistory(ctx, bare.RecordID)
	must(t, "AssignmentHistory", err)
	same(t, "AssignmentHistory", normAssignments(hist), normAssignments([]steward.RecordAssignment{bare, moved, back}))
	// A reassignment with no time is stamped by the store.
	before = time.Now().Add(-time.Second)
	must(t, "Reassign with no time", s.Reassign(ctx, steward.RecordAssignment{RecordID: "rec-now", AssignedBy: "rm-1",
		Reason: "r", Assignment: steward.Assignment{ItemID: "grs-6.1-030"}}))
	got, err = s.AssignmentByRecord(ctx, "rec-now")
	must(t, "AssignmentByRecord", err)
	if got.ItemID != "grs-6.1-030" || got.AssignedAt.Before(before) || got.AssignedAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("Reassign with no time stored %+v, want grs-6.1-030 at about now", got)
	}
	hist, err = s.AssignmentHistory(ctx, full.RecordID)
	must(t, "AssignmentHistory", err)
	same(t, "AssignmentHistory of a record never moved", normAssignments(hist), normAssignments([]steward.RecordAssignment{full}))
	// A reassigned record is still assigned once and for all.
	err = s.AddAssignments(ctx, []steward.RecordAssignment{{RecordID: bare.RecordID, Assignment: steward.Assignment{ItemID: "x"}}})
	wantKind(t, "AddAssignments of a reassigned record", err, steward.Conflict)

	must(t, "Close", s.Close())
	_, err = s.AssignmentByRecord(ctx, full.RecordID)
	wantKind(t, "AssignmentByRecord after Close", err, steward.Unavailable)
	wantKind(t, "AddAssignments after Close", s.AddAssignments(ctx, []steward.RecordAssignment{fresh}), steward.Unavailable)
	wantKind(t, "Reassign after Close", s.Reassign(ctx, moved), steward.Unavailable)
}

func wantAssignment(t *testing.T, s steward.Store, want steward.RecordAssignment) {
	t.Helper()
	got, err := s.AssignmentByRecord(ctx, want.RecordID)
	must(t, "AssignmentByRecord "+want.RecordID, err)
	same(t, "AssignmentByRecord "+want.RecordID, normAssignment(*got), normAssignment(want))
}

func normAssignment(a steward.RecordAssignment) steward.RecordAssignment {
	a.AssignedAt = ts(a.AssignedAt)
	return a
}

func normAssignments(as []steward.RecordAssignment) []steward.RecordAssignment {
	out := []steward.RecordAssignment{}
	for _, a := range as {
		out = append(out, normAssignment(a))
	}
	return out
}

// testAssignmentPaging checks Assignments' filters and cursor over more
// than a default page, with reassignments moving records between lists.
func testAssignmentPaging(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	items := []string{"item-a", "item-b", "item-c"}
	cur := map[string]steward.RecordAssignment{}
	var as []steward.RecordAssignment
	for i := range 130 {
		// Record ids in an order unlike that of adding.
		a := steward.RecordAssignment{RecordID: fmt.Sprintf("rec-%03d", (i*37)%130), AssignedAt: t0,
			Assignment: steward.Assignment{ItemID: items[i%3], Unscheduled: i%4 == 0}}
		as = append(as, a)
		cur[a.RecordID] = a
	}
	must(t, "AddAssignments", s.AddAssignments(ctx, as[:70]))
	must(t, "AddAssignments", s.AddAssignments(ctx, as[70:]))
	// Two records are scheduled by hand, one onto another item.
	for _, id := range []string{"rec-000", "rec-037"} {
		a := cur[id]
		a.ItemID, a.Unscheduled, a.AssignedBy, a.Reason = "item-b", false, "rm-1", "reviewed"
		must(t, "Reassign", s.Reassign(ctx, a))
		cur[id] = a
	}
	if as[0].RecordID != "rec-000" || as[0].ItemID != "item-a" || !as[0].Unscheduled || as[1].RecordID != "rec-037" {
		t.Fatal("the test's records are not as it expects")
	}

	wantPages := func(what, item string, unscheduled bool) {
		t.Helper()
		var want []string
		for id, a := range cur {
			if (item == "" || a.ItemID == item) && (!unscheduled || a.Unscheduled) {
				want = append(want, id)
			}
		}
		slices.Sort(want)
		whole, err := s.Assignments(ctx, item, unscheduled, "", 1000)
		must(t, what, err)
		ids := []string{}
		for _, a := range whole {
			ids = append(ids, a.RecordID)
			same(t, what+": "+a.RecordID, normAssignment(a), normAssignment(cur[a.RecordID]))
		}
		same(t, what, ids, append([]string{}, want...))
		for _, size := range []int{1, 2, 7} {
			paged := []string{}
			after := ""
			for n := 0; ; n++ {
				if n > len(want)+1 {
					t.Fatalf("%s: paging by %d does not end", what, size)
				}
				page, err := s.Assignments(ctx, item, unscheduled, after, size)
				must(t, what, err)
				if len(page) > size {
					t.Fatalf("%s: a page of %d with limit %d", what, len(page), size)
				}
				if len(page) == 0 {
					break
				}
				for _, a := range page {
					paged = append(paged, a.RecordID)
				}
				after = page[len(page)-1].RecordID
			}
			same(t, fmt.Sprintf("%s, in pages of %d", what, size), paged, ids)
		}
	}
	wantPages("Assignments", "", false)
	wantPages("Assignments(item-b)", "item-b", false)
	wantPages("Assignments(item-a)", "item-a", false)
	wantPages("Assignments(unscheduled)", "", true)
	wantPages("Assignments(item-c, unscheduled)", "item-c", true)
	wantPages("Assignments(unknown item)", "item-z", false)

	// Limit 0 means 100; the cursor need not name an assigned record.
	page, err := s.Assignments(ctx, "", false, "", 0)
	must(t, "Assignments", err)
	if len(page) != 100 {
		t.Fatalf("Assignments of 130 with no limit = %d, want 100", len(page))
	}
	page, err = s.Assignments(ctx, "", false, "rec-128a", 0)
	must(t, "Assignments after a cursor between records", err)
	if len(page) != 1 || page[0].RecordID != "rec-129" {
		t.Fatalf("Assignments after rec-128a = %+v, want rec-129 alone", page)
	}
	_, err = s.Assignments(ctx, "", false, "", -1)
	wantKind(t, "Assignments with a negative limit", err, steward.Invalid)

	must(t, "Close", s.Close())
	_, err = s.Assignments(ctx, "", false, "", 0)
	wantKind(t, "Assignments after Close", err, steward.Unavailable)
}

// testCutoffEvents checks the cutoff events of steward.AssignmentStore.
func testCutoffEvents(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	t0 := time.Date(2025, 6, 30, 17, 0, 0, 123456789, time.UTC)
	evs, err := s.CutoffEvents(ctx, "case-1")
	must(t, "CutoffEvents (empty)", err)
	if len(evs) != 0 {
		t.Fatalf("new store has cutoff events %+v", evs)
	}

	before := time.Now().Add(-time.Second)
	closed := &steward.CutoffEvent{Name: "case_closed", Subject: "case-1", At: t0, RecordedBy: "rm-1"}
	must(t, "AddCutoffEvent", s.AddCutoffEvent(ctx, closed))
	if closed.ID == "" || closed.RecordedAt.Before(before) {
		t.Fatalf("AddCutoffEvent left ID %q, RecordedAt %v; want an id, now", closed.ID, closed.RecordedAt)
	}
	// Another event of the same subject, earlier, with the caller's id and
	// time; and the same event of another subject.
	opened := &steward.CutoffEvent{ID: "ev-opened", Name: "case_opened", Subject: "case-1", At: t0.AddDate(-1, 0, 0),
		RecordedBy: "rm-2", RecordedAt: t0.Add(time.Hour)}
	must(t, "AddCutoffEvent", s.AddCutoffEvent(ctx, opened))
	other := &steward.CutoffEvent{Name: "case_closed", Subject: "case-2", At: t0}
	must(t, "AddCutoffEvent", s.AddCutoffEvent(ctx, other))
	wantCutoffEvents(t, s, "case-1", opened, closed)
	wantCutoffEvents(t, s, "case-2", other)
	wantCutoffEvents(t, s, "case-3")

	// An event happens once.
	twice := &steward.CutoffEvent{Name: "case_closed", Subject: "case-1", At: t0.Add(24 * time.Hour)}
	wantKind(t, "AddCutoffEvent of an event already dated", s.AddCutoffEvent(ctx, twice), steward.Conflict)
	wantKind(t, "AddCutoffEvent with a taken id", s.AddCutoffEvent(ctx, &steward.CutoffEvent{ID: "ev-opened",
		Name: "x", Subject: "case-9", At: t0}), steward.Conflict)
	for name, e := range map[string]*steward.CutoffEvent{
		"no name":    {Subject: "case-9", At: t0},
		"no subject": {Name: "case_closed", At: t0},
		"no date":    {Name: "case_closed", Subject: "case-9"},
	} {
		wantKind(t, "AddCutoffEvent, "+name, s.AddCutoffEvent(ctx, e), steward.Invalid)
	}
	wantCutoffEvents(t, s, "case-1", opened, closed)
	wantCutoffEvents(t, s, "case-9")

	must(t, "Close", s.Close())
	_, err = s.CutoffEvents(ctx, "case-1")
	wantKind(t, "CutoffEvents after Close", err, steward.Unavailable)
	wantKind(t, "AddCutoffEvent after Close", s.AddCutoffEvent(ctx, &steward.CutoffEvent{Name: "x", Subject: "y",
		At: t0}), steward.Unavailable)
}

func wantCutoffEvents(t *testing.T, s steward.Store, subject string, want ...*steward.CutoffEvent) {
	t.Helper()
	evs, err := s.CutoffEvents(ctx, subject)
	must(t, "CutoffEvents "+subject, err)
	norm := func(es []*steward.CutoffEvent) []steward.CutoffEvent {
		out := []steward.CutoffEvent{}
		for _, e := range es {
			n := *e
			n.At, n.RecordedAt = ts(n.At), ts(n.RecordedAt)
			out = append(out, n)
		}
		return out
	}
	same(t, "CutoffEvents "+subject, norm(evs), norm(want))
}

// testHolds checks steward.HoldStore's holds: round trip, listing with
// and without released holds, and release.
func testHolds(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	t0 := time.Date(2025, 4, 1, 9, 0, 0, 123456789, time.UTC)
	hs, err := s.Holds(ctx, true)
	must(t, "Holds (empty)", err)
	if len(hs) != 0 {
		t.Fatalf("new store has holds %+v", hs)
	}
	_, err = s.HoldByID(ctx, "hold-none")
	wantKind(t, "HoldByID unknown", err, steward.NotFound)

	from, until := t0.AddDate(-1, 0, 0), t0.AddDate(0, 0, -1)
	full := &steward.Hold{ID: "hold-full", Name: "Parks contract", Reason: "Litigation reasonably anticipated: Smith v. City",
		Owner: "counsel-1", Custodians: []string{"emp-2", "emp-1"}, Conversations: []string{"conv-9"},
		From: &from, Until: &until, Query: `"parks contract" OR bid`, CreatedBy: "counsel-1", CreatedAt: t0}
	must(t, "CreateHold", s.CreateHold(ctx, full))
	before := time.Now().Add(-time.Second)
	moratorium := &steward.Hold{ID: "hold-all", Name: "Moratorium", Reason: "Audit", Owner: "rm-1"}
	must(t, "CreateHold", s.CreateHold(ctx, moratorium))
	if moratorium.CreatedAt.Before(before) || moratorium.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("CreateHold with no time set CreatedAt %v, want about now", moratorium.CreatedAt)
	}
	old := &steward.Hold{ID: "hold-old", Name: "Old", Reason: "FOIA appeal", Owner: "rm-1", CreatedAt: t0.AddDate(-2, 0, 0)}
	must(t, "CreateHold", s.CreateHold(ctx, old))
	wantHold(t, s, full)
	wantHold(t, s, moratorium)
	wantHolds(t, s, false, moratorium, full, old)
	wantKind(t, "CreateHold with a taken id", s.CreateHold(ctx, &steward.Hold{ID: "hold-full", Name: "x",
		Reason: "x", Owner: "x"}), steward.Conflict)
	wantHold(t, s, full)

	// Release: once, and the hold leaves the list of those in force.
	wantKind(t, "ReleaseHold unknown", s.ReleaseHold(ctx, "hold-none", "counsel-1", "settled", t0), steward.NotFound)
	released := t0.Add(48 * time.Hour)
	must(t, "ReleaseHold", s.ReleaseHold(ctx, full.ID, "counsel-1", "Settled", released))
	full.ReleasedBy, full.ReleasedAt, full.ReleaseReason = "counsel-1", &released, "Settled"
	wantHold(t, s, full)
	wantHolds(t, s, false, moratorium, old)
	wantHolds(t, s, true, moratorium, full, old)
	wantKind(t, "ReleaseHold twice", s.ReleaseHold(ctx, full.ID, "counsel-2", "again", released.Add(time.Hour)), steward.Conflict)
	wantHold(t, s, full)

	// A release dated ahead of the clock leaves the hold in force until
	// then: it is still listed with those not released.
	ahead := time.Now().Add(time.Hour)
	must(t, "ReleaseHold dated ahead", s.ReleaseHold(ctx, old.ID, "rm-1", "Appeal decided", ahead))
	old.ReleasedBy, old.ReleasedAt, old.ReleaseReason = "rm-1", &ahead, "Appeal decided"
	wantHolds(t, s, false, moratorium, old)
	wantHolds(t, s, true, moratorium, full, old)

	must(t, "Close", s.Close())
	_, err = s.Holds(ctx, false)
	wantKind(t, "Holds after Close", err, steward.Unavailable)
	wantKind(t, "CreateHold after Close", s.CreateHold(ctx, &steward.Hold{ID: "late", Name: "x", Reason: "x",
		Owner: "x"}), steward.Unavailable)
}

func wantHold(t *testing.T, s steward.Store, want *steward.Hold) {
	t.Helper()
	got, err := s.HoldByID(ctx, want.ID)
	must(t, "HoldByID "+want.ID, err)
	same(t, "HoldByID "+want.ID, normHold(got), normHold(want))
}

func wantHolds(t *testing.T, s steward.Store, includeReleased bool, want ...*steward.Hold) {
	t.Helper()
	hs, err := s.Holds(ctx, includeReleased)
	what := fmt.Sprintf("Holds(%v)", includeReleased)
	must(t, what, err)
	got, exp := []steward.Hold{}, []steward.Hold{}
	for _, h := range hs {
		got = append(got, normHold(h))
	}
	for _, h := range want {
		exp = append(exp, normHold(h))
	}
	same(t, what, got, exp)
}

func normHold(h *steward.Hold) steward.Hold {
	n := *h
	n.From, n.Until, n.ReleasedAt, n.CreatedAt = tsp(n.From), tsp(n.Until), tsp(n.ReleasedAt), ts(n.CreatedAt)
	if len(n.Custodians) == 0 {
		n.Custodians = nil
	}
	if len(n.Conversations) == 0 {
		n.Conversations = nil
	}
	return n
}

// testHoldNotices checks the notices of steward.HoldStore.
func testHoldNotices(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	t0 := time.Date(2025, 4, 1, 9, 0, 0, 123456789, time.UTC)
	for _, id := range []string{"hold-1", "hold-2"} {
		must(t, "CreateHold", s.CreateHold(ctx, &steward.Hold{ID: id, Name: id, Reason: "r", Owner: "counsel-1"}))
	}
	ns, err := s.HoldNotices(ctx, "hold-1")
	must(t, "HoldNotices (none)", err)
	if len(ns) != 0 {
		t.Fatalf("a new hold has notices %+v", ns)
	}
	_, err = s.HoldNotices(ctx, "hold-none")
	wantKind(t, "HoldNotices of an unknown hold", err, steward.NotFound)

	ann := steward.HoldNotice{HoldID: "hold-1", Custodian: "emp-ann", SentAt: t0, NoticeRecordID: "rec-n1"}
	bob := steward.HoldNotice{HoldID: "hold-1", Custodian: "emp-bob", SentAt: t0.Add(time.Minute), NoticeRecordID: "rec-n2"}
	ann2 := steward.HoldNotice{HoldID: "hold-2", Custodian: "emp-ann", SentAt: t0.Add(time.Hour)}
	must(t, "AddHoldNotices", s.AddHoldNotices(ctx, []steward.HoldNotice{bob, ann, ann2}))
	wantNotices(t, s, "hold-1", ann, bob)
	wantNotices(t, s, "hold-2", ann2)

	// A repeat, in a later call or the same one, is ignored: the first
	// notice stands.
	repeat := ann
	repeat.SentAt, repeat.NoticeRecordID = t0.Add(24*time.Hour), "rec-n9"
	cal := steward.HoldNotice{HoldID: "hold-1", Custodian: "emp-cal", SentAt: t0}
	must(t, "AddHoldNotices with repeats", s.AddHoldNotices(ctx, []steward.HoldNotice{repeat, cal, cal}))
	wantNotices(t, s, "hold-1", ann, bob, cal)

	// A notice of no hold stores nothing of its call.
	dan := steward.HoldNotice{HoldID: "hold-1", Custodian: "emp-dan", SentAt: t0}
	err = s.AddHoldNotices(ctx, []steward.HoldNotice{dan, {HoldID: "hold-none", Custodian: "emp-dan", SentAt: t0}})
	wantKind(t, "AddHoldNotices naming no hold", err, steward.NotFound)
	wantNotices(t, s, "hold-1", ann, bob, cal)

	// Acknowledgement: once, and only of a notice sent.
	acked := t0.Add(2 * time.Hour)
	wantKind(t, "AcknowledgeHoldNotice without a notice",
		s.AcknowledgeHoldNotice(ctx, "hold-2", "emp-bob", acked, "rec-a0"), steward.NotFound)
	must(t, "AcknowledgeHoldNotice", s.AcknowledgeHoldNotice(ctx, "hold-1", "emp-bob", acked, "rec-a1"))
	bob.AcknowledgedAt, bob.AckRecordID = &acked, "rec-a1"
	wantNotices(t, s, "hold-1", ann, bob, cal)
	wantNotices(t, s, "hold-2", ann2)
	wantKind(t, "AcknowledgeHoldNotice twice",
		s.AcknowledgeHoldNotice(ctx, "hold-1", "emp-bob", acked.Add(time.Hour), "rec-a2"), steward.Conflict)
	// Adding the notice again does not undo the acknowledgement.
	must(t, "AddHoldNotices of an acknowledged notice", s.AddHoldNotices(ctx, []steward.HoldNotice{{HoldID: "hold-1",
		Custodian: "emp-bob", SentAt: t0}}))
	wantNotices(t, s, "hold-1", ann, bob, cal)

	must(t, "Close", s.Close())
	_, err = s.HoldNotices(ctx, "hold-1")
	wantKind(t, "HoldNotices after Close", err, steward.Unavailable)
	wantKind(t, "AddHoldNotices after Close", s.AddHoldNotices(ctx, []steward.HoldNotice{dan}), steward.Unavailable)
}

func wantNotices(t *testing.T, s steward.Store, holdID string, want ...steward.HoldNotice) {
	t.Helper()
	ns, err := s.HoldNotices(ctx, holdID)
	must(t, "HoldNotices "+holdID, err)
	norm := func(ns []steward.HoldNotice) []steward.HoldNotice {
		out := []steward.HoldNotice{}
		for _, n := range ns {
			n.SentAt, n.AcknowledgedAt = ts(n.SentAt), tsp(n.AcknowledgedAt)
			out = append(out, n)
		}
		return out
	}
	same(t, "HoldNotices "+holdID, norm(ns), norm(want))
}

// testDisposition checks steward.DispositionStore's batches through the
// real state machine of package records: stored as given, listed by
// state, saved with optimistic locking.
func testDisposition(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 123456789, time.UTC)
	bs, err := s.Batches(ctx, "")
	must(t, "Batches (empty)", err)
	if len(bs) != 0 {
		t.Fatalf("new store has batches %+v", bs)
	}
	_, err = s.BatchByID(ctx, "batch-none")
	wantKind(t, "BatchByID unknown", err, steward.NotFound)

	// Records in an order unlike their ids', which the store keeps.
	recs := []steward.BatchRecord{
		{RecordID: "rec-c", ItemID: "grs-5.2-010", Authority: "DAA-GRS-2022-0009-0001", Reason: "GRS 5.2 item 010: passed", DueAt: t0.AddDate(0, 0, -3)},
		{RecordID: "rec-a", ItemID: "grs-5.2-010", Authority: "DAA-GRS-2022-0009-0001", Reason: "GRS 5.2 item 010: passed", DueAt: t0.AddDate(0, 0, -2)},
		{RecordID: "rec-b", ItemID: "grs-6.1-030", Authority: "DAA-GRS-2014-0001-0003"},
	}
	b, err := records.Propose("batch-1", steward.DispositionDestroy, recs, 2, "rm-1", t0)
	must(t, "records.Propose", err)
	must(t, "AddBatch", s.AddBatch(ctx, &b))
	wantBatch(t, s, &b)
	dup := b
	wantKind(t, "AddBatch with a taken id", s.AddBatch(ctx, &dup), steward.Conflict)

	// Approve, twice; each save needs the UpdatedAt last read.
	read := wantBatch(t, s, &b)
	a1, err := records.Approve(*read, "officer-1", t0.Add(time.Hour))
	must(t, "records.Approve", err)
	must(t, "UpdateBatch (first approval)", s.UpdateBatch(ctx, &a1, read.UpdatedAt))
	wantBatch(t, s, &a1)
	late, err := records.Approve(*read, "officer-2", t0.Add(2*time.Hour))
	must(t, "records.Approve", err)
	wantKind(t, "UpdateBatch from a stale read", s.UpdateBatch(ctx, &late, read.UpdatedAt), steward.Conflict)
	read = wantBatch(t, s, &a1)
	a2, err := records.Approve(*read, "officer-2", t0.Add(2*time.Hour))
	must(t, "records.Approve", err)
	if a2.State != steward.BatchApproved {
		t.Fatalf("two approvals left the batch %s", a2.State)
	}
	// Records are not a workflow field: a tampered list is not saved.
	tampered := a2
	tampered.Records = tampered.Records[:1]
	tampered.RequestedBy, tampered.Action = "someone", steward.DispositionTransfer
	must(t, "UpdateBatch (second approval)", s.UpdateBatch(ctx, &tampered, ts(read.UpdatedAt)))
	read = wantBatch(t, s, &a2)

	// UpdatedAt must move past prev; zero has the store stamp it.
	still := *read
	still.CancelReason = "x"
	wantKind(t, "UpdateBatch with UpdatedAt = prev", s.UpdateBatch(ctx, &still, read.UpdatedAt), steward.Invalid)
	wantKind(t, "UpdateBatch without prev", s.UpdateBatch(ctx, &still, time.Time{}), steward.Invalid)
	ghost := *read
	ghost.ID, ghost.UpdatedAt = "batch-none", time.Time{}
	wantKind(t, "UpdateBatch unknown", s.UpdateBatch(ctx, &ghost, read.UpdatedAt), steward.NotFound)
	x, err := records.Execute(*read, "rm-2", t0.Add(3*time.Hour), map[string]records.Eligibility{
		"rec-a": {RecordID: "rec-a", Eligible: true, Action: steward.DispositionDestroy},
		"rec-b": {RecordID: "rec-b", Eligible: true, Action: steward.DispositionDestroy},
		"rec-c": {RecordID: "rec-c", Eligible: true, Action: steward.DispositionDestroy},
	})
	must(t, "records.Execute", err)
	x.UpdatedAt = time.Time{}
	must(t, "UpdateBatch (execute, stamped)", s.UpdateBatch(ctx, &x, read.UpdatedAt))
	if !ts(x.UpdatedAt).After(ts(read.UpdatedAt)) {
		t.Fatalf("UpdateBatch set UpdatedAt %v, not after prev %v", x.UpdatedAt, read.UpdatedAt)
	}
	wantBatch(t, s, &x)

	// Listing: by state, newest first, with records.
	c1, err := records.Propose("batch-2", steward.DispositionTransfer, recs[2:], 1, "rm-1", t0.Add(24*time.Hour))
	must(t, "records.Propose", err)
	must(t, "AddBatch", s.AddBatch(ctx, &c1))
	c2, err := records.Cancel(c1, "rm-1", "Records became held", t0.Add(25*time.Hour))
	must(t, "records.Cancel", err)
	must(t, "UpdateBatch (cancel)", s.UpdateBatch(ctx, &c2, c1.UpdatedAt))
	p, err := records.Propose("batch-3", steward.DispositionDestroy, recs[:2], 1, "rm-1", t0.Add(-24*time.Hour))
	must(t, "records.Propose", err)
	must(t, "AddBatch", s.AddBatch(ctx, &p))
	wantBatches(t, s, "", &c2, &x, &p)
	wantBatches(t, s, steward.BatchProposed, &p)
	wantBatches(t, s, steward.BatchCancelled, &c2)
	wantBatches(t, s, steward.BatchExecuted, &x)
	wantBatches(t, s, steward.BatchApproved)

	// A zero CreatedAt is stamped, and UpdatedAt follows it.
	before := time.Now().Add(-time.Second)
	bare := steward.DispositionBatch{ID: "batch-4", Action: steward.DispositionDestroy, RequiredApprovals: 1,
		State: steward.BatchProposed, RequestedBy: "rm-1", Records: recs[1:2]}
	must(t, "AddBatch with no times", s.AddBatch(ctx, &bare))
	if bare.CreatedAt.Before(before) || !bare.UpdatedAt.Equal(bare.CreatedAt) {
		t.Fatalf("AddBatch with no times set CreatedAt %v, UpdatedAt %v", bare.CreatedAt, bare.UpdatedAt)
	}
	wantBatch(t, s, &bare)

	must(t, "Close", s.Close())
	_, err = s.Batches(ctx, "")
	wantKind(t, "Batches after Close", err, steward.Unavailable)
	_, err = s.BatchByID(ctx, "batch-1")
	wantKind(t, "BatchByID after Close", err, steward.Unavailable)
	c3 := c1
	c3.ID = "batch-late"
	wantKind(t, "AddBatch after Close", s.AddBatch(ctx, &c3), steward.Unavailable)
}

// testLargeBatch stores a batch of the most records package records
// allows, and reads it back whole and in order.
func testLargeBatch(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	recs := make([]steward.BatchRecord, 100_000)
	for i := range recs {
		recs[i] = steward.BatchRecord{RecordID: fmt.Sprintf("rec-%06d", (i*7919)%len(recs)), ItemID: "grs-5.2-010",
			Authority: "DAA-GRS-2022-0009-0001", Reason: "GRS 5.2 item 010: destroy 90 days after cutoff passed",
			DueAt: t0.Add(-time.Duration(i) * time.Second)}
	}
	b, err := records.Propose("batch-big", steward.DispositionDestroy, recs, 1, "rm-1", t0)
	must(t, "records.Propose", err)
	must(t, "AddBatch (100,000 records)", s.AddBatch(ctx, &b))
	wantBatch(t, s, &b)
}

// wantBatch checks that BatchByID returns want, and returns what it read.
func wantBatch(t *testing.T, s steward.Store, want *steward.DispositionBatch) *steward.DispositionBatch {
	t.Helper()
	got, err := s.BatchByID(ctx, want.ID)
	must(t, "BatchByID "+want.ID, err)
	g, w := normBatch(got), normBatch(want)
	if len(g.Records) != len(w.Records) {
		t.Fatalf("BatchByID %s: %d records, want %d", want.ID, len(g.Records), len(w.Records))
	}
	for i := range g.Records {
		if g.Records[i] != w.Records[i] {
			t.Fatalf("BatchByID %s: record %d is %+v, want %+v", want.ID, i, g.Records[i], w.Records[i])
		}
	}
	same(t, "BatchByID "+want.ID, g, w)
	return got
}

func wantBatches(t *testing.T, s steward.Store, state steward.BatchState, want ...*steward.DispositionBatch) {
	t.Helper()
	bs, err := s.Batches(ctx, state)
	what := fmt.Sprintf("Batches(%q)", state)
	must(t, what, err)
	got, exp := []steward.DispositionBatch{}, []steward.DispositionBatch{}
	for _, b := range bs {
		got = append(got, normBatch(b))
	}
	for _, b := range want {
		exp = append(exp, normBatch(b))
	}
	same(t, what, got, exp)
}

func normBatch(b *steward.DispositionBatch) steward.DispositionBatch {
	n := *b
	n.CreatedAt, n.UpdatedAt = ts(n.CreatedAt), ts(n.UpdatedAt)
	n.ExecutedAt, n.CancelledAt = tsp(n.ExecutedAt), tsp(n.CancelledAt)
	n.Records, n.Approvals = nil, nil
	for _, r := range b.Records {
		r.DueAt = ts(r.DueAt)
		n.Records = append(n.Records, r)
	}
	for _, a := range b.Approvals {
		n.Approvals = append(n.Approvals, steward.BatchApproval{By: a.By, At: ts(a.At)})
	}
	return n
}

// testTombstones checks the tombstones and certificates of
// steward.DispositionStore.
func testTombstones(t *testing.T, open func(t *testing.T) steward.Store) {
	s := open(t)
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 123456789, time.UTC)
	_, err := s.TombstoneByRecord(ctx, "rec-a")
	wantKind(t, "TombstoneByRecord unknown", err, steward.NotFound)

	var h1, h2 steward.Hash
	copy(h1[:], randomBytes(32))
	copy(h2[:], randomBytes(32))
	ta := steward.Tombstone{RecordID: "rec-a", LeafIndex: 7, LeafHash: h1, ItemID: "grs-5.2-010",
		Authority: "DAA-GRS-2022-0009-0001", Action: steward.DispositionDestroy, DisposedAt: t0, BatchID: "batch-1"}
	tb := steward.Tombstone{RecordID: "rec-b", LeafIndex: 0, LeafHash: h2, ItemID: "grs-6.1-010",
		Authority: "DAA-GRS-2014-0001-0001", Action: steward.DispositionTransfer, DisposedAt: t0, BatchID: "batch-1"}
	must(t, "AddTombstones", s.AddTombstones(ctx, []steward.Tombstone{ta}))
	// Resuming a crashed execution repeats some: the first stands.
	resumed := ta
	resumed.DisposedAt, resumed.BatchID = t0.Add(time.Hour), "batch-2"
	must(t, "AddTombstones with repeats", s.AddTombstones(ctx, []steward.Tombstone{resumed, tb, tb}))
	must(t, "AddTombstones (none)", s.AddTombstones(ctx, nil))
	for _, want := range []steward.Tombstone{ta, tb} {
		got, err := s.TombstoneByRecord(ctx, want.RecordID)
		must(t, "TombstoneByRecord", err)
		got.DisposedAt, want.DisposedAt = ts(got.DisposedAt), ts(want.DisposedAt)
		same(t, "TombstoneByRecord "+want.RecordID, *got, want)
	}

	// Certificates: one per batch, of a batch that exists.
	_, err = s.CertificateByBatch(ctx, "batch-1")
	wantKind(t, "CertificateByBatch unknown", err, steward.NotFound)
	b, err := records.Propose("batch-1", steward.DispositionDestroy, []steward.BatchRecord{{RecordID: "rec-a",
		ItemID: "grs-5.2-010", Authority: "DAA-GRS-2022-0009-0001"}}, 1, "rm-1", t0)
	must(t, "records.Propose", err)
	must(t, "AddBatch", s.AddBatch(ctx, &b))
	cert := &steward.SignedCertificate{BatchID: "batch-1", Note: []byte("steward disposition certificate\nbatch-1\n\n— sig\n"),
		RecordID: "rec-cert", CreatedAt: t0}
	wantKind(t, "AddCertificate of no batch", s.AddCertificate(ctx, &steward.SignedCertificate{BatchID: "batch-none",
		Note: []byte("x"), RecordID: "rec-x", CreatedAt: t0}), steward.NotFound)
	must(t, "AddCertificate", s.AddCertificate(ctx, cert))
	again := *cert
	again.Note, again.RecordID = []byte("other"), "rec-other"
	wantKind(t, "AddCertificate twice", s.AddCertificate(ctx, &again), steward.Conflict)
	got, err := s.CertificateByBatch(ctx, "batch-1")
	must(t, "CertificateByBatch", err)
	got.CreatedAt = ts(got.CreatedAt)
	want := *cert
	want.CreatedAt = ts(want.CreatedAt)
	same(t, "CertificateByBatch", *got, want)

	must(t, "Close", s.Close())
	_, err = s.TombstoneByRecord(ctx, "rec-a")
	wantKind(t, "TombstoneByRecord after Close", err, steward.Unavailable)
	wantKind(t, "AddTombstones after Close", s.AddTombstones(ctx, []steward.Tombstone{ta}), steward.Unavailable)
	_, err = s.CertificateByBatch(ctx, "batch-1")
	wantKind(t, "CertificateByBatch after Close", err, steward.Unavailable)
}
