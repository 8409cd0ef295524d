package records

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// BenchmarkAssign measures one assignment through the example rule set,
// on a direct message and on a 50-member group where the last rule
// decides (the slow path: every rule runs).
func BenchmarkAssign(b *testing.B) {
	a := mustCompile(b, exampleRules())
	direct := Input{Kind: steward.RecordMessage, Channel: "signal", Direction: steward.DirOutbound,
		Participants: []Participant{alice("analyst"), {}}, Findings: map[string]int{"email": 1}}
	group := direct
	group.Participants = nil
	for i := range 50 {
		group.Participants = append(group.Participants, Participant{EmployeeID: fmt.Sprint("emp-", i), Roles: []string{"analyst", "staff"}, Department: "Policy"})
	}
	for name, in := range map[string]Input{"direct": direct, "group50": group} {
		b.Run(name, func(b *testing.B) {
			want := a.Assign(in)
			if want.ItemID != "grs-6.1-020" {
				b.Fatalf("assigned %+v", want)
			}
			b.ReportAllocs()
			for b.Loop() {
				if a.Assign(in) != want {
					b.Fatal("assignment changed")
				}
			}
		})
	}
}

// BenchmarkEvaluate measures one eligibility verdict against 100 holds,
// the shape of an eligibility report's inner loop.
func BenchmarkEvaluate(b *testing.B) {
	sched := BuiltinSchedules()
	rec := transitoryRecord()
	var holds []steward.Hold
	for i := range 100 {
		holds = append(holds, steward.Hold{ID: fmt.Sprint("hold-", i), Custodians: []string{fmt.Sprint("emp-", i)}})
	}
	asg := steward.Assignment{ItemID: "grs-5.2-010"}
	now := day(2027, time.January, 1)
	b.ReportAllocs()
	for b.Loop() {
		if !Evaluate(rec, asg, sched, holds, nil, now).Eligible {
			b.Fatal("not eligible")
		}
	}
}

// BenchmarkEncodeCertificate encodes and parses back a certificate of
// 10,000 records.
func BenchmarkEncodeCertificate(b *testing.B) {
	c := sampleCertificate()
	c.Records = nil
	r := rand.New(rand.NewPCG(1, 1))
	for i := range 10_000 {
		var h steward.Hash
		for j := range h {
			h[j] = byte(r.Uint32())
		}
		c.Records = append(c.Records, steward.CertifiedRecord{RecordID: fmt.Sprintf("0192f1c4-7e55-7a1b-9c3d-%012d", i),
			LeafIndex: int64(i * 3), LeafHash: h, ItemID: "grs-5.2-010", Authority: "DAA-GRS-2022-0009-0001"})
	}
	b.ReportAllocs()
	for b.Loop() {
		enc, err := EncodeCertificate(c)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ParseCertificate(enc); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(enc)))
	}
}
