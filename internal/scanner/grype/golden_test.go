package grype

import (
	"bytes"
	"flag"
	"github.com/cvetrail/cvetrail/internal/fixtures"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cvetrail/cvetrail/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixturesDir is where the shared scanner fixtures are.
var fixturesDir = fixtures.Dir

func grypeFixtures(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixturesDir(t), "grype", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no Grype fixtures in %s (set CVETRAIL_FIXTURES)", fixturesDir(t))
	}
	return files
}

// TestGolden parses every Grype fixture. A report is compared with
// testdata/golden/NAME.jsonl (its ledger encoding followed by its scan
// information and warnings as comment lines); a fixture that must fail is
// compared with testdata/golden/NAME.err.
func TestGolden(t *testing.T) {
	for _, path := range grypeFixtures(t) {
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rep, err := Parse(f, Options{})
			var got []byte
			golden := filepath.Join("testdata", "golden", name)
			if err != nil {
				if rep != nil {
					t.Errorf("Parse returned a report with the error %v", err)
				}
				golden += ".err"
				got = []byte(err.Error() + "\n")
			} else {
				golden += ".jsonl"
				got = renderReport(t, rep)
			}
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the parse of %s:\n--- got\n%s--- want\n%s", golden, path, got, want)
			}
		})
	}
}

// renderReport is the ledger encoding of rep, plus its volatile parts as
// "#"-prefixed lines.
func renderReport(t *testing.T, rep *report.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := report.Encode(&b, rep); err != nil {
		t.Fatal(err)
	}
	s := rep.Scan
	b.WriteString("# scanner=" + s.Scanner + " version=" + s.ScannerVersion + " db=" + s.DBVersion +
		" updated=" + s.DBUpdated + " artifact=" + s.Artifact + " format=" + s.Format + "\n")
	for _, w := range rep.Warnings {
		b.WriteString("# warning: " + w + "\n")
	}
	return b.Bytes()
}

// TestTarFixtureIsAnError checks the docker-archive tar fixture, named like
// a JSON report, is refused as invalid JSON rather than read as a report.
func TestTarFixtureIsAnError(t *testing.T) {
	path := filepath.Join(fixturesDir(t), "grype", "anchore-fixture-image-simple.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := Parse(f, Options{})
	if err == nil || rep != nil {
		t.Fatalf("Parse(tar) = %v, %v; want an error and no report", rep, err)
	}
	if !strings.Contains(err.Error(), "invalid JSON") {
		t.Errorf("error %q does not say the input is not JSON", err)
	}
}
