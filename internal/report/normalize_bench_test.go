package report_test

import (
	"bytes"
	"testing"

	"github.com/cvetrail/cvetrail/internal/bench"
	"github.com/cvetrail/cvetrail/internal/report"
)

// BenchmarkNormalize normalizes the findings of a generated ledger in a
// scrambled order, as a scanner report arrives, per finding.
func BenchmarkNormalize(b *testing.B) {
	const n = 100_000
	r, err := report.Decode(bytes.NewReader(ledgerBytes(b, n)))
	if err != nil {
		b.Fatal(err)
	}
	// A fixed scramble: a scanner orders findings by target and package.
	scrambled := make([]report.Finding, n)
	for i := range scrambled {
		scrambled[i] = r.Findings[(i*7919)%n]
	}
	work := &report.Report{Header: r.Header}
	b.ReportAllocs()
	cpu := bench.CPUTime()
	for b.Loop() {
		work.Findings = append(work.Findings[:0], scrambled...)
		work.Normalize()
		if len(work.Findings) != n {
			b.Fatalf("%d findings after Normalize, want %d", len(work.Findings), n)
		}
	}
	bench.ReportCPU(b, b.N, cpu, n, 0)
}
