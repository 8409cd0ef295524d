package recordkeeping_test

import (
	"fmt"
	"testing"

	"github.com/steward-gov/steward/internal/recordkeeping"
	"github.com/steward-gov/steward/internal/steward"
)

// BenchmarkRecordsAssign is the records hook's share of a capture: the
// rules run over a direct message between an employee and an outside
// party, with the directory cached as it is under load.
func BenchmarkRecordsAssign(b *testing.B) {
	e := newEnv(b)
	it := message(rileyAddr, maxAddr, "the budget")
	if _, err := e.svc.Assign(e.ctx, it, nil, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.svc.Assign(e.ctx, it, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordsReport judges an archive of 2,000 scheduled messages,
// one covered by a hold: the cost of the eligibility report per record.
func BenchmarkRecordsReport(b *testing.B) {
	e := newEnv(b)
	e.zeroRetention()
	const n = 2000
	for i := range n {
		e.capture(message(rileyAddr, danaAddr, fmt.Sprint("message ", i)))
	}
	if _, err := e.svc.CreateHold(e.ctx, "counsel", &steward.Hold{Name: "h", Reason: "r", Owner: e.carla.ID,
		Custodians: []string{e.dana.ID}, Conversations: []string{"none"}}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		rep, err := e.svc.Report(e.ctx, recordkeeping.ReportQuery{Action: steward.DispositionDestroy})
		if err != nil || rep.Evaluated != n {
			b.Fatalf("%+v %v", rep, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/record")
}
