package policy

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/steward-gov/steward/internal/steward"
)

func sliceSource(ins []*MessageInput) func() (*MessageInput, bool, error) {
	i := 0
	return func() (*MessageInput, bool, error) {
		if i == len(ins) {
			return nil, false, nil
		}
		i++
		return ins[i-1], true, nil
	}
}

func TestDryRun(t *testing.T) {
	s := mustSet(t,
		msgPol("ssn", `finding("us_ssn") > 0`, steward.ActionRedact),
		msgPol("bulk", `finding("us_ssn") >= 5`, steward.ActionQuarantine),
		msgPol("threats", `findings["lex_threats"] > 0`, steward.ActionFlag), // fails when absent
		msgPol("idle", `false`, steward.ActionBlock),
		pol("grp", steward.PolicyGroup, `true`, steward.ActionBlock))
	var ins []*MessageInput
	for i := range 50 {
		in := outbound()
		in.SampleKey = fmt.Sprintf("m%02d", i)
		in.Findings = map[string]int{"lex_threats": 0}
		switch {
		case i < 30: // allow
		case i < 45:
			in.Findings["us_ssn"] = 1
		default:
			in.Findings["us_ssn"] = 6
		}
		if i%10 == 9 {
			delete(in.Findings, "lex_threats")
		}
		ins = append(ins, in)
	}
	r, err := DryRun(s, sliceSource(ins))
	if err != nil {
		t.Fatal(err)
	}
	wantActions := map[steward.PolicyAction]int{steward.ActionAllow: 30, steward.ActionRedact: 15, steward.ActionQuarantine: 5}
	if r.Messages != 50 || r.Errors != 5 || len(r.ByAction) != len(wantActions) {
		t.Fatalf("report %+v", r)
	}
	for a, n := range wantActions {
		if r.ByAction[a] != n {
			t.Errorf("ByAction[%s] = %d, want %d", a, r.ByAction[a], n)
		}
	}
	var names []string
	for _, h := range r.ByPolicy {
		names = append(names, h.Name)
	}
	if !slices.Equal(names, []string{"bulk", "idle", "ssn", "threats"}) {
		t.Fatalf("policies %v", names)
	}
	bulk, idle, ssn, threats := r.ByPolicy[0], r.ByPolicy[1], r.ByPolicy[2], r.ByPolicy[3]
	if bulk.Matched != 5 || !slices.Equal(bulk.Examples, []string{"m45", "m46", "m47", "m48", "m49"}) || bulk.PolicyID != "id-bulk" {
		t.Errorf("bulk %+v", bulk)
	}
	if idle.Matched != 0 || len(idle.Examples) != 0 || idle.Examples == nil {
		t.Errorf("idle %+v", idle)
	}
	if ssn.Matched != 20 || len(ssn.Examples) != MaxExamples || ssn.Examples[0] != "m30" {
		t.Errorf("ssn %+v", ssn)
	}
	if threats.Matched != 0 || threats.Errors != 5 {
		t.Errorf("threats %+v", threats)
	}
	// The live counters were not touched.
	if c := s.DrainCounts("2026-03-04"); len(c) != 0 {
		t.Errorf("counts %+v", c)
	}
}

func TestDryRunErrors(t *testing.T) {
	s := mustSet(t, msgPol("p", "true", steward.ActionFlag))
	boom := steward.E(steward.Op("archive.Scan"), steward.Unavailable, "archive offline")
	calls := 0
	_, err := DryRun(s, func() (*MessageInput, bool, error) {
		calls++
		if calls == 3 {
			return nil, false, boom
		}
		return outbound(), true, nil
	})
	if !errors.Is(err, boom) || !steward.Is(steward.Unavailable, err) {
		t.Fatalf("DryRun = %v", err)
	}
	_, err = DryRun(s, func() (*MessageInput, bool, error) { return nil, true, nil })
	if !steward.Is(steward.Invalid, err) {
		t.Fatalf("DryRun(nil message) = %v", err)
	}
	r, err := DryRun(s, sliceSource(nil))
	if err != nil || r.Messages != 0 || r.ByPolicy[0].Matched != 0 {
		t.Fatalf("empty DryRun = %+v, %v", r, err)
	}
}
