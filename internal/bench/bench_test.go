package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/ledger"
	"github.com/cvetrail/cvetrail/internal/report"
	"github.com/cvetrail/cvetrail/internal/scanner"
)

func trivyBytes(t *testing.T, o TrivyOptions) ([]byte, TrivyStats) {
	t.Helper()
	var b bytes.Buffer
	st, err := WriteTrivy(context.Background(), &b, o)
	if err != nil {
		t.Fatal(err)
	}
	if st.Bytes != int64(b.Len()) {
		t.Fatalf("stats say %d bytes, wrote %d", st.Bytes, b.Len())
	}
	return b.Bytes(), st
}

func TestTrivyDeterministic(t *testing.T) {
	a, _ := trivyBytes(t, TrivyOptions{Size: 300_000, Seed: 7})
	b, _ := trivyBytes(t, TrivyOptions{Size: 300_000, Seed: 7})
	if !bytes.Equal(a, b) {
		t.Fatal("the same seed gave different reports")
	}
	c, _ := trivyBytes(t, TrivyOptions{Size: 300_000, Seed: 8})
	if bytes.Equal(a, c) {
		t.Fatal("different seeds gave the same report")
	}
}

// TestTrivyParses checks that a generated report is what it claims: the
// requested size, valid JSON of Trivy's shape, and, parsed by cvetrail,
// the findings the generator counted.
func TestTrivyParses(t *testing.T) {
	for _, size := range []int64{0, 50_000, 2_000_000} {
		data, st := trivyBytes(t, TrivyOptions{Size: size, Seed: 3, Image: "registry.example/app:2"})
		if int64(len(data)) < size || int64(len(data)) > size+128<<10 {
			t.Errorf("size %d: wrote %d bytes", size, len(data))
		}
		var doc struct {
			SchemaVersion int
			ArtifactName  string
			Results       []struct {
				Target, Class, Type string
				Vulnerabilities     []map[string]any
			}
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("size %d: not JSON: %v", size, err)
		}
		vulns := 0
		for _, r := range doc.Results {
			vulns += len(r.Vulnerabilities)
			if len(r.Vulnerabilities) == 0 {
				t.Errorf("size %d: result %s has no vulnerabilities", size, r.Target)
			}
		}
		if doc.SchemaVersion != 2 || doc.ArtifactName != "registry.example/app:2" || len(doc.Results) != st.Results || vulns != st.Vulnerabilities {
			t.Errorf("size %d: schema %d, artifact %q, %d results, %d vulnerabilities; stats %+v", size, doc.SchemaVersion, doc.ArtifactName, len(doc.Results), vulns, st)
		}
		rep, err := scanner.Parse(bytes.NewReader(data), scanner.Options{})
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if len(rep.Findings) != st.Findings || rep.Image != "registry.example/app:2" || rep.Scan.Format != "trivy-schema2" {
			t.Errorf("size %d: parsed %d findings of %q as %s, want %d", size, len(rep.Findings), rep.Image, rep.Scan.Format, st.Findings)
		}
		if size > 1_000_000 && (st.Findings >= st.Vulnerabilities || st.Results < 5) {
			t.Errorf("size %d: want several results and merged duplicates, got %+v", size, st)
		}
		types := map[string]bool{}
		for _, f := range rep.Findings {
			types[f.Type] = true
		}
		if size > 1_000_000 && len(types) < 5 {
			t.Errorf("size %d: package types %v, want OS and language packages", size, types)
		}
	}
}

// TestTrivyFieldSizes checks the realism the benchmarks rely on:
// descriptions of a few hundred bytes, reference lists, CVSS and
// VendorSeverity maps, layers.
func TestTrivyFieldSizes(t *testing.T) {
	data, _ := trivyBytes(t, TrivyOptions{Size: 500_000, Seed: 1})
	var doc struct {
		Results []struct {
			Vulnerabilities []struct {
				Description    string
				References     []string
				CVSS           map[string]map[string]any
				VendorSeverity map[string]int
				Layer          struct{ DiffID string }
			}
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	n, desc, refs := 0, 0, 0
	for _, r := range doc.Results {
		for _, v := range r.Vulnerabilities {
			n++
			desc += len(v.Description)
			refs += len(v.References)
			if len(v.CVSS) == 0 || len(v.VendorSeverity) == 0 || !strings.HasPrefix(v.Layer.DiffID, "sha256:") {
				t.Fatalf("vulnerability without CVSS, VendorSeverity or layer: %+v", v)
			}
		}
	}
	if avg := desc / n; avg < 200 || avg > 900 {
		t.Errorf("descriptions average %d bytes, want a few hundred", avg)
	}
	if avg := float64(refs) / float64(n); avg < 3 {
		t.Errorf("%.1f references per vulnerability, want several", avg)
	}
}

func ledgerPair(t *testing.T, o LedgerPairOptions) (old, new []byte, st LedgerPairStats) {
	t.Helper()
	var a, b bytes.Buffer
	st, err := WriteLedgerPair(context.Background(), &a, &b, o)
	if err != nil {
		t.Fatal(err)
	}
	return a.Bytes(), b.Bytes(), st
}

// TestLedgerPair checks that the ledgers are valid, have the requested
// shares, and that cvetrail diff classifies them as the generator says.
func TestLedgerPair(t *testing.T) {
	o := LedgerPairOptions{Findings: 20_000, New: 0.1, Resolved: 0.05, Changed: 0.2, Seed: 4}
	oldB, newB, st := ledgerPair(t, o)
	if st.Old != 20_000 || st.Added != 2000 || st.Resolved != 1000 || st.Changed() != 4000 || st.New != 21_000 {
		t.Fatalf("stats %+v", st)
	}
	if st.Updated == 0 || st.FixAvailable == 0 || st.Severity == 0 {
		t.Errorf("want every kind of change, got %+v", st)
	}
	if st.OldBytes != int64(len(oldB)) || st.NewBytes != int64(len(newB)) {
		t.Errorf("stats say %d and %d bytes, wrote %d and %d", st.OldBytes, st.NewBytes, len(oldB), len(newB))
	}
	oldR, err := report.Decode(bytes.NewReader(oldB))
	if err != nil {
		t.Fatalf("old ledger: %v", err)
	}
	newR, err := report.Decode(bytes.NewReader(newB))
	if err != nil {
		t.Fatalf("new ledger: %v", err)
	}
	if len(oldR.Findings) != st.Old || len(newR.Findings) != st.New {
		t.Fatalf("decoded %d and %d findings, stats %+v", len(oldR.Findings), len(newR.Findings), st)
	}
	// The ledgers are canonical: normalizing changes nothing.
	var again bytes.Buffer
	newR.Normalize()
	if err := report.Encode(&again, newR); err != nil || !bytes.Equal(again.Bytes(), newB) {
		t.Fatalf("the new ledger is not canonical (%v)", err)
	}
	img := oldR.Image
	res, err := diff.Compare(map[string]*report.Report{img: oldR}, map[string]*report.Report{img: newR}, nil, diff.Policy{}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := map[diff.Class]int{diff.New: st.Added, diff.Resolved: st.Resolved, diff.Updated: st.Updated, diff.FixAvailable: st.FixAvailable, diff.SeverityChanged: st.Severity}
	for cl, n := range want {
		if res.Summary[cl] != n {
			t.Errorf("%s: diff says %d, generator %d (summary %v)", cl, res.Summary[cl], n, res.Summary)
		}
	}

	a, b, _ := ledgerPair(t, o)
	if !bytes.Equal(a, oldB) || !bytes.Equal(b, newB) {
		t.Error("the same seed gave different ledgers")
	}
	o.Seed++
	if a, _, _ := ledgerPair(t, o); bytes.Equal(a, oldB) {
		t.Error("different seeds gave the same ledger")
	}
}

func TestLedgerPairErrors(t *testing.T) {
	for _, o := range []LedgerPairOptions{
		{Findings: -1},
		{Findings: 10, New: -0.1},
		{Findings: 10, Resolved: 0.6, Changed: 0.6},
		{Findings: 10, Changed: 1.5},
	} {
		if _, err := WriteLedgerPair(context.Background(), &bytes.Buffer{}, &bytes.Buffer{}, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestWriteReports(t *testing.T) {
	dir := t.TempDir()
	st, err := WriteReports(context.Background(), dir, ReportsOptions{Count: 3, Size: 100_000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Files) != 3 {
		t.Fatalf("files %v", st.Files)
	}
	total := 0
	seen := map[string]bool{}
	for i, f := range st.Files {
		rep, err := scanner.ParseFile(f, scanner.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Image != ReportImage(i) || seen[rep.Image] {
			t.Errorf("%s names %q", f, rep.Image)
		}
		seen[rep.Image] = true
		total += len(rep.Findings)
	}
	if total != st.Findings {
		t.Errorf("parsed %d findings, stats say %d", total, st.Findings)
	}
	a, _ := os.ReadFile(st.Files[0])
	b, _ := os.ReadFile(st.Files[1])
	if bytes.Equal(a, b) {
		t.Error("two images have the same report")
	}
}

func TestWriteRepo(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	o := RepoOptions{Images: 4, Days: 5, Findings: 300, Churn: 0.05, Seed: 2}
	dirA := filepath.Join(t.TempDir(), "a")
	st, err := WriteRepo(context.Background(), dirA, o)
	if err != nil {
		t.Fatal(err)
	}
	dirB := filepath.Join(t.TempDir(), "b")
	st2, err := WriteRepo(context.Background(), dirB, o)
	if err != nil {
		t.Fatal(err)
	}
	if st.Commits != 5 || st.Head == "" || st.Head != st2.Head {
		t.Fatalf("stats %+v and %+v: want 5 commits and the same head twice", st, st2)
	}
	out, err := exec.Command("git", "-C", dirA, "log", "--format=%s", "--stat").CombinedOutput()
	if err != nil {
		t.Fatalf("git log: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "chore(cvetrail): vulnerability report"); n != 5 {
		t.Errorf("%d report commits in\n%s", n, out)
	}
	if !strings.Contains(string(out), "2026-01-05") {
		t.Errorf("no commit of the fifth day in\n%s", out)
	}
	reps, err := ledger.Store{Root: dirA}.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range reps {
		n += len(r.Findings)
	}
	if len(reps) != 4 || n != st.Findings {
		t.Errorf("%d ledgers with %d findings, stats %+v", len(reps), n, st)
	}
	cfg, err := os.ReadFile(filepath.Join(dirA, ledger.ConfigFile))
	if err != nil || !strings.Contains(string(cfg), "forge: none") {
		t.Errorf("cvetrail.yaml: %v\n%s", err, cfg)
	}
	if _, err := WriteRepo(context.Background(), dirA, o); err == nil {
		t.Error("no error for a directory that is not empty")
	}
}

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"100MB", 100_000_000, true}, {"1mb", 1_000_000, true}, {"1.5GB", 1_500_000_000, true},
		{"64KiB", 65536, true}, {"2MiB", 2 << 20, true}, {"1000", 1000, true}, {"10 KB", 10_000, true},
		{"", 0, false}, {"MB", 0, false}, {"-1MB", 0, false}, {"ten", 0, false}, {"1TB", 0, false},
	} {
		got, err := ParseSize(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}
