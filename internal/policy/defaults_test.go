package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/steward-gov/steward/internal/dlp"
	"github.com/steward-gov/steward/internal/steward"
)

func TestDetectorNames(t *testing.T) {
	builtin := []string{DetectorSSN, DetectorPaymentCard, DetectorABARouting, DetectorIBAN, DetectorPassport,
		DetectorPhone, DetectorEmail, DetectorEDIPI, DetectorCUI, DetectorClassification, DetectorSecret}
	got := dlp.Detectors()
	for _, name := range builtin {
		if !slices.Contains(got, name) {
			t.Errorf("%q is not a dlp detector (dlp.Detectors() = %v)", name, got)
		}
	}
}

func TestDefaultsCheck(t *testing.T) {
	ps := Defaults()
	seen := map[string]bool{}
	kinds := map[steward.PolicyKind]int{}
	for _, p := range ps {
		if err := Check(p); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
		if seen[p.Name] {
			t.Errorf("%s: duplicate name", p.Name)
		}
		seen[p.Name] = true
		kinds[p.Kind]++
		if !p.Enabled || p.ID != "" || p.Version != 0 || len(p.Description) < 20 || len(p.Reason) < 20 {
			t.Errorf("%s: not a new, enabled, explained policy: %+v", p.Name, p)
		}
	}
	if kinds[steward.PolicyMessage] < 10 || kinds[steward.PolicyGroup] < 6 {
		t.Errorf("kinds %v", kinds)
	}
	// Each call returns fresh policies a caller may edit.
	ps[0].Name = "edited"
	if Defaults()[0].Name == "edited" {
		t.Error("Defaults shares its policies")
	}
}

// sampleKey returns a key that sample(percent) selects, or does not.
func sampleKey(t *testing.T, percent float64, want bool) string {
	for i := range 100_000 {
		k := fmt.Sprintf("key-%d", i)
		if got, _ := sampled(k, percent); got == want {
			return k
		}
	}
	t.Fatal("no key found")
	return ""
}

func TestDefaultsMessages(t *testing.T) {
	s := mustSet(t, Defaults()...)
	inside := func(in *MessageInput) {
		in.Direction = "internal"
		in.Recipients = []Party{employee("e-2")}
	}
	inbound := func(in *MessageInput) {
		in.Direction = "inbound"
		in.Sender, in.Recipients = contact("+442079460000"), []Party{employee("e-1")}
	}
	finding := func(name string, n int) func(*MessageInput) {
		return func(in *MessageInput) { in.Findings[name] = n }
	}
	attach := func(name string, scannable bool) func(*MessageInput) {
		return func(in *MessageInput) {
			in.Attachments = append(in.Attachments, Attachment{Filename: name, Size: 100, Scannable: scannable})
		}
	}
	capstone := func(in *MessageInput) { in.Sender.Capstone = true }
	key := func(k string) func(*MessageInput) { return func(in *MessageInput) { in.SampleKey = k } }
	hit, miss := sampleKey(t, 1, true), sampleKey(t, 1, false)

	tests := []struct {
		name     string
		edits    []func(*MessageInput)
		action   steward.PolicyAction
		enforced steward.PolicyAction
		flag     bool
		matches  []string
	}{
		{"clean", nil, steward.ActionAllow, steward.ActionAllow, false, nil},
		{"classified-out", []func(*MessageInput){finding("classification", 1)},
			steward.ActionBlock, steward.ActionBlock, false, []string{"classified-outside"}},
		{"classified-internal", []func(*MessageInput){inside, finding("classification", 2)},
			steward.ActionQuarantine, steward.ActionQuarantine, true, []string{"classified-internal"}},
		{"classified-in", []func(*MessageInput){inbound, finding("classification", 1)},
			steward.ActionBlock, steward.ActionQuarantine, true, []string{"classified-outside"}},
		{"cui-out", []func(*MessageInput){finding("cui_marking", 1)},
			steward.ActionQuarantine, steward.ActionQuarantine, true, []string{"cui-outside"}},
		{"cui-in", []func(*MessageInput){inbound, finding("cui_marking", 1)},
			steward.ActionAllow, steward.ActionAllow, false, nil},
		{"secret-internal", []func(*MessageInput){inside, finding("secret", 1)},
			steward.ActionBlock, steward.ActionBlock, false, []string{"secrets"}},
		{"ssn-out", []func(*MessageInput){finding("us_ssn", 1)},
			steward.ActionRedact, steward.ActionRedact, false, []string{"ssn-card-outside"}},
		{"card-out", []func(*MessageInput){finding("payment_card", 2)},
			steward.ActionRedact, steward.ActionRedact, false, []string{"ssn-card-outside"}},
		{"ssn-internal", []func(*MessageInput){inside, finding("us_ssn", 1)},
			steward.ActionAllow, steward.ActionAllow, false, nil},
		{"bulk-ssn-out", []func(*MessageInput){finding("us_ssn", 5)},
			steward.ActionQuarantine, steward.ActionQuarantine, true, []string{"bulk-pii", "ssn-card-outside"}},
		{"bulk-ssn-internal", []func(*MessageInput){inside, finding("us_ssn", 9)},
			steward.ActionQuarantine, steward.ActionQuarantine, true, []string{"bulk-pii"}},
		{"unscannable-attachment", []func(*MessageInput){attach("secret.zip", false)},
			steward.ActionWarn, steward.ActionWarn, false, []string{"unscannable-outside"}},
		{"unscannable-finding", []func(*MessageInput){finding("unscannable", 1)},
			steward.ActionWarn, steward.ActionWarn, false, []string{"unscannable-outside"}},
		{"unscannable-internal", []func(*MessageInput){inside, attach("secret.zip", false)},
			steward.ActionAllow, steward.ActionAllow, false, nil},
		{"iban-out", []func(*MessageInput){finding("iban", 1)},
			steward.ActionWarn, steward.ActionWarn, false, []string{"banking-outside"}},
		{"exe-in", []func(*MessageInput){inbound, attach("invoice.pdf.EXE", true)},
			steward.ActionQuarantine, steward.ActionQuarantine, true, []string{"executable-inbound"}},
		{"exe-out", []func(*MessageInput){attach("tool.exe", true)},
			steward.ActionAllow, steward.ActionAllow, false, nil},
		{"harassment", []func(*MessageInput){inside, finding("lex_harassment", 1)},
			steward.ActionFlag, steward.ActionFlag, true, []string{"lexicon-harassment"}},
		{"threats-and-ssn", []func(*MessageInput){finding("lex_threats", 1), finding("us_ssn", 1)},
			steward.ActionRedact, steward.ActionRedact, true, []string{"ssn-card-outside", "lexicon-threats"}},
		{"conflict", []func(*MessageInput){finding("lex_conflict_of_interest", 3)},
			steward.ActionFlag, steward.ActionFlag, true, []string{"lexicon-conflict-of-interest"}},
		{"senior-sampled", []func(*MessageInput){capstone, key(hit)},
			steward.ActionFlag, steward.ActionFlag, true, []string{"senior-outside-sample"}},
		{"senior-not-sampled", []func(*MessageInput){capstone, key(miss)},
			steward.ActionAllow, steward.ActionAllow, false, nil},
		{"senior-inbound-sampled", []func(*MessageInput){inbound, func(in *MessageInput) { in.Recipients[0].Seniority = "executive" }, key(hit)},
			steward.ActionFlag, steward.ActionFlag, true, []string{"senior-outside-sample"}},
		{"senior-internal", []func(*MessageInput){inside, capstone, key(hit)},
			steward.ActionAllow, steward.ActionAllow, false, nil},
		{"staff-sampled-key", []func(*MessageInput){key(hit)},
			steward.ActionAllow, steward.ActionAllow, false, nil},
		{"linked-classified", []func(*MessageInput){finding("classification", 1), func(in *MessageInput) { in.Mode = "linked" }},
			steward.ActionBlock, steward.ActionFlag, true, []string{"classified-outside"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := outbound()
			for _, e := range tt.edits {
				e(in)
			}
			d := s.Message(in)
			if d.Action != tt.action || d.Enforced != tt.enforced || d.Flag != tt.flag ||
				!slices.Equal(matchNames(d), tt.matches) || len(d.Errors) > 0 {
				t.Fatalf("got %s/%s flag=%v matches=%v errors=%v; want %s/%s flag=%v matches=%v",
					d.Action, d.Enforced, d.Flag, matchNames(d), d.Errors, tt.action, tt.enforced, tt.flag, tt.matches)
			}
			if d.Action != steward.ActionAllow && d.Reason() == "" {
				t.Fatal("no reason")
			}
		})
	}
}

func TestDefaultsRedactsOnlyNamedDetectors(t *testing.T) {
	in := outbound()
	in.Findings = map[string]int{"us_ssn": 1, "email": 3}
	d := mustSet(t, Defaults()...).Message(in)
	if dets, all := d.Redactions(); all || !slices.Equal(dets, []string{"us_ssn", "payment_card"}) {
		t.Fatalf("Redactions = %v, %v", dets, all)
	}
}

func TestDefaultsGroups(t *testing.T) {
	s := mustSet(t, Defaults()...)
	staff := employee("e-1")
	supervisor := employee("e-9")
	supervisor.Roles = []string{"employee", "supervisor"}
	senior := employee("e-8")
	senior.Seniority = "senior"
	outsiders := func(n int) []Party {
		var ps []Party
		for i := range n {
			ps = append(ps, contact(fmt.Sprintf("+4420794600%02d", i)))
		}
		return ps
	}
	pending := contact("+442079461111")
	pending.Consent = "pending"
	tests := []struct {
		name    string
		in      GroupInput
		action  steward.PolicyAction
		matches []string
	}{
		{"staff-create-outside", GroupInput{Operation: "create", Actor: staff, Members: outsiders(1)},
			steward.ActionBlock, []string{"group-outside-create-restricted"}},
		{"staff-create-inside", GroupInput{Operation: "create", Actor: staff, Members: []Party{employee("e-2")}},
			steward.ActionAllow, nil},
		{"supervisor-create-outside", GroupInput{Operation: "create", Actor: supervisor, Members: outsiders(3)},
			steward.ActionAllow, nil},
		{"capstone-create-outside", GroupInput{Operation: "create", Actor: Party{Inside: true, Capstone: true}, Members: outsiders(10)},
			steward.ActionAllow, nil},
		{"create-too-many", GroupInput{Operation: "create", Actor: supervisor, Members: outsiders(11)},
			steward.ActionBlock, []string{"group-outside-limit"}},
		{"add-over-limit", GroupInput{Operation: "add", Actor: senior, GroupSize: 15, OutsideMembers: 10, Members: outsiders(1)},
			steward.ActionBlock, []string{"group-outside-limit"}},
		{"add-at-limit", GroupInput{Operation: "add", Actor: senior, GroupSize: 15, OutsideMembers: 9, Members: outsiders(1)},
			steward.ActionAllow, nil},
		{"add-sanctioned", GroupInput{Operation: "add", Actor: senior, Members: []Party{contact("+850212345678")}},
			steward.ActionBlock, []string{"group-sanctioned-country"}},
		{"add-cuba-country-given", GroupInput{Operation: "add", Actor: senior, Members: []Party{{Address: "x", Country: "53", Consent: "active"}}},
			steward.ActionBlock, []string{"group-sanctioned-country"}},
		{"add-unconsented", GroupInput{Operation: "add", Actor: senior, Members: []Party{pending}},
			steward.ActionBlock, []string{"group-consent-required"}},
		{"staff-add-outside", GroupInput{Operation: "add", Actor: staff, Members: outsiders(1)},
			steward.ActionApproval, []string{"group-outside-add-approval"}},
		{"staff-add-sanctioned", GroupInput{Operation: "add", Actor: staff, Members: []Party{contact("+982112345678")}},
			steward.ActionBlock, []string{"group-sanctioned-country", "group-outside-add-approval"}},
		{"senior-add-outside", GroupInput{Operation: "add", Actor: senior, Members: outsiders(1)},
			steward.ActionAllow, nil},
		{"staff-add-inside", GroupInput{Operation: "add", Actor: staff, Members: []Party{employee("e-2")}},
			steward.ActionAllow, nil},
		{"admin-outside", GroupInput{Operation: "make_admin", Actor: senior, Members: outsiders(1)},
			steward.ActionBlock, []string{"group-admin-inside-only"}},
		{"admin-inside", GroupInput{Operation: "make_admin", Actor: staff, Members: []Party{employee("e-2")}},
			steward.ActionAllow, nil},
		{"outside-actor-adds", GroupInput{Operation: "add", Actor: contact("+442079460000"), Members: outsiders(1)},
			steward.ActionFlag, []string{"group-outside-actor"}},
		{"remove-outside", GroupInput{Operation: "remove", Actor: staff, Members: []Party{pending}},
			steward.ActionAllow, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Channel, tt.in.Time = "signal", testTime
			d := s.Group(&tt.in)
			if d.Action != tt.action || d.Enforced != tt.action || !slices.Equal(matchNames(d), tt.matches) || len(d.Errors) > 0 {
				t.Fatalf("got %s matches=%v errors=%v; want %s %v", d.Action, matchNames(d), d.Errors, tt.action, tt.matches)
			}
			if d.Action != steward.ActionAllow && !strings.HasSuffix(d.Reason(), ".") {
				t.Fatalf("reason %q", d.Reason())
			}
		})
	}
}
