package records

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/steward-gov/steward/internal/steward"
)

// exampleRules is the rule set docs/records.md shows.
func exampleRules() []steward.AssignmentRule {
	return []steward.AssignmentRule{
		{ID: "r1", Name: "capstone", Priority: 10, Enabled: true, Version: 3, ItemID: "grs-6.1-010",
			Condition: `capstone`},
		{ID: "r2", Name: "case-work", Priority: 20, Enabled: true, Version: 1, ItemID: "agency-case-010",
			Condition: `participants.exists(p, p.department == "Enforcement") && "us_ssn" in findings`},
		{ID: "r3", Name: "support-staff", Priority: 30, Enabled: true, Version: 1, ItemID: "grs-6.1-030",
			Condition: `participants.exists(p, p.employee_id != "") && participants.filter(p, p.employee_id != "").all(p, "support" in p.roles)`},
		{ID: "r4", Name: "officials", Priority: 40, Enabled: true, Version: 1, ItemID: "grs-6.1-020",
			Condition: `kind == "message" && participants.exists(p, p.employee_id != "")`},
		{ID: "r5", Name: "receipts", Priority: 5, Enabled: true, Version: 1, ItemID: "grs-5.2-010",
			Condition: `kind == "event" && !capstone`},
		{ID: "r6", Name: "disabled", Priority: 1, Enabled: false, Version: 1, ItemID: "grs-5.2-010",
			Condition: `true`},
		{ID: "r7", Name: "deleted", Priority: 1, Enabled: true, Deleted: true, Version: 2, ItemID: "grs-5.2-010",
			Condition: `true`},
	}
}

func mustCompile(t testing.TB, rules []steward.AssignmentRule) *Assigner {
	t.Helper()
	a, err := Compile(BuiltinSchedules(), rules)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func alice(roles ...string) Participant {
	return Participant{EmployeeID: "emp-alice", Sender: true, Roles: roles, Department: "Policy", Seniority: "GS-13"}
}

func TestAssign(t *testing.T) {
	a := mustCompile(t, exampleRules())
	outside := Participant{}
	tests := []struct {
		name        string
		in          Input
		item, rule  string
		unscheduled bool
	}{
		{"capstone official", Input{Kind: steward.RecordMessage, Participants: []Participant{outside, {EmployeeID: "emp-sec", Capstone: true}}}, "grs-6.1-010", "capstone", false},
		{"capstone beats the receipts rule's condition", Input{Kind: steward.RecordEvent, Participants: []Participant{{EmployeeID: "emp-sec", Capstone: true}}}, "grs-6.1-010", "capstone", false},
		{"receipt first by priority", Input{Kind: steward.RecordEvent, Participants: []Participant{alice()}}, "grs-5.2-010", "receipts", false},
		{"case work by dlp and department", Input{Kind: steward.RecordMessage,
			Participants: []Participant{{EmployeeID: "emp-eve", Department: "Enforcement"}, outside},
			Findings:     map[string]int{"us_ssn": 1}}, "agency-case-010", "case-work", false},
		{"support staff", Input{Kind: steward.RecordMessage, Participants: []Participant{alice("support"), outside}}, "grs-6.1-030", "support-staff", false},
		{"official", Input{Kind: steward.RecordMessage, Participants: []Participant{alice("analyst"), outside}}, "grs-6.1-020", "officials", false},
		{"nothing matches", Input{Kind: steward.RecordConsent, Participants: []Participant{outside}}, "grs-6.1-010", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := a.Assign(tt.in)
			if got.ItemID != tt.item || got.RuleName != tt.rule || got.Unscheduled != tt.unscheduled || got.ScheduleVersion != 1 {
				t.Fatalf("Assign = %+v, want item %s by rule %q (unscheduled %v)", got, tt.item, tt.rule, tt.unscheduled)
			}
		})
	}
	got := a.Assign(Input{Participants: []Participant{{Capstone: true}}})
	if want := (steward.Assignment{ItemID: "grs-6.1-010", RuleID: "r1", RuleName: "capstone", RuleVersion: 3, ScheduleVersion: 1}); got != want {
		t.Errorf("Assign = %+v, want %+v", got, want)
	}
}

func TestAssignSenderVariable(t *testing.T) {
	a := mustCompile(t, []steward.AssignmentRule{{Name: "senior-sender", Enabled: true, ItemID: "grs-6.1-020",
		Condition: `sender.seniority.startsWith("SES") && direction == "outbound" && channel == "signal" && conversation_type == "group"`}})
	in := Input{Channel: "signal", Direction: steward.DirOutbound, ConversationType: steward.ConversationGroup,
		Participants: []Participant{{EmployeeID: "emp-b", Seniority: "SES-2"}, {EmployeeID: "emp-a", Sender: true, Seniority: "SES-1"}}}
	if got := a.Assign(in); got.ItemID != "grs-6.1-020" || got.Unscheduled {
		t.Errorf("Assign = %+v, want matched by the sender's seniority", got)
	}
	in.Participants[1].Sender = false // no sender: the zero participant
	if got := a.Assign(in); !got.Unscheduled {
		t.Errorf("Assign = %+v, want unscheduled with no sender", got)
	}
}

func TestAssignFindingCounts(t *testing.T) {
	a := mustCompile(t, []steward.AssignmentRule{{Name: "bulk-pii", Enabled: true, ItemID: "agency-case-010",
		Condition: `"us_ssn" in findings && findings["us_ssn"] >= 3`}})
	for n, want := range map[int]bool{0: false, 2: false, 3: true} {
		in := Input{Findings: map[string]int{"email": 9}}
		if n > 0 {
			in.Findings["us_ssn"] = n
		}
		if got := a.Assign(in); got.Unscheduled == want {
			t.Errorf("%d SSNs: %+v, matched want %v", n, got, want)
		}
	}
}

// A rule that fails at run time sends the record to the conservative
// item: it must not fall through to a later, shorter rule.
func TestAssignEvaluationErrorIsConservative(t *testing.T) {
	a := mustCompile(t, []steward.AssignmentRule{
		{Name: "first", Priority: 1, Enabled: true, ItemID: "grs-6.1-030", Condition: `participants[3].capstone`},
		{Name: "catch-all", Priority: 2, Enabled: true, ItemID: "grs-5.2-010", Condition: `true`},
	})
	got := a.Assign(Input{Participants: []Participant{alice()}})
	if !got.Unscheduled || got.ItemID != "grs-6.1-010" || !strings.Contains(got.Error, `rule "first"`) {
		t.Fatalf("Assign = %+v, want unscheduled on the permanent item, naming the failed rule", got)
	}
}

func TestAssignCostLimit(t *testing.T) {
	a := mustCompile(t, []steward.AssignmentRule{{Name: "cubic", Enabled: true, ItemID: "grs-5.2-010",
		Condition: `participants.all(p, participants.all(q, participants.all(r, p.title == q.title || true)))`}})
	big := make([]Participant, 300)
	got := a.Assign(Input{Participants: big})
	if !got.Unscheduled || !strings.Contains(got.Error, "cost") {
		t.Fatalf("Assign = %+v, want unscheduled by the cost limit", got)
	}
	if got := a.Assign(Input{Participants: big[:3]}); got.Unscheduled {
		t.Fatalf("small input: %+v, want matched", got)
	}
}

func TestCompileErrors(t *testing.T) {
	rule := func(name, cond, item string) steward.AssignmentRule {
		return steward.AssignmentRule{Name: name, Condition: cond, ItemID: item, Enabled: true}
	}
	tests := []struct {
		name  string
		rules []steward.AssignmentRule
		kind  steward.Kind
		in    string // expected in the message
	}{
		{"syntax", []steward.AssignmentRule{rule("bad", `capstone &&`, "grs-5.2-010")}, steward.Invalid, `rule "bad"`},
		{"not bool", []steward.AssignmentRule{rule("num", `size(participants)`, "grs-5.2-010")}, steward.Invalid, "not bool"},
		{"typo in a field", []steward.AssignmentRule{rule("typo", `sender.capstoen`, "grs-5.2-010")}, steward.Invalid, "capstoen"},
		{"unknown variable", []steward.AssignmentRule{rule("var", `role == "x"`, "grs-5.2-010")}, steward.Invalid, "role"},
		{"unknown item", []steward.AssignmentRule{rule("item", `true`, "grs-9.9-999")}, steward.Invalid, "grs-9.9-999"},
		{"no item", []steward.AssignmentRule{rule("noitem", `true`, "")}, steward.Invalid, "schedule item"},
		{"bad name", []steward.AssignmentRule{rule("Bad Name", `true`, "grs-5.2-010")}, steward.Invalid, "rule name"},
		{"empty condition", []steward.AssignmentRule{rule("empty", " ", "grs-5.2-010")}, steward.Invalid, "condition"},
		{"huge condition", []steward.AssignmentRule{rule("huge", strings.Repeat("true || ", 1100)+"true", "grs-5.2-010")}, steward.TooLarge, "8192"},
		{"control character", []steward.AssignmentRule{rule("ctl", "capstone\x00", "grs-5.2-010")}, steward.Invalid, "control"},
		{"not utf-8", []steward.AssignmentRule{rule("utf", "capstone || \xff", "grs-5.2-010")}, steward.Invalid, "UTF-8"},
		{"duplicate names", []steward.AssignmentRule{rule("dup", `true`, "grs-5.2-010"), rule("dup", `false`, "grs-5.2-010")}, steward.Invalid, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(BuiltinSchedules(), tt.rules)
			if steward.KindOf(err) != tt.kind || !strings.Contains(steward.PublicMessage(err), tt.in) {
				t.Fatalf("Compile = %v, want %v mentioning %q", err, tt.kind, tt.in)
			}
		})
	}
	// A garbled condition's report is cut short, not one line per byte.
	_, err := Compile(BuiltinSchedules(), []steward.AssignmentRule{rule("garbled", strings.Repeat("#", 8000), "grs-5.2-010")})
	if !steward.Is(steward.Invalid, err) || len(steward.PublicMessage(err)) > 1100 {
		t.Errorf("garbled condition: %d-byte message", len(steward.PublicMessage(err)))
	}
	// A disabled rule is not compiled, so it cannot block the others.
	off := rule("off", `capstone &&`, "grs-5.2-010")
	off.Enabled = false
	if _, err := Compile(BuiltinSchedules(), []steward.AssignmentRule{off}); err != nil {
		t.Errorf("disabled broken rule: %v", err)
	}
	if _, err := Compile(steward.Schedule{}, nil); !steward.Is(steward.Invalid, err) {
		t.Errorf("empty schedule: %v, want Invalid", err)
	}
}

// The assignment is a pure function of the capture-time input: the same
// input always gives the same assignment, the result shares nothing with
// the input, and a later change to the employee (a new role, losing the
// Capstone flag) changes only assignments made from new inputs, never the
// value already captured with an old record.
func TestAssignIsPureFunctionOfCaptureTimeInput(t *testing.T) {
	a := mustCompile(t, exampleRules())
	atCapture := Input{Kind: steward.RecordMessage, Channel: "signal", Direction: steward.DirOutbound,
		Participants: []Participant{alice("support"), {}}}
	snapshot := cloneInput(atCapture)
	captured := a.Assign(atCapture)
	if captured.ItemID != "grs-6.1-030" {
		t.Fatalf("captured assignment = %+v, want support staff", captured)
	}
	// Repeat, concurrently: always the same answer, input untouched.
	var wg sync.WaitGroup
	results := make([]steward.Assignment, 64)
	for i := range results {
		wg.Go(func() { results[i] = a.Assign(atCapture) })
	}
	wg.Wait()
	for i, r := range results {
		if r != captured {
			t.Fatalf("run %d: %+v, want %+v", i, r, captured)
		}
	}
	if !reflect.DeepEqual(atCapture, snapshot) {
		t.Fatal("Assign changed its input")
	}
	// Alice is promoted to Capstone official after the capture.
	promoted := cloneInput(atCapture)
	promoted.Participants[0].Roles = []string{"deputy-secretary"}
	promoted.Participants[0].Capstone = true
	if got := a.Assign(promoted); got.ItemID != "grs-6.1-010" {
		t.Fatalf("a new message after promotion: %+v, want Capstone", got)
	}
	if captured.ItemID != "grs-6.1-030" || a.Assign(snapshot) != captured {
		t.Fatal("the promotion moved the record captured before it")
	}
	// The old record's eligibility still follows its captured assignment.
	rec := transitoryRecord()
	e := Evaluate(rec, captured, BuiltinSchedules(), nil, nil, day(2030, 1, 1))
	if e.ItemID != "grs-6.1-030" || e.Action != steward.DispositionDestroy {
		t.Fatalf("old record evaluated as %+v", e)
	}
}

func cloneInput(in Input) Input {
	in.Participants = slices.Clone(in.Participants)
	for i := range in.Participants {
		in.Participants[i].Roles = slices.Clone(in.Participants[i].Roles)
	}
	in.Findings = maps.Clone(in.Findings)
	return in
}

func ExampleAssigner_Assign() {
	a, err := Compile(BuiltinSchedules(), []steward.AssignmentRule{
		{Name: "capstone", Priority: 10, Enabled: true, ItemID: "grs-6.1-010", Condition: `capstone`},
		{Name: "support-staff", Priority: 20, Enabled: true, ItemID: "grs-6.1-030",
			Condition: `participants.exists(p, "support" in p.roles)`},
	})
	if err != nil {
		panic(err)
	}
	asg := a.Assign(Input{Kind: steward.RecordMessage, Participants: []Participant{{EmployeeID: "e1", Roles: []string{"support"}}}})
	fmt.Println(asg.ItemID, asg.RuleName, asg.Unscheduled)
	asg = a.Assign(Input{Kind: steward.RecordMessage, Participants: []Participant{{EmployeeID: "e2"}}})
	fmt.Println(asg.ItemID, asg.RuleName, asg.Unscheduled)
	// Output:
	// grs-6.1-030 support-staff false
	// grs-6.1-010  true
}
