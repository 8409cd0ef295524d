package policy

import "github.com/steward-gov/steward/internal/steward"

// MaxExamples is how many sample keys DryRun keeps per policy.
const MaxExamples = 20

// DryRunReport says what a policy set would have done to past messages.
type DryRunReport struct {
	Messages int                          `json:"messages"`
	ByAction map[steward.PolicyAction]int `json:"by_action"` // messages per decided Action, allow included
	ByPolicy []PolicyHits                 `json:"by_policy"` // every message policy of the set, by name
	Errors   int                          `json:"errors"`    // messages on which some policy failed to evaluate
}

// PolicyHits is one policy's part of a dry run.
type PolicyHits struct {
	PolicyID string   `json:"policy_id"`
	Name     string   `json:"name"`
	Matched  int      `json:"matched"`
	Errors   int      `json:"errors"`   // messages on which it failed to evaluate
	Examples []string `json:"examples"` // SampleKeys of the first MaxExamples matches
}

// DryRun judges the messages next yields, as Message would, and counts
// the outcomes; it changes nothing, and s's counters are left alone. next
// returns the following message and true, or false once there are no
// more; an error from next ends the run with that error. To try a draft
// policy, build a Set holding it with Enabled set: sampling depends only
// on SampleKey, so a dry run picks the same messages the live set will.
func DryRun(s *Set, next func() (*MessageInput, bool, error)) (*DryRunReport, error) {
	const op steward.Op = "policy.DryRun"
	r := &DryRunReport{ByAction: map[steward.PolicyAction]int{}, ByPolicy: make([]PolicyHits, len(s.messages))}
	index := make(map[string]int, len(s.messages))
	for i, c := range s.messages {
		r.ByPolicy[i] = PolicyHits{PolicyID: c.p.ID, Name: c.p.Name, Examples: []string{}}
		index[c.p.Name] = i
	}
	for {
		in, ok, err := next()
		if err != nil {
			return nil, steward.E(op, err)
		}
		if !ok {
			return r, nil
		}
		if in == nil {
			return nil, steward.E(op, steward.Invalid, "the message source yielded no message")
		}
		d := s.message(in, false)
		r.Messages++
		r.ByAction[d.Action]++
		if len(d.Errors) > 0 {
			r.Errors++
		}
		for _, m := range d.Matches {
			h := &r.ByPolicy[index[m.Name]]
			h.Matched++
			if len(h.Examples) < MaxExamples {
				h.Examples = append(h.Examples, in.SampleKey)
			}
		}
		for _, name := range d.failed {
			r.ByPolicy[index[name]].Errors++
		}
	}
}
