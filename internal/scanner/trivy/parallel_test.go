package trivy

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
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
	inputs := map[string][]byte{"generated": gen.Bytes(), "as Trivy writes it": realReport(t, 2<<20)}
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
	made, rewound := spanCount.made.Load(), spanCount.rewound.Load()
	defer func() {
		// Trivy's indentation lets nearly every batch be a span; damaged
		// copies make some fail and be read again.
		made, rewound = spanCount.made.Load()-made, spanCount.rewound.Load()-rewound
		t.Logf("%d spans, %d rewinds", made, rewound)
		if made < 100 || rewound == 0 {
			t.Errorf("%d spans made and %d rewinds: the spans were not tried, or never failed", made, rewound)
		}
	}()
	for name, b := range inputs {
		want := parseIn(t, modes[0], b)
		for _, m := range batched {
			if got := parseIn(t, m, b); got != want {
				t.Errorf("%s, %s: %.300s\nsequential: %.300s", name, m.name, got, want)
			}
		}
	}
}

// TestSpanGuesses checks the spans on text indented as Trivy indents it,
// with what can fool the guess at where an element ends: nested arrays of
// objects indented like the elements, a compact element, a score that
// gives a warning naming its vulnerability, and a damaged element. Each
// must read exactly as on one goroutine.
func TestSpanGuesses(t *testing.T) {
	vuln := func(i int, extra string) string {
		return fmt.Sprintf(`        {
          "VulnerabilityID": "CVE-2024-%d",
          "PkgName": "pkg%d",
          "InstalledVersion": "1.0",
          "Severity": "HIGH",%s
          "Title": "title %d"
        }`, i, i%7, extra, i)
	}
	nested := `
          "X": [
        {
          "a": 1
        },
        {
          "b": 2
        }
          ],`
	build := func(odd map[int]string) []byte {
		var b bytes.Buffer
		b.WriteString("{\n  \"SchemaVersion\": 2,\n  \"ArtifactName\": \"app\",\n  \"Results\": [\n")
		for r := range 3 {
			if r > 0 {
				b.WriteString(",\n")
			}
			fmt.Fprintf(&b, "    {\n      \"Target\": \"app (debian 12.1)\",\n      \"Class\": \"os-pkgs\",\n      \"Type\": \"debian\",\n      \"Vulnerabilities\": [\n")
			for i := range 60 {
				if i > 0 {
					b.WriteString(",\n")
				}
				n := 100*r + i
				if e, ok := odd[n]; ok {
					b.WriteString(vuln(n, e))
				} else {
					b.WriteString(vuln(n, ""))
				}
			}
			b.WriteString("\n      ]\n    }")
		}
		b.WriteString("\n  ]\n}\n")
		return b.Bytes()
	}
	cases := map[string]map[int]string{
		"plain":           {},
		"nested arrays":   {5: nested, 17: nested, 130: nested},
		"warnings":        {3: "\n          \"CVSS\": {\"nvd\": {\"V3Score\": 11}},", 44: "\n          \"CVSS\": {\"nvd\": {\"V3Score\": -1}},", 210: "\n          \"CVSS\": {\"nvd\": {\"V3Score\": 12}},"},
		"damaged element": {30: "\n          \"Severity\": HIGH,"},
		"both":            {5: nested, 40: "\n          \"CVSS\": {\"nvd\": {\"V3Score\": 11}},", 41: nested},
	}
	made, rewound := spanCount.made.Load(), spanCount.rewound.Load()
	for name, odd := range cases {
		in := build(odd)
		if !validJSON(in) != (name == "damaged element") {
			t.Fatalf("%s: the input is not what the case means", name)
		}
		want := parseIn(t, modes[0], in)
		if name == "warnings" && !strings.Contains(want, `vulnerability 45 (CVE-2024-44): CVSS.nvd.V3Score -1`) {
			t.Fatalf("no warning naming vulnerability 45: %s", want[strings.LastIndex(want, "warnings:"):])
		}
		for _, m := range []mode{{"one element a span", 2, 1, 0}, {"spans of 1 KB", 3, 1 << 10, 0}, {"from 4 KB", 2, 700, 4 << 10}} {
			if got := parseIn(t, m, in); got != want {
				t.Errorf("%s, %s:\n%.600s\nsequential:\n%.600s", name, m.name, got, want)
			}
		}
	}
	if made, rewound = spanCount.made.Load()-made, spanCount.rewound.Load()-rewound; made < 100 || rewound < 5 {
		t.Errorf("%d spans and %d rewinds: the guesses were not tested", made, rewound)
	}
}

// TestSetTypesFirstError checks that when findings of two results cannot
// be typed, the error is about the first, however the work is split.
func TestSetTypesFirstError(t *testing.T) {
	defer func(n int) { parallelTypes = n }(parallelTypes)
	var b strings.Builder
	b.WriteString("[")
	for r, target := range []string{"app (debian 12.1)", "mystery", "app (debian 12.1)", "unknown"} {
		if r > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"Target": %q, "Vulnerabilities": [`, target)
		for i := range 50 {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"VulnerabilityID": "CVE-2024-%d", "PkgName": "p%d"}`, 100*r+i, i)
		}
		b.WriteString("]}")
	}
	b.WriteString("]")
	in := []byte(b.String())
	var want string
	for _, n := range []int{1 << 30, 1, 7, 60} {
		parallelTypes = n
		got := parseIn(t, modes[0], in)
		if !strings.Contains(got, `result 2 ("mystery"), vulnerability 1 (CVE-2024-100)`) || !strings.Contains(got, "cannot tell what kind of package") {
			t.Fatalf("parallelTypes %d: %s", n, got)
		}
		if want == "" {
			want = got
		} else if got != want {
			t.Fatalf("parallelTypes %d: %s\nwant %s", n, got, want)
		}
	}
}
