package diff_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cvetrail/cvetrail/internal/bench"
	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/report"
)

// BenchmarkDiffGeneratedLedgers compares two generated ledgers of one
// image (a tenth of the findings new, a tenth resolved, a tenth changed)
// streamed through report.Decoder, as 'cvetrail diff OLD NEW' does
// without the rendering: per finding and per MB of both ledgers. The
// million-finding case is skipped with -short.
func BenchmarkDiffGeneratedLedgers(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("findings=%d", n), func(b *testing.B) {
			if n > 100_000 && testing.Short() {
				b.Skip("-short")
			}
			var oldB, newB bytes.Buffer
			st, err := bench.WriteLedgerPair(context.Background(), &oldB, &newB, bench.LedgerPairOptions{Findings: n, New: 0.1, Resolved: 0.1, Changed: 0.1, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(oldB.Len() + newB.Len()))
			b.ReportAllocs()
			cpu := bench.CPUTime()
			for b.Loop() {
				bd, err := report.NewDecoder(bytes.NewReader(oldB.Bytes()))
				if err != nil {
					b.Fatal(err)
				}
				hd, err := report.NewDecoder(bytes.NewReader(newB.Bytes()))
				if err != nil {
					b.Fatal(err)
				}
				c := diff.NewComparer(nil, diff.Policy{}, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
				if _, err := c.Add(bd.Header().Image, bd, hd); err != nil {
					b.Fatal(err)
				}
				r := c.Result()
				if r.Summary[diff.New] != st.Added || r.Summary[diff.Resolved] != st.Resolved || r.Summary[diff.Updated] != st.Updated {
					b.Fatalf("summary %v, generated %+v", r.Summary, st)
				}
			}
			bench.ReportCPU(b, b.N, cpu, st.Old+st.New, int64(oldB.Len()+newB.Len()))
		})
	}
}
