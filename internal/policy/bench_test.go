package policy

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// benchPolicies returns 50 enabled message policies: the default message
// policies and variations of the kinds agencies add (per-department
// rules, custom and EDM detectors, business hours, caveats, countries,
// attachment types, group size, extra samples).
func benchPolicies() []*steward.Policy {
	var ps []*steward.Policy
	for _, p := range Defaults() {
		if p.Kind == steward.PolicyMessage {
			ps = append(ps, p)
		}
	}
	templates := []string{
		`sender.department == %q && outside && finding("aba_routing") > 0`,
		`outside && finding("edm_%s_case_numbers") > 0`,
		`outside && direction == "outbound" && (now.getHours("America/New_York") < 7 || now.getHours("America/New_York") >= 19) && finding("us_ssn") > 0 && sender.department != %q`,
		`recipients.exists(r, r.inside && !(%q in r.caveats)) && finding("us_ssn") > 0`,
		`outside && recipients.exists(r, r.country in ["7", "86", "375"]) && finding("cui_marking") > 0 && sender.department == %q`,
		`message.attachments.exists(a, a.size > 25000000 || a.type.startsWith("video/")) && outside && sender.title.contains(%q)`,
		`conversation.type == "group" && conversation.size > 50 && outside && sender.department == %q`,
		`finding("lex_%s_procurement") > 0 && sample(5.0)`,
		`sender.inside && "supervisor" in sender.roles && outside && finding("email") > 20 && channel == %q`,
	}
	params := []string{"Finance", "Legal", "HR", "Grants", "PII"}
	actions := []steward.PolicyAction{steward.ActionFlag, steward.ActionRedact, steward.ActionWarn,
		steward.ActionQuarantine, steward.ActionBlock}
	for i := 0; len(ps) < 50; i++ {
		tpl := templates[i%len(templates)]
		param := params[(i/len(templates))%len(params)]
		ps = append(ps, &steward.Policy{Name: fmt.Sprintf("variation-%02d", i), Kind: steward.PolicyMessage,
			Condition: fmt.Sprintf(tpl, param), Action: actions[i%len(actions)], Enabled: true,
			Reason: "Variation."})
	}
	return ps
}

// benchMessage is an outbound 2 KB message with a spreadsheet attached
// and a few ordinary findings.
func benchMessage() *MessageInput {
	in := outbound()
	in.Recipients = append(in.Recipients, employee("e-2"))
	in.ConversationType, in.ConversationSize = "group", 3
	in.Length = 2048
	in.Attachments = []Attachment{{Filename: "figures.xlsx", Type: "application/vnd.ms-excel", Size: 48_000, Scannable: true}}
	in.Findings = map[string]int{"email": 3, "phone": 2, "us_ssn": 1}
	return in
}

func BenchmarkMessage50(b *testing.B) {
	ps := benchPolicies()
	if len(ps) != 50 {
		b.Fatalf("%d policies", len(ps))
	}
	s := mustSet(b, ps...)
	in := benchMessage()
	if d := s.Message(in); len(d.Errors) > 0 || !slices.ContainsFunc(d.Matches, func(m Match) bool { return m.Name == "ssn-card-outside" }) {
		b.Fatalf("decision %+v", d)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		in.SampleKey = keys[i%len(keys)]
		start := time.Now()
		s.Message(in)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

func BenchmarkMessage50Parallel(b *testing.B) {
	s := mustSet(b, benchPolicies()...)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		in := benchMessage()
		for i := 0; pb.Next(); i++ {
			in.SampleKey = keys[i%len(keys)]
			s.Message(in)
		}
	})
}

func BenchmarkGroupDefaults(b *testing.B) {
	s := mustSet(b, Defaults()...)
	in := &GroupInput{Operation: "add", Actor: employee("e-1"), GroupSize: 12, OutsideMembers: 3,
		Members: []Party{contact("+442079460000"), employee("e-2")}, Time: testTime}
	b.ReportAllocs()
	for b.Loop() {
		s.Group(in)
	}
}

var keys = func() []string {
	k := make([]string, 1024)
	for i := range k {
		k[i] = fmt.Sprintf("msg-%d", i)
	}
	return k
}()
