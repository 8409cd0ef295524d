package records

import (
	"testing"

	"github.com/steward-gov/steward/internal/steward"
)

// FuzzCompile feeds administrator-written rule conditions through Compile
// and, when one compiles, through Assign: neither may panic, a rejection
// is Invalid or TooLarge, and an assignment always lands on an item of
// the schedule.
func FuzzCompile(f *testing.F) {
	for _, r := range exampleRules() {
		f.Add(r.Condition)
	}
	f.Fuzz(func(t *testing.T, cond string) {
		sched := BuiltinSchedules()
		a, err := Compile(sched, []steward.AssignmentRule{{Name: "fuzz", Condition: cond, ItemID: "grs-5.2-010", Enabled: true}})
		if err != nil {
			if k := steward.KindOf(err); k != steward.Invalid && k != steward.TooLarge {
				t.Fatalf("error of kind %v: %v", k, err)
			}
			return
		}
		for _, in := range []Input{
			{},
			{Kind: steward.RecordMessage, Participants: []Participant{alice("support"), {Capstone: true}}, Findings: map[string]int{"us_ssn": 2}},
		} {
			asg := a.Assign(in)
			if _, ok := sched.Item(asg.ItemID); !ok {
				t.Fatalf("assigned to %q, not in the schedule", asg.ItemID)
			}
			if asg.Unscheduled != (asg.RuleName == "") {
				t.Fatalf("assignment %+v is both matched and unscheduled, or neither", asg)
			}
		}
	})
}
