package report_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/cvetrail/cvetrail/internal/bench"
	"github.com/cvetrail/cvetrail/internal/report"
)

// ledgerBytes returns a generated ledger of n findings.
func ledgerBytes(b *testing.B, n int) []byte {
	b.Helper()
	var old bytes.Buffer
	if _, err := bench.WriteLedgerPair(context.Background(), &old, io.Discard, bench.LedgerPairOptions{Findings: n, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	return old.Bytes()
}

// BenchmarkDecode streams a ledger through a Decoder, as cvetrail diff
// does, per MB (MB/s) and per finding.
func BenchmarkDecode(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		data := ledgerBytes(b, n)
		b.Run(fmt.Sprintf("findings=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			cpu := bench.CPUTime()
			for b.Loop() {
				d, err := report.NewDecoder(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				var f report.Finding
				got := 0
				for {
					err := d.Next(&f)
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					got++
				}
				if got != n {
					b.Fatalf("decoded %d findings, want %d", got, n)
				}
			}
			bench.ReportCPU(b, b.N, cpu, n, int64(len(data)))
		})
	}
}

// BenchmarkDecodeAll reads a whole ledger into memory, as Store.Load
// does.
func BenchmarkDecodeAll(b *testing.B) {
	const n = 100_000
	data := ledgerBytes(b, n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu := bench.CPUTime()
	for b.Loop() {
		r, err := report.Decode(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Findings) != n {
			b.Fatalf("decoded %d findings, want %d", len(r.Findings), n)
		}
	}
	bench.ReportCPU(b, b.N, cpu, n, int64(len(data)))
}

// BenchmarkEncode writes a ledger, as cvetrail scan does.
func BenchmarkEncode(b *testing.B) {
	const n = 100_000
	data := ledgerBytes(b, n)
	r, err := report.Decode(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	out.Grow(len(data))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu := bench.CPUTime()
	for b.Loop() {
		out.Reset()
		if err := report.Encode(&out, r); err != nil {
			b.Fatal(err)
		}
	}
	if !bytes.Equal(out.Bytes(), data) {
		b.Fatal("Encode did not reproduce the generated ledger")
	}
	bench.ReportCPU(b, b.N, cpu, n, int64(len(data)))
}
