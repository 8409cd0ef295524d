package records

import (
	"cmp"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/ext"

	"github.com/steward-gov/steward/internal/steward"
)

// Input is what assignment rules see of a record. The caller builds it at
// capture from the facts as they are then (the participants' Capstone
// flags, roles, department and seniority from the directory at that
// moment) and stores the resulting Assignment with the record. Assign
// reads nothing else, so a later role change cannot move an old record.
//
// In CEL the fields are the variables kind, channel, direction,
// conversation_type, participants, sender and findings (as in policy
// conditions, a map from detector name to number of findings, so
// `"us_ssn" in findings` reads the same in both); besides, capstone is
// true when any participant is a Capstone official.
type Input struct {
	Kind             steward.RecordKind       // e.g. "message"
	Channel          steward.Channel          // e.g. "signal"
	Direction        steward.Direction        // inbound, outbound, internal
	ConversationType steward.ConversationKind // direct or group
	Participants     []Participant
	Findings         map[string]int // DLP detector name → valid findings
}

// Participant is one party to the record. Outside parties have no
// EmployeeID and no directory fields.
type Participant struct {
	EmployeeID string   `cel:"employee_id"`
	Sender     bool     `cel:"sender"`
	Capstone   bool     `cel:"capstone"`
	Roles      []string `cel:"roles"`
	Department string   `cel:"department"`
	Seniority  string   `cel:"seniority"`
	Title      string   `cel:"title"`
}

// Limits on rules. The cost limit bounds one evaluation (a rule over a
// group of a thousand members with a dozen roles each costs tens of
// thousands), so a pathological rule fails, and its record goes to the
// conservative item, instead of stalling capture.
const (
	maxConditionBytes = 8192
	costLimit         = 1_000_000
)

var ruleNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// ruleEnv is built once: building a CEL environment costs milliseconds.
var ruleEnv = sync.OnceValues(func() (*cel.Env, error) {
	participant := cel.ObjectType("records.Participant")
	return cel.NewEnv(
		ext.NativeTypes(reflect.TypeFor[Participant](), ext.ParseStructTags(true)),
		ext.Strings(),
		cel.Variable("kind", cel.StringType),
		cel.Variable("channel", cel.StringType),
		cel.Variable("direction", cel.StringType),
		cel.Variable("conversation_type", cel.StringType),
		cel.Variable("participants", cel.ListType(participant)),
		cel.Variable("sender", participant),
		cel.Variable("findings", cel.MapType(cel.StringType, cel.IntType)),
		cel.Variable("capstone", cel.BoolType),
	)
})

// CheckRule returns Invalid for a rule with a malformed name, an empty
// or oversized condition, or no item. It does not compile the condition
// or look the item up: Compile does both.
func CheckRule(r *steward.AssignmentRule) error {
	const op steward.Op = "records.CheckRule"
	switch {
	case !ruleNameRE.MatchString(r.Name):
		return steward.E(op, steward.Invalid, "a rule name is 1-64 characters of a-z, 0-9, '_', '.', '-'")
	case strings.TrimSpace(r.Condition) == "":
		return steward.E(op, steward.Invalid, "a rule needs a condition")
	case len(r.Condition) > maxConditionBytes:
		return steward.Errorf(op, steward.TooLarge, "a rule condition is at most %d bytes", maxConditionBytes)
	case !printableText(r.Condition):
		return steward.E(op, steward.Invalid, "a rule condition must be UTF-8 text without control characters")
	case r.ItemID == "":
		return steward.E(op, steward.Invalid, "a rule needs a schedule item")
	}
	return nil
}

// printableText reports whether s is valid UTF-8 with no control
// characters but tab, newline and carriage return, so error messages
// that quote a condition stay readable.
func printableText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f {
			return false
		}
	}
	return true
}

// issueText shortens a CEL error report: one line per problem, which for
// a long garbled condition would make a message of megabytes.
func issueText(err error) string {
	const max = 1000
	s := err.Error()
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + " …"
	}
	return s
}

// Assigner puts records on schedule items. It is immutable and safe for
// concurrent use; build a new one when the rules or the schedule change.
type Assigner struct {
	rules    []compiledRule
	fallback steward.ScheduleItem
	version  int64
}

type compiledRule struct {
	rule steward.AssignmentRule
	prg  cel.Program
}

// Compile checks and compiles the enabled, undeleted rules against the
// schedule. Invalid (naming the rule) for a rule that fails CheckRule,
// whose condition does not compile to a bool, whose item is not in the
// schedule, or whose name another rule has; Invalid for an empty
// schedule. Call it before saving a rule, so only rules that compile are
// ever stored.
func Compile(sched steward.Schedule, rules []steward.AssignmentRule) (*Assigner, error) {
	const op steward.Op = "records.Compile"
	fallback, ok := MostConservative(&sched)
	if !ok {
		return nil, steward.E(op, steward.Invalid, "the schedule has no items, so unmatched records would have nowhere to go")
	}
	env, err := ruleEnv()
	if err != nil {
		return nil, steward.E(op, steward.Internal, err)
	}
	a := &Assigner{fallback: fallback, version: sched.Version}
	names := make(map[string]bool, len(rules))
	for _, r := range rules {
		if r.Deleted || !r.Enabled {
			continue
		}
		if err := CheckRule(&r); err != nil {
			return nil, steward.Errorf(op, steward.KindOf(err), "rule %q: %s", r.Name, steward.PublicMessage(err))
		}
		if names[r.Name] {
			return nil, steward.Errorf(op, steward.Invalid, "rule name %q is used twice", r.Name)
		}
		names[r.Name] = true
		if _, ok := sched.Item(r.ItemID); !ok {
			return nil, steward.Errorf(op, steward.Invalid, "rule %q: schedule item %q does not exist", r.Name, r.ItemID)
		}
		ast, iss := env.Compile(r.Condition)
		if iss.Err() != nil {
			return nil, steward.Errorf(op, steward.Invalid, "rule %q: %s", r.Name, issueText(iss.Err()))
		}
		if ast.OutputType() != cel.BoolType {
			return nil, steward.Errorf(op, steward.Invalid, "rule %q: the condition yields %s, not bool", r.Name, ast.OutputType())
		}
		prg, err := env.Program(ast, cel.CostLimit(costLimit), cel.EvalOptions(cel.OptOptimize))
		if err != nil {
			return nil, steward.Errorf(op, steward.Invalid, "rule %q: %s", r.Name, err)
		}
		a.rules = append(a.rules, compiledRule{rule: r, prg: prg})
	}
	slices.SortFunc(a.rules, func(x, y compiledRule) int {
		return cmp.Or(cmp.Compare(x.rule.Priority, y.rule.Priority), cmp.Compare(x.rule.Name, y.rule.Name))
	})
	return a, nil
}

// Fallback returns the item unmatched records go on: the schedule's most
// conservative (see MostConservative).
func (a *Assigner) Fallback() steward.ScheduleItem { return a.fallback }

// Assign returns the assignment of the first rule, by priority, whose
// condition holds for in. When none holds, or a rule fails to evaluate,
// the record goes on the most conservative item with Unscheduled set: a
// failing rule must not let the record fall through to a later rule with
// a shorter retention. Assign is a pure function of in (and the rules and
// schedule compiled into a).
func (a *Assigner) Assign(in Input) steward.Assignment {
	vars := in.activation()
	for _, cr := range a.rules {
		out, _, err := cr.prg.Eval(vars)
		if err != nil {
			return a.unscheduled(fmt.Sprintf("rule %q: %v", cr.rule.Name, err))
		}
		if match, ok := out.Value().(bool); !ok {
			return a.unscheduled(fmt.Sprintf("rule %q yielded %v, not bool", cr.rule.Name, out.Type()))
		} else if match {
			return steward.Assignment{
				ItemID:          cr.rule.ItemID,
				RuleID:          cr.rule.ID,
				RuleName:        cr.rule.Name,
				RuleVersion:     cr.rule.Version,
				ScheduleVersion: a.version,
			}
		}
	}
	return a.unscheduled("")
}

func (a *Assigner) unscheduled(why string) steward.Assignment {
	return steward.Assignment{ItemID: a.fallback.ID, ScheduleVersion: a.version, Unscheduled: true, Error: why}
}

func (in *Input) activation() map[string]any {
	var sender Participant // the zero participant when none is marked
	capstone := false
	for _, p := range in.Participants {
		if p.Sender && !sender.Sender {
			sender = p
		}
		capstone = capstone || p.Capstone
	}
	participants := in.Participants
	if participants == nil {
		participants = []Participant{}
	}
	findings := in.Findings
	if findings == nil {
		findings = map[string]int{}
	}
	return map[string]any{
		"kind":              string(in.Kind),
		"channel":           string(in.Channel),
		"direction":         string(in.Direction),
		"conversation_type": string(in.ConversationType),
		"participants":      participants,
		"sender":            sender,
		"findings":          findings,
		"capstone":          capstone,
	}
}
