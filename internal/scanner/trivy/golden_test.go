package trivy

import (
	"bytes"
	"flag"
	"github.com/cvetrail/cvetrail/internal/fixtures"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixturesDir is where the shared scanner fixtures are.
var fixturesDir = fixtures.Dir

// trivyFixtures returns the paths of the Trivy fixtures.
func trivyFixtures(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixturesDir(t), "trivy", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no Trivy fixtures in %s (set CVETRAIL_FIXTURES)", fixturesDir(t))
	}
	return files
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixturesDir(t), "trivy", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// encode parses b and returns the ledger encoding of the report, with the
// image set when the input has none.
func encode(t testing.TB, b []byte, opts Options) ([]byte, *report.Report) {
	t.Helper()
	r, err := Parse(bytes.NewReader(b), opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var out bytes.Buffer
	if err := report.Encode(&out, r); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return out.Bytes(), r
}

func TestGolden(t *testing.T) {
	for _, path := range trivyFixtures(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, r := encode(t, b, Options{})
			if len(r.Findings) == 0 {
				t.Errorf("no findings")
			}
			golden := filepath.Join("testdata", "golden", name+".jsonl")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("ledger differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}
