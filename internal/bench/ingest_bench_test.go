package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/scanner"
)

// BenchmarkIngest measures what `cvetrail scan --from` does with a Trivy
// report: sniff, parse, normalize and encode the ledger, per MB (the
// MB/s column) and per finding.
func BenchmarkIngest(b *testing.B) {
	for _, size := range []int64{1e6, 10e6, 50e6} {
		var buf bytes.Buffer
		st, err := WriteTrivy(context.Background(), &buf, TrivyOptions{Size: size, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		data := buf.Bytes()
		b.Run(fmt.Sprintf("%dMB", size/1e6), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			cpu := CPUTime()
			for b.Loop() {
				r, err := scanner.Parse(bytes.NewReader(data), scanner.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if len(r.Findings) != st.Findings {
					b.Fatalf("%d findings, want %d", len(r.Findings), st.Findings)
				}
				if err := report.Encode(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
			ReportCPU(b, b.N, cpu, st.Findings, int64(len(data)))
		})
	}
}
