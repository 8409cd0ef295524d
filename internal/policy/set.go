package policy

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"sync/atomic"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"

	"github.com/steward-gov/steward/internal/steward"
)

// Set is a compiled policy set: one version of the enabled policies,
// ready to judge messages and group operations. A Set never changes once
// built (apart from its counters), so it is safe for concurrent use; a
// new policy-set version means a new Set.
type Set struct {
	version  int64
	messages []*compiled
	groups   []*compiled
	adapter  types.Adapter
}

// compiled is one policy and its program.
type compiled struct {
	p   *steward.Policy
	prg cel.Program
	// counts packs the evaluations since the last drain into the high 32
	// bits and the matches into the low 32, so a drain reads both in one
	// atomic swap and never sees a match without its evaluation. Callers
	// drain at least daily; 4 billion evaluations of one policy a day is
	// beyond any deployment.
	counts atomic.Uint64
}

const (
	countEvaluated = 1 << 32
	countMatched   = 1
)

// NewSet compiles the enabled, non-deleted policies of ps into the Set
// for policy-set version version; ps is not kept. Every policy saved
// through Check compiles; a stored policy that no longer does (after an
// upgrade changed the variables) makes NewSet fail with Invalid naming
// each such policy, rather than quietly leaving a rule out.
func NewSet(version int64, ps []*steward.Policy) (*Set, error) {
	const op steward.Op = "policy.NewSet"
	es, err := envs()
	if err != nil {
		return nil, steward.E(op, steward.Internal, err)
	}
	s := &Set{version: version, adapter: es[steward.PolicyMessage].CELTypeAdapter()}
	var errs []string
	for _, p := range ps {
		if p == nil || !p.Enabled || p.Deleted {
			continue
		}
		if err := steward.CheckPolicy(p); err != nil {
			errs = append(errs, p.Name+": "+steward.PublicMessage(err))
			continue
		}
		prg, err := compile(p)
		if err != nil {
			errs = append(errs, p.Name+": "+steward.PublicMessage(err))
			continue
		}
		cp := *p
		cp.Redact = slices.Clone(p.Redact)
		c := &compiled{p: &cp, prg: prg}
		if p.Kind == steward.PolicyGroup {
			s.groups = append(s.groups, c)
		} else {
			s.messages = append(s.messages, c)
		}
	}
	if len(errs) > 0 {
		return nil, steward.E(op, steward.Invalid, "policies that do not compile: "+strings.Join(errs, "\n"))
	}
	byName := func(a, b *compiled) int { return strings.Compare(a.p.Name, b.p.Name) }
	slices.SortFunc(s.messages, byName)
	slices.SortFunc(s.groups, byName)
	return s, nil
}

// Version returns the policy-set version the Set was built from; a
// decision records it.
func (s *Set) Version() int64 { return s.version }

// Match is one policy whose condition held.
type Match struct {
	PolicyID string               `json:"policy_id"`
	Name     string               `json:"name"`
	Version  int                  `json:"version"`
	Action   steward.PolicyAction `json:"action"`
	Reason   string               `json:"reason,omitempty"`
	// Redact names the detectors a redact action masks (empty: every
	// finding). It is shared with the Set: do not modify it.
	Redact []string `json:"redact,omitempty"`
}

// Decision is the outcome of judging one message or group operation.
type Decision struct {
	// Action is what policy says: the strongest action of the matches
	// (see steward.PolicyAction.Rank), allow when none matched.
	Action steward.PolicyAction `json:"action"`
	// Enforced is what Steward can and does do about it: Action, unless
	// the message was out of Steward's hands (see enforce).
	Enforced steward.PolicyAction `json:"enforced"`
	// Flag queues the message for review: a match asked for flag or
	// quarantine, a policy failed to evaluate, or enforcement fell back
	// to quarantine or flag.
	Flag bool `json:"flag"`
	// Matches are the policies that applied, strongest action first,
	// then by name.
	Matches []Match `json:"matches,omitempty"`
	// Errors are the policies that failed to evaluate, as "name: error".
	// A failing policy does not apply its action; it flags the decision.
	Errors     []string `json:"errors,omitempty"`
	SetVersion int64    `json:"set_version"`

	failed []string // names of the policies in Errors, for DryRun
}

// Reason returns what to tell the employee: the distinct reasons of the
// matches with the winning action, one per line. A match without a
// reason is named by its policy.
func (d *Decision) Reason() string {
	var out []string
	for _, m := range d.Matches {
		if m.Action != d.Action {
			continue
		}
		r := m.Reason
		if r == "" {
			r = "Policy " + m.Name + " applies."
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return strings.Join(out, "\n")
}

// Redactions returns what the redact matches ask to mask: the union of
// their detectors, and all=true when any of them masks every finding.
func (d *Decision) Redactions() (detectors []string, all bool) {
	for _, m := range d.Matches {
		if m.Action != steward.ActionRedact {
			continue
		}
		if len(m.Redact) == 0 {
			all = true
		}
		for _, name := range m.Redact {
			if !slices.Contains(detectors, name) {
				detectors = append(detectors, name)
			}
		}
	}
	return detectors, all
}

// Message judges a message (in must not be nil; it is only read) against
// every enabled message policy. It never fails: a policy that cannot be evaluated is recorded in Errors and
// flags the decision. The counters DrainCounts reports are advanced.
func (s *Set) Message(in *MessageInput) *Decision {
	return s.message(in, true)
}

func (s *Set) message(in *MessageInput, count bool) *Decision {
	d := &Decision{SetVersion: s.version}
	vars := newMessageVars(in, s.adapter)
	for _, c := range s.messages {
		c.eval(vars, d, count)
	}
	d.finish(enforceMessage(in))
	return d
}

// Group judges a group operation (in must not be nil) against every
// enabled group policy, as Message does. Enforced is always Action: whether a change can still be
// stopped (an employee's request) or only answered (a change seen on the
// channel) is for the caller, which knows where the change came from.
func (s *Set) Group(in *GroupInput) *Decision {
	d := &Decision{SetVersion: s.version}
	vars := &groupVars{in: in, adapter: s.adapter}
	for _, c := range s.groups {
		c.eval(vars, d, true)
	}
	d.finish(func(a steward.PolicyAction) steward.PolicyAction { return a })
	return d
}

func (c *compiled) eval(vars interpreter.Activation, d *Decision, count bool) {
	out, _, err := c.prg.Eval(vars)
	matched := false
	if err == nil {
		b, ok := out.(types.Bool)
		if !ok { // the checker guarantees bool; keep the promise at run time too
			err = errors.New("the condition did not yield a bool")
		}
		matched = bool(b)
	}
	if count {
		n := uint64(countEvaluated)
		if matched {
			n += countMatched
		}
		c.counts.Add(n)
	}
	if err != nil {
		d.Errors = append(d.Errors, c.p.Name+": "+err.Error())
		d.failed = append(d.failed, c.p.Name)
		return
	}
	if matched {
		d.Matches = append(d.Matches, Match{PolicyID: c.p.ID, Name: c.p.Name, Version: c.p.Version,
			Action: c.p.Action, Reason: c.p.Reason, Redact: c.p.Redact})
	}
}

// finish orders the matches and settles Action, Enforced and Flag.
func (d *Decision) finish(enforce func(steward.PolicyAction) steward.PolicyAction) {
	slices.SortStableFunc(d.Matches, func(a, b Match) int {
		if r := cmp.Compare(b.Action.Rank(), a.Action.Rank()); r != 0 {
			return r
		}
		return strings.Compare(a.Name, b.Name)
	})
	d.Action = steward.ActionAllow
	if len(d.Matches) > 0 {
		d.Action = d.Matches[0].Action
	}
	d.Enforced = enforce(d.Action)
	d.Flag = len(d.Errors) > 0 || d.Enforced == steward.ActionFlag || d.Enforced == steward.ActionQuarantine
	for _, m := range d.Matches {
		if m.Action == steward.ActionFlag || m.Action == steward.ActionQuarantine {
			d.Flag = true
		}
	}
}

// enforceMessage returns what can be done about a message, given what
// policy asks:
//
//   - Linked mode: the employee's own app sent or received the message
//     and Steward saw it afterwards, so nothing can be held, masked or
//     stopped. Anything above flag is enforced as flag, whatever the
//     direction.
//   - Inbound, governed: the outside sender cannot be stopped, but
//     delivery to the employee can be held. Block, quarantine and warn
//     (there is no outside sender to ask for a justification) become
//     quarantine; redact masks the employee's copy.
//   - Outbound or internal, governed: Steward sends, so Action is
//     enforced as it is.
func enforceMessage(in *MessageInput) func(steward.PolicyAction) steward.PolicyAction {
	return func(a steward.PolicyAction) steward.PolicyAction {
		switch {
		case in.Mode == string(steward.IdentityLinked):
			if a.Rank() > steward.ActionFlag.Rank() {
				return steward.ActionFlag
			}
		case in.Direction == string(steward.DirInbound):
			switch a {
			case steward.ActionBlock, steward.ActionQuarantine, steward.ActionWarn:
				return steward.ActionQuarantine
			}
		}
		return a
	}
}

// DrainCounts returns how often each policy was evaluated and matched
// since the previous drain (dry runs do not count), labelled with day
// (YYYY-MM-DD, UTC), and resets the counters. Policies not evaluated
// since are left out. Call it at least once a day and at the end of the
// Set's life, and add the result to the store.
func (s *Set) DrainCounts(day string) []steward.PolicyCount {
	var out []steward.PolicyCount
	for _, cs := range [][]*compiled{s.messages, s.groups} {
		for _, c := range cs {
			n := c.counts.Swap(0)
			if n == 0 {
				continue
			}
			out = append(out, steward.PolicyCount{PolicyID: c.p.ID, Day: day,
				Evaluated: int64(n >> 32), Matched: int64(n & 0xffffffff)})
		}
	}
	return out
}
