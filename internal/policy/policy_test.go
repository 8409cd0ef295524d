package policy

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

var testTime = time.Date(2026, 3, 4, 15, 30, 0, 0, time.UTC)

func employee(id string) Party {
	return Party{Address: "+12025550100", Name: "Dana Analyst", Inside: true, EmployeeID: id,
		Department: "Policy", Title: "Analyst", Seniority: "staff", Roles: []string{"employee"},
		Caveats: []string{"PII"}}
}

func contact(addr string) Party {
	return Party{Address: addr, Name: "Sam Outside", Consent: "active"}
}

// outbound is a governed message from an employee to one outside contact.
func outbound() *MessageInput {
	return &MessageInput{
		Sender:           employee("e-1"),
		Recipients:       []Party{contact("+442079460000")},
		Channel:          "signal",
		Direction:        "outbound",
		Mode:             "governed",
		ConversationType: "direct",
		ConversationSize: 2,
		Length:           120,
		Findings:         map[string]int{},
		Time:             testTime,
		SampleKey:        "msg-1",
	}
}

func pol(name string, kind steward.PolicyKind, cond string, action steward.PolicyAction) *steward.Policy {
	return &steward.Policy{ID: "id-" + name, Name: name, Kind: kind, Condition: cond, Action: action,
		Reason: "Reason of " + name + ".", Enabled: true, Version: 3}
}

func msgPol(name, cond string, action steward.PolicyAction) *steward.Policy {
	return pol(name, steward.PolicyMessage, cond, action)
}

func mustSet(t testing.TB, ps ...*steward.Policy) *Set {
	t.Helper()
	s, err := NewSet(7, ps)
	if err != nil {
		t.Fatalf("NewSet: %v", err)
	}
	return s
}

func matchNames(d *Decision) []string {
	var out []string
	for _, m := range d.Matches {
		out = append(out, m.Name)
	}
	return out
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		kind steward.PolicyKind
		cond string
		want string // "" for no error; else a substring of the public message
	}{
		{"ok", steward.PolicyMessage, `outside && finding("us_ssn") > 0`, ""},
		{"ok-group", steward.PolicyGroup, `operation == "add" && members.exists(m, !m.inside)`, ""},
		{"undeclared", steward.PolicyMessage, `foo == 1`, "condition:1:1: undeclared reference to 'foo'"},
		{"misspelt-field", steward.PolicyMessage, `sender.departmnet == "HR"`,
			"condition:1:7: undefined field 'departmnet'"},
		{"misspelt-attachment-field", steward.PolicyMessage, `message.attachments.exists(a, a.mime == "x")`,
			"undefined field 'mime'"},
		{"second-line", steward.PolicyMessage, "outside &&\n  recipients.size() > \"2\"",
			"condition:2:21: found no matching overload for '_>_'"},
		{"syntax", steward.PolicyMessage, `outside &&`, "condition:1:11: Syntax error"},
		{"not-bool", steward.PolicyMessage, `message.length`, "the condition yields int; it must yield a bool"},
		{"dyn-not-bool", steward.PolicyMessage, `dyn(outside)`, "it must yield a bool"},
		{"finding-wrong-arg", steward.PolicyMessage, `finding(1) > 0`,
			"found no matching overload for 'finding' applied to '(int)'"},
		{"sample-int", steward.PolicyMessage, `sample(5)`, ""},
		{"sample-range", steward.PolicyMessage, `outside && sample(150.0)`,
			"condition:1:19: sample takes a percentage between 0 and 100, not 150"},
		{"sample-negative", steward.PolicyMessage, `sample(-1)`, "between 0 and 100"},
		{"group-var-in-message", steward.PolicyMessage, `operation == "add"`, "undeclared reference to 'operation'"},
		{"message-fn-in-group", steward.PolicyGroup, `sample(1.0)`, "undeclared reference to 'sample'"},
		{"message-var-in-group", steward.PolicyGroup, `outside`, "undeclared reference to 'outside'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			action := steward.ActionFlag
			err := Check(pol(tt.name, tt.kind, tt.cond, action))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if !steward.Is(steward.Invalid, err) {
				t.Fatalf("Check = %v, want Invalid", err)
			}
			if msg := steward.PublicMessage(err); !strings.Contains(msg, tt.want) {
				t.Fatalf("message %q does not contain %q", msg, tt.want)
			}
		})
	}
}

func TestCheckPolicyRules(t *testing.T) {
	long := `outside || ` + strings.Repeat(`outside || `, 800) + `outside`
	tests := []struct {
		name string
		p    *steward.Policy
		kind steward.Kind
	}{
		{"bad-name", pol("Bad Name", steward.PolicyMessage, "true", steward.ActionFlag), steward.Invalid},
		{"approval-on-message", msgPol("a", "true", steward.ActionApproval), steward.Invalid},
		{"redact-on-group", pol("g", steward.PolicyGroup, "true", steward.ActionRedact), steward.Invalid},
		{"empty", msgPol("e", "", steward.ActionFlag), steward.Invalid},
		{"unknown-kind", pol("k", "chat", "true", steward.ActionFlag), steward.Invalid},
		{"too-large", msgPol("l", long, steward.ActionFlag), steward.TooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Check(tt.p); !steward.Is(tt.kind, err) {
				t.Fatalf("Check = %v, want %v", err, tt.kind)
			}
		})
	}
}

// TestVariables evaluates one condition per variable and field against a
// fully populated input; each must hold, and its negation must not.
func TestVariables(t *testing.T) {
	in := outbound()
	in.Sender.Capstone = true
	in.Sender.Roles = []string{"employee", "supervisor"}
	in.Recipients = append(in.Recipients, employee("e-2"))
	in.Recipients[1].Department = "Legal"
	in.ConversationType = "group"
	in.ConversationSize = 3
	in.Length = 2048
	in.Attachments = []Attachment{
		{Filename: "Budget.XLSX", Type: "application/vnd.ms-excel", Size: 4096, Scannable: true},
		{Filename: "scan.pdf.exe", Type: "application/octet-stream", Size: 10, Scannable: false},
	}
	in.Findings = map[string]int{"us_ssn": 2, "lex_threats": 1}
	conds := []string{
		`sender.address == "+12025550100" && sender.name == "Dana Analyst" && sender.inside`,
		`sender.employee_id == "e-1" && sender.department == "Policy" && sender.title == "Analyst"`,
		`sender.seniority == "staff" && "supervisor" in sender.roles && sender.capstone`,
		`sender.caveats == ["PII"] && sender.consent == "" && sender.country == "1"`,
		`recipients.size() == 2 && recipients[0].country == "44" && recipients[0].consent == "active"`,
		`recipients.exists(r, r.inside && r.department == "Legal")`,
		`channel == "signal" && direction == "outbound" && mode == "governed"`,
		`conversation.type == "group" && conversation.size == 3`,
		`message.length == 2048 && message.attachments.size() == 2`,
		`message.attachments[0].filename == "Budget.XLSX" && message.attachments[0].extension == "xlsx"`,
		`message.attachments[0].type.startsWith("application/") && message.attachments[0].size == 4096`,
		`message.attachments.exists(a, !a.scannable && a.extension == "exe")`,
		`findings["us_ssn"] == 2 && finding("us_ssn") == 2 && finding("absent") == 0`,
		`findings[?"absent"].orValue(0) == 0 && "lex_threats" in findings`,
		`now == timestamp("2026-03-04T15:30:00Z") && now.getHours() == 15`,
		`now.getHours("America/New_York") == 10 && now.getDayOfWeek() == 3`,
		`outside`,
		`sender.department.lowerAscii() == "policy" && recipients.map(r, r.country).join(",") == "44,1"`,
		`sets.contains(sender.roles, ["supervisor"]) && lists.range(3).size() == 3`,
		`cel.bind(n, finding("us_ssn"), n > 1 && n < 3)`,
		`message.length > 2000.5`, // cross-type numeric comparison
		`sample(100.0) && !sample(0)`,
	}
	for _, cond := range conds {
		for _, negate := range []bool{false, true} {
			c := cond
			if negate {
				c = "!(" + cond + ")"
			}
			d := mustSet(t, msgPol("p", c, steward.ActionFlag)).Message(in)
			if len(d.Errors) > 0 {
				t.Errorf("%s: errors %v", c, d.Errors)
			}
			if got := len(d.Matches) == 1; got == negate {
				t.Errorf("%s: matched %v", c, got)
			}
		}
	}
}

func TestGroupVariables(t *testing.T) {
	in := &GroupInput{Operation: "add", Actor: employee("e-1"), Channel: "signal", GroupSize: 5,
		OutsideMembers: 2, Members: []Party{contact("+5355512345"), employee("e-3")}, Time: testTime}
	conds := []string{
		`operation == "add" && channel == "signal" && actor.employee_id == "e-1"`,
		`group.size == 5 && group.outside_members == 2`,
		`members.size() == 2 && members[0].country == "53" && members.filter(m, !m.inside).size() == 1`,
		`now.getFullYear() == 2026`,
	}
	for _, cond := range conds {
		s := mustSet(t, pol("g", steward.PolicyGroup, cond, steward.ActionBlock))
		d := s.Group(in)
		if len(d.Errors) > 0 || d.Action != steward.ActionBlock || d.Enforced != steward.ActionBlock {
			t.Errorf("%s: %+v", cond, d)
		}
		// Message policies do not see group operations, and the reverse.
		if d := s.Message(outbound()); len(d.Matches) != 0 {
			t.Errorf("%s: a group policy judged a message", cond)
		}
	}
}

// TestCountryFilled checks that a caller forgetting Country does not
// defeat a calling-code policy, and that the caller's input is not written.
func TestCountryFilled(t *testing.T) {
	in := outbound()
	in.Recipients = []Party{contact("+989121234567")}
	s := mustSet(t, msgPol("iran", `recipients.exists(r, r.country == "98")`, steward.ActionBlock),
		msgPol("sender", `sender.country == "1"`, steward.ActionFlag))
	d := s.Message(in)
	if !slices.Equal(matchNames(d), []string{"iran", "sender"}) {
		t.Fatalf("matches %v", matchNames(d))
	}
	if in.Recipients[0].Country != "" || in.Sender.Country != "" {
		t.Fatal("the caller's input was modified")
	}
	// A caller-provided country is kept as it is.
	in.Recipients[0].Country = "44"
	if d := s.Message(in); len(d.Matches) != 1 || d.Matches[0].Name != "sender" {
		t.Fatalf("matches %v", matchNames(d))
	}
}

func TestActions(t *testing.T) {
	for _, a := range steward.PolicyActions() {
		if a == steward.ActionApproval {
			continue // group only; see TestGroupActions
		}
		t.Run(string(a), func(t *testing.T) {
			d := mustSet(t, msgPol("p", "outside", a), msgPol("never", "!outside", steward.ActionBlock)).Message(outbound())
			if d.Action != a || d.Enforced != a {
				t.Fatalf("Action %s Enforced %s, want %s", d.Action, d.Enforced, a)
			}
			wantFlag := a == steward.ActionFlag || a == steward.ActionQuarantine
			if d.Flag != wantFlag {
				t.Fatalf("Flag %v, want %v", d.Flag, wantFlag)
			}
			m := d.Matches[0]
			if len(d.Matches) != 1 || m.PolicyID != "id-p" || m.Version != 3 || m.Reason != "Reason of p." || d.SetVersion != 7 {
				t.Fatalf("matches %+v set %d", d.Matches, d.SetVersion)
			}
		})
	}
}

func TestGroupActions(t *testing.T) {
	in := &GroupInput{Operation: "add", Actor: employee("e-1"), Members: []Party{contact("+442079460001")}, Time: testTime}
	for _, a := range []steward.PolicyAction{steward.ActionAllow, steward.ActionFlag, steward.ActionApproval, steward.ActionBlock} {
		d := mustSet(t, pol("p", steward.PolicyGroup, `operation == "add"`, a)).Group(in)
		if d.Action != a || d.Enforced != a || d.Flag != (a == steward.ActionFlag) {
			t.Errorf("%s: %+v", a, d)
		}
	}
	// Approval outranks flag; block outranks approval.
	s := mustSet(t,
		pol("f", steward.PolicyGroup, `true`, steward.ActionFlag),
		pol("a", steward.PolicyGroup, `true`, steward.ActionApproval),
		pol("b", steward.PolicyGroup, `members.exists(m, m.country == "53")`, steward.ActionBlock))
	if d := s.Group(in); d.Action != steward.ActionApproval || !d.Flag || d.Reason() != "Reason of a." {
		t.Errorf("approval+flag: %+v", d)
	}
	in.Members[0].Address = "+5355512345"
	if d := s.Group(in); d.Action != steward.ActionBlock || !slices.Equal(matchNames(d), []string{"b", "a", "f"}) {
		t.Errorf("block: %+v", d)
	}
}

func TestPrecedence(t *testing.T) {
	tests := []struct {
		actions  []steward.PolicyAction
		want     steward.PolicyAction
		wantFlag bool
	}{
		{nil, steward.ActionAllow, false},
		{[]steward.PolicyAction{steward.ActionAllow}, steward.ActionAllow, false},
		{[]steward.PolicyAction{steward.ActionAllow, steward.ActionFlag}, steward.ActionFlag, true},
		{[]steward.PolicyAction{steward.ActionFlag, steward.ActionRedact}, steward.ActionRedact, true},
		{[]steward.PolicyAction{steward.ActionRedact, steward.ActionWarn}, steward.ActionWarn, false},
		{[]steward.PolicyAction{steward.ActionWarn, steward.ActionFlag}, steward.ActionWarn, true},
		{[]steward.PolicyAction{steward.ActionWarn, steward.ActionQuarantine}, steward.ActionQuarantine, true},
		{[]steward.PolicyAction{steward.ActionQuarantine, steward.ActionBlock}, steward.ActionBlock, true},
		{[]steward.PolicyAction{steward.ActionRedact, steward.ActionBlock, steward.ActionWarn}, steward.ActionBlock, false},
		{[]steward.PolicyAction{steward.ActionBlock, steward.ActionFlag, steward.ActionAllow}, steward.ActionBlock, true},
	}
	for _, tt := range tests {
		var ps []*steward.Policy
		for i, a := range tt.actions {
			ps = append(ps, msgPol(fmt.Sprintf("p%d-%s", i, a), "true", a))
		}
		ps = append(ps, msgPol("z-never", "false", steward.ActionBlock))
		d := mustSet(t, ps...).Message(outbound())
		if d.Action != tt.want || d.Flag != tt.wantFlag || len(d.Matches) != len(tt.actions) {
			t.Errorf("%v: Action %s Flag %v matches %v; want %s %v", tt.actions, d.Action, d.Flag, matchNames(d), tt.want, tt.wantFlag)
			continue
		}
		for i := 1; i < len(d.Matches); i++ {
			if d.Matches[i-1].Action.Rank() < d.Matches[i].Action.Rank() {
				t.Errorf("%v: matches not strongest first: %v", tt.actions, matchNames(d))
			}
		}
	}
}

func TestEnforcement(t *testing.T) {
	tests := []struct {
		direction, mode string
		action          steward.PolicyAction
		want            steward.PolicyAction
		wantFlag        bool
	}{
		{"outbound", "governed", steward.ActionBlock, steward.ActionBlock, false},
		{"outbound", "governed", steward.ActionWarn, steward.ActionWarn, false},
		{"outbound", "governed", steward.ActionRedact, steward.ActionRedact, false},
		{"internal", "governed", steward.ActionBlock, steward.ActionBlock, false},
		{"internal", "governed", steward.ActionQuarantine, steward.ActionQuarantine, true},
		{"inbound", "governed", steward.ActionBlock, steward.ActionQuarantine, true},
		{"inbound", "governed", steward.ActionQuarantine, steward.ActionQuarantine, true},
		{"inbound", "governed", steward.ActionWarn, steward.ActionQuarantine, true},
		{"inbound", "governed", steward.ActionRedact, steward.ActionRedact, false},
		{"inbound", "governed", steward.ActionFlag, steward.ActionFlag, true},
		{"inbound", "governed", steward.ActionAllow, steward.ActionAllow, false},
		{"outbound", "linked", steward.ActionBlock, steward.ActionFlag, true},
		{"outbound", "linked", steward.ActionQuarantine, steward.ActionFlag, true},
		{"outbound", "linked", steward.ActionWarn, steward.ActionFlag, true},
		{"outbound", "linked", steward.ActionRedact, steward.ActionFlag, true},
		{"outbound", "linked", steward.ActionFlag, steward.ActionFlag, true},
		{"outbound", "linked", steward.ActionAllow, steward.ActionAllow, false},
		{"inbound", "linked", steward.ActionBlock, steward.ActionFlag, true},
		{"internal", "linked", steward.ActionRedact, steward.ActionFlag, true},
	}
	for _, tt := range tests {
		in := outbound()
		in.Direction, in.Mode = tt.direction, tt.mode
		d := mustSet(t, msgPol("p", "true", tt.action)).Message(in)
		if d.Action != tt.action || d.Enforced != tt.want || d.Flag != tt.wantFlag {
			t.Errorf("%s %s %s: Action %s Enforced %s Flag %v; want %s %v",
				tt.direction, tt.mode, tt.action, d.Action, d.Enforced, d.Flag, tt.want, tt.wantFlag)
		}
	}
}

func TestRuntimeErrors(t *testing.T) {
	s := mustSet(t,
		msgPol("missing-key", `findings["lex_threats"] > 0`, steward.ActionBlock),
		msgPol("too-costly", `lists.range(1000).all(i, lists.range(1000).all(j, i + j >= 0))`, steward.ActionBlock),
		msgPol("keyless-sample", `sample(50.0)`, steward.ActionBlock),
		msgPol("warn-outside", `outside`, steward.ActionWarn))
	in := outbound()
	in.SampleKey = ""
	d := s.Message(in)
	// The failing policies apply nothing; the one that evaluated does.
	if d.Action != steward.ActionWarn || d.Enforced != steward.ActionWarn || !d.Flag {
		t.Fatalf("decision %+v", d)
	}
	if len(d.Errors) != 3 {
		t.Fatalf("errors %q", d.Errors)
	}
	for i, want := range []string{"keyless-sample: sample: the message has no sample key",
		"missing-key: no such key: lex_threats", "too-costly: operation cancelled: actual cost limit exceeded"} {
		if !strings.HasPrefix(d.Errors[i], want) {
			t.Errorf("error %d = %q, want prefix %q", i, d.Errors[i], want)
		}
	}
	// With nothing matching, an error alone still flags the message.
	in.Findings = map[string]int{"lex_threats": 1}
	in.SampleKey = "k"
	d = mustSet(t, msgPol("missing-key", `findings["us_ssn"] > 0`, steward.ActionBlock)).Message(in)
	if d.Action != steward.ActionAllow || d.Enforced != steward.ActionAllow || !d.Flag || len(d.Errors) != 1 {
		t.Fatalf("decision %+v", d)
	}
}

func TestSampling(t *testing.T) {
	const n = 100_000
	hits, hits2 := 0, 0
	for i := range n {
		key := fmt.Sprintf("msg-%d", i)
		h1, err := sampled(key, 1)
		if err != nil {
			t.Fatal(err)
		}
		h2, _ := sampled(key, 2)
		if h1 && !h2 {
			t.Fatalf("%s is in the 1%% sample but not the 2%% one", key)
		}
		if again, _ := sampled(key, 1); again != h1 {
			t.Fatalf("%s: answers differ", key)
		}
		if h1 {
			hits++
		}
		if h2 {
			hits2++
		}
	}
	// 1% of 100,000 is 1,000 with a standard deviation of about 31.
	if hits < 900 || hits > 1100 || hits2 < 1850 || hits2 > 2150 {
		t.Fatalf("1%% sampled %d, 2%% sampled %d of %d", hits, hits2, n)
	}
	for _, p := range []float64{-0.1, 100.1} {
		if _, err := sampled("k", p); err == nil {
			t.Errorf("sampled(%v) accepted", p)
		}
	}
	if h, _ := sampled("k", 0); h {
		t.Error("0% sampled a message")
	}
	if h, _ := sampled("k", 100); !h {
		t.Error("100% missed a message")
	}
}

// TestSampleDeterministic checks that two Sets built separately (as live
// and dry run would be) give every message the same answer.
func TestSampleDeterministic(t *testing.T) {
	build := func() *Set { return mustSet(t, msgPol("s", `sample(10.0)`, steward.ActionFlag)) }
	live, dry := build(), build()
	hits := 0
	for i := range 2000 {
		in := outbound()
		in.SampleKey = fmt.Sprintf("k%d", i)
		a, b := live.Message(in), dry.Message(in)
		if a.Action != b.Action {
			t.Fatalf("%s: %s vs %s", in.SampleKey, a.Action, b.Action)
		}
		if a.Action == steward.ActionFlag {
			hits++
		}
	}
	if hits < 140 || hits > 260 {
		t.Fatalf("10%% sampled %d of 2000", hits)
	}
}

func TestReasonAndRedactions(t *testing.T) {
	r1 := msgPol("r1", "true", steward.ActionRedact)
	r1.Redact = []string{"us_ssn"}
	r2 := msgPol("r2", "true", steward.ActionRedact)
	r2.Redact = []string{"payment_card", "us_ssn"}
	f := msgPol("f", "true", steward.ActionFlag)
	d := mustSet(t, r1, r2, f).Message(outbound())
	if got := d.Reason(); got != "Reason of r1.\nReason of r2." {
		t.Errorf("Reason = %q", got)
	}
	if dets, all := d.Redactions(); all || !slices.Equal(dets, []string{"us_ssn", "payment_card"}) {
		t.Errorf("Redactions = %v, %v", dets, all)
	}
	r3 := msgPol("r3", "true", steward.ActionRedact)
	r3.Reason = ""
	r3.Redact = nil
	d = mustSet(t, r1, r3).Message(outbound())
	if got := d.Reason(); got != "Reason of r1.\nPolicy r3 applies." {
		t.Errorf("Reason = %q", got)
	}
	if _, all := d.Redactions(); !all {
		t.Error("an empty Redact list must mask every finding")
	}
	if got := (&Decision{Action: steward.ActionAllow}).Reason(); got != "" {
		t.Errorf("Reason of no match = %q", got)
	}
}

func TestNewSet(t *testing.T) {
	off := msgPol("off", "true", steward.ActionBlock)
	off.Enabled = false
	gone := msgPol("gone", "true", steward.ActionBlock)
	gone.Deleted = true
	s := mustSet(t, off, gone, nil, msgPol("on", "true", steward.ActionFlag))
	if s.Version() != 7 {
		t.Errorf("Version = %d", s.Version())
	}
	if d := s.Message(outbound()); !slices.Equal(matchNames(d), []string{"on"}) {
		t.Errorf("matches %v", matchNames(d))
	}
	// A disabled policy need not compile; an enabled one must.
	off.Condition = "nonsense +"
	_, err := NewSet(8, []*steward.Policy{off, msgPol("broken", "nonsense", steward.ActionBlock),
		msgPol("broken2", "1", steward.ActionBlock), msgPol("fine", "true", steward.ActionFlag)})
	if !steward.Is(steward.Invalid, err) {
		t.Fatalf("NewSet = %v, want Invalid", err)
	}
	msg := steward.PublicMessage(err)
	if !strings.Contains(msg, "broken: condition:1:1: undeclared reference to 'nonsense'") ||
		!strings.Contains(msg, "broken2: the condition yields int") || strings.Contains(msg, "off") {
		t.Errorf("message %q", msg)
	}
	// The Set keeps its own copy of the policies.
	p := msgPol("copy", "true", steward.ActionRedact)
	p.Redact = []string{"us_ssn"}
	s = mustSet(t, p)
	p.Name, p.Redact[0] = "changed", "email"
	if d := s.Message(outbound()); d.Matches[0].Name != "copy" || d.Matches[0].Redact[0] != "us_ssn" {
		t.Errorf("match %+v", d.Matches[0])
	}
}

func TestDrainCounts(t *testing.T) {
	s := mustSet(t,
		msgPol("outside", "outside", steward.ActionFlag),
		msgPol("ssn", `finding("us_ssn") > 0`, steward.ActionFlag),
		msgPol("broken", `findings["x"] > 0`, steward.ActionFlag),
		pol("grp", steward.PolicyGroup, `operation == "add"`, steward.ActionFlag),
		pol("grp-idle", steward.PolicyGroup, `false`, steward.ActionFlag))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				in := outbound()
				if j%4 == 0 {
					in.Findings = map[string]int{"us_ssn": 1}
				}
				s.Message(in)
				if i == 0 && j < 3 {
					s.Group(&GroupInput{Operation: "add"})
				}
			}
		})
	}
	wg.Wait()
	// Dry runs do not count.
	if _, err := DryRun(s, sliceSource([]*MessageInput{outbound()})); err != nil {
		t.Fatal(err)
	}
	got := s.DrainCounts("2026-03-04")
	want := []steward.PolicyCount{
		{PolicyID: "id-broken", Day: "2026-03-04", Evaluated: 800, Matched: 0},
		{PolicyID: "id-outside", Day: "2026-03-04", Evaluated: 800, Matched: 800},
		{PolicyID: "id-ssn", Day: "2026-03-04", Evaluated: 800, Matched: 200},
		{PolicyID: "id-grp", Day: "2026-03-04", Evaluated: 3, Matched: 3},
		{PolicyID: "id-grp-idle", Day: "2026-03-04", Evaluated: 3, Matched: 0},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("DrainCounts =\n%+v\nwant\n%+v", got, want)
	}
	if got := s.DrainCounts("2026-03-05"); len(got) != 0 {
		t.Fatalf("second drain = %+v", got)
	}
	s.Message(outbound())
	if got := s.DrainCounts("2026-03-05"); len(got) != 3 || got[1].Evaluated != 1 || got[1].Matched != 1 {
		t.Fatalf("third drain = %+v", got)
	}
}

func TestExtension(t *testing.T) {
	for name, want := range map[string]string{
		"a.PDF": "pdf", "a.pdf.exe": "exe", "README": "", ".bashrc": "", "x.": "", "": "",
		`C:\Users\x\evil.Scr`: "scr", "../dir.d/file": "", "dir.d/file.txt": "txt",
	} {
		if got := extension(name); got != want {
			t.Errorf("extension(%q) = %q, want %q", name, got, want)
		}
	}
}
