package trivy

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cvetrail/cvetrail/internal/report"
)

// parseIn parses b in mode m and returns the ledger or the error.
func parseIn(t *testing.T, m mode, b []byte) string {
	t.Helper()
	var r *report.Report
	var err error
	inMode(m, func() { r, err = Parse(bytes.NewReader(b), Options{}) })
	if err != nil {
		return "error: " + err.Error()
	}
	var out bytes.Buffer
	if err := report.Encode(&out, r); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&out, "warnings: %q\n", r.Warnings)
	return out.String()
}

// TestBatchedMatchesSequential checks that reading with workers gives what
// reading on one goroutine gives, report, warnings and errors alike.
func TestBatchedMatchesSequential(t *testing.T) {
	var gen bytes.Buffer
	if err := genReport(&gen, 2<<20, 7); err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]byte{"generated": gen.Bytes()}
	for _, name := range []string{"debian-buster.schema2-2021.json", "fluentd-gems.json"} {
		inputs[name] = readFixture(t, name)
	}
	// Damaged copies: cut short, or with one byte changed.
	rng := rand.New(rand.NewPCG(1, 2))
	base := gen.Bytes()
	for i := range 40 {
		at := rng.IntN(len(base))
		inputs[fmt.Sprintf("cut at %d", at)] = base[:at]
		b := bytes.Clone(base)
		b[at] = `"{}[],:\x00 x\\`[i%12]
		inputs[fmt.Sprintf("byte %d is %q", at, b[at])] = b
	}
	// Two errors a few vulnerabilities apart: the first must be the one
	// reported, however far the workers got.
	scores := bytes.Split(base, []byte(`"V3Score": `))
	for i := range 10 {
		k := 1 + rng.IntN(len(scores)-5)
		parts := slices.Clone(scores)
		for _, j := range []int{k, k + 1 + rng.IntN(3)} {
			p := bytes.Clone(parts[j])
			p[bytes.IndexAny(p, ",\n")] = '/' // after the score
			parts[j] = p
		}
		inputs[fmt.Sprintf("two errors, %d", i)] = bytes.Join(parts, []byte(`"V3Score": `))
	}
	batched := []mode{{"batched", 2, 64 << 10, 0}, {"tiny batches", 3, 1, 0}, {"batched from 1 MB", 2, 64 << 10, 1 << 20}}
	for name, b := range inputs {
		want := parseIn(t, modes[0], b)
		for _, m := range batched {
			if got := parseIn(t, m, b); got != want {
				t.Errorf("%s, %s: %.300s\nsequential: %.300s", name, m.name, got, want)
			}
		}
	}
}
