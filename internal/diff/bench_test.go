package diff

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/triage"
)

// genPair generates a base and a head list of n findings each, sorted by
// key, where a tenth of the head is new, a tenth of the base is resolved and
// a tenth changed its installed version.
func genPair(n int) (base, head []report.Finding) {
	types := []string{"deb", "deb", "deb", "pypi", "npm", "golang"}
	mk := func(id string, i int) report.Finding {
		f := report.Finding{
			ID:       id,
			Type:     types[i%len(types)],
			Pkg:      fmt.Sprintf("package-%d", i%997),
			Versions: []string{fmt.Sprintf("1.%d.%d-1", i%13, i%7)},
			FixState: report.NotFixed,
			Severity: report.Severity(i % 5),
			CVSS:     &report.CVSS{Score: float64(i%100) / 10, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Source: "nvd"},
			Title:    fmt.Sprintf("package-%d: a flaw in the parser allows a remote attacker to cause a denial of service (%d)", i%997, i),
			URL:      "https://avd.aquasec.com/nvd/" + id,
		}
		if i%3 == 0 {
			f.Fixed, f.FixState = []string{fmt.Sprintf("1.%d.%d-2", i%13, i%7)}, report.Fixed
		}
		if i%4 == 0 {
			f.Aliases = []string{fmt.Sprintf("GHSA-%04x-%04x-%04x", i%65536, (i/7)%65536, (i/13)%65536)}
		}
		return f
	}
	base = make([]report.Finding, 0, n)
	head = make([]report.Finding, 0, n)
	for i := 0; i < n; i++ {
		f := mk(fmt.Sprintf("CVE-2024-%07d", i), i)
		base = append(base, f)
		switch i % 10 {
		case 0: // resolved
		case 1: // changed
			g := f
			g.Versions = []string{f.Versions[0] + "+rebuild1"}
			head = append(head, g)
		case 2: // unchanged, followed by a new finding
			head = append(head, f, mk(fmt.Sprintf("CVE-2024-%07d-n", i), i+1))
		default:
			head = append(head, f)
		}
	}
	return base, head
}

func BenchmarkCompare(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("findings=%d", n), func(b *testing.B) {
			base, head := genPair(n)
			dec := decisions{}
			for i := 0; i < 200; i++ {
				dec = append(dec, triage.Decision{ID: fmt.Sprintf("CVE-2024-%07d", i*4999), Status: triage.Accepted, Severity: report.High})
			}
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				c := NewComparer(dec, Policy{}, day)
				if _, err := c.Add(img, SliceSource(report.Header{Image: img}, base), SliceSource(report.Header{Image: img}, head)); err != nil {
					b.Fatal(err)
				}
				if r := c.Result(); r.Summary[New] != n/10 || r.Summary[Resolved] != n/10 || r.Summary[Updated] != n/10 {
					b.Fatalf("summary %v", r.Summary)
				}
			}
			// On a shared machine wall time says little; the process's CPU
			// time (all goroutines, the collector's included) says more.
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkCompareLedgers compares two ledger files streamed through
// report.Decoder, as `cvetrail diff` does: decoding included, neither
// ledger held in memory.
func BenchmarkCompareLedgers(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("findings=%d", n), func(b *testing.B) {
			base, head := genPair(n)
			encode := func(fs []report.Finding) []byte {
				var buf bytes.Buffer
				if err := report.Encode(&buf, &report.Report{Header: report.Header{Image: img}, Findings: fs}); err != nil {
					b.Fatal(err)
				}
				return buf.Bytes()
			}
			baseFile, headFile := encode(base), encode(head)
			base, head = nil, nil
			b.ReportAllocs()
			b.SetBytes(int64(len(baseFile) + len(headFile)))
			cpu := cpuTime()
			for b.Loop() {
				bd, err := report.NewDecoder(bytes.NewReader(baseFile))
				if err != nil {
					b.Fatal(err)
				}
				hd, err := report.NewDecoder(bytes.NewReader(headFile))
				if err != nil {
					b.Fatal(err)
				}
				c := NewComparer(nil, Policy{}, day)
				if _, err := c.Add(img, bd, hd); err != nil {
					b.Fatal(err)
				}
				if r := c.Result(); r.Summary[New] != n/10 {
					b.Fatalf("summary %v", r.Summary)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}
