package transfer_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/steward-gov/steward/internal/steward"
	"github.com/steward-gov/steward/internal/transfer"
)

// BenchmarkBuild writes a package of 2,000 messages in 20 conversations,
// one in ten with a 64 KiB attachment, and reports records/s.
func BenchmarkBuild(b *testing.B) {
	e := newEnv(b)
	att := make([]byte, 64<<10)
	var ids []string
	for i := range 2000 {
		to := fmt.Sprintf("+1415555%04d", i%20)
		it := msg(fmt.Sprintf("steward:b%d", i), steward.DirOutbound, danaAddr, to, fmt.Sprintf("message %d of the benchmark, with some words", i))
		if i%10 == 0 {
			it.Attachments = []steward.Attachment{{Filename: "scan.pdf", ContentType: "application/pdf", Data: att}}
		}
		ids = append(ids, e.capture(it).Ref.ID)
	}
	var records int
	b.ResetTimer()
	for i := range b.N {
		m, err := transfer.Build(e.ctx, e.deps(), ids, filepath.Join(b.TempDir(), fmt.Sprint("p", i)), nil)
		if err != nil {
			b.Fatal(err)
		}
		records += len(m.Records)
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
