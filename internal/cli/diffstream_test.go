package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cvetrail/cvetrail/internal/bench"
	"github.com/cvetrail/cvetrail/internal/diff"
	"github.com/cvetrail/cvetrail/internal/render"
	"github.com/cvetrail/cvetrail/internal/report"
)

// diffFiles runs 'cvetrail diff OLD NEW --format json' in dir.
func diffFiles(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), append([]string{"diff"}, args...), Env{Stdout: &out, Stderr: &errb, Dir: dir,
		Now: func() time.Time { return time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC) }})
	return code, out.String(), errb.String()
}

// TestDiffLedgerFilesStreamed checks that two ledgers compared as streams,
// over many thousand lines, give what comparing them in memory gives.
func TestDiffLedgerFilesStreamed(t *testing.T) {
	dir := t.TempDir()
	oldP, newP := filepath.Join(dir, "old.jsonl"), filepath.Join(dir, "new.jsonl")
	st, err := bench.WriteLedgerPairFiles(context.Background(), oldP, newP,
		bench.LedgerPairOptions{Findings: 5*2048 + 17, New: 0.1, Resolved: 0.1, Changed: 0.1, Seed: 9, Image: "app"})
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := diffFiles(t, dir, "old.jsonl", "new.jsonl", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct{ Summary map[string]int }
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"new": st.Added, "resolved": st.Resolved, "updated": st.Updated, "fix-available": st.FixAvailable, "severity-changed": st.Severity}
	for k, n := range want {
		if got.Summary[k] != n {
			t.Errorf("%s: %d, want %d", k, got.Summary[k], n)
		}
	}

	// The same as a comparison of the ledgers loaded whole.
	load := func(p string) *report.Report {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r, err := report.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	res, err := diff.Compare(map[string]*report.Report{"app": load(oldP)}, map[string]*report.Report{"app": load(newP)}, nil, diff.Policy{}, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var inMemory bytes.Buffer
	if err := writeDiff(&inMemory, res, "json", render.Meta{}); err != nil {
		t.Fatal(err)
	}
	if inMemory.String() != out {
		t.Error("the streamed diff differs from the diff of the ledgers loaded whole")
	}
}

// TestDiffLedgerFilesBad checks that a ledger that goes bad deep inside
// (thousands of lines in) is an input error naming the file
// and the line.
func TestDiffLedgerFilesBad(t *testing.T) {
	dir := t.TempDir()
	oldP, newP := filepath.Join(dir, "old.jsonl"), filepath.Join(dir, "new.jsonl")
	if _, err := bench.WriteLedgerPairFiles(context.Background(), oldP, newP, bench.LedgerPairOptions{Findings: 4 * 2048, Seed: 1, Image: "app"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(newP)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	const bad = 3*2048 + 5 // 0-based line index
	lines[bad] = "{\"id\":\n"
	if err := os.WriteFile(newP, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := diffFiles(t, dir, "old.jsonl", "new.jsonl")
	if code != ExitUsage {
		t.Fatalf("exit %d, want %d: %s", code, ExitUsage, errs)
	}
	if want := "cvetrail: error: " + newP + ": line 6150: unexpected EOF"; !strings.HasPrefix(errs, want) {
		t.Errorf("stderr %q, want it to start with %q", errs, want)
	}
}

// TestDiffLedgerFilesDecisions: findings skipped undecoded because their
// lines are identical must still show when a decision names them (an
// expired decision on an unchanged finding), and the streamed result must
// equal the comparison of the ledgers loaded whole, decisions included.
func TestDiffLedgerFilesDecisions(t *testing.T) {
	dir := t.TempDir()
	oldP, newP := filepath.Join(dir, "old.jsonl"), filepath.Join(dir, "new.jsonl")
	if _, err := bench.WriteLedgerPairFiles(context.Background(), oldP, newP,
		bench.LedgerPairOptions{Findings: 3000, New: 0.1, Resolved: 0.1, Changed: 0.1, Seed: 4, Image: "app"}); err != nil {
		t.Fatal(err)
	}
	load := func(p string) *report.Report {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r, err := report.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	oldR, newR := load(oldP), load(newP)
	// An unchanged finding (same line in both), and one found by an alias.
	inNew := map[report.Key]report.Finding{}
	for _, f := range newR.Findings {
		inNew[f.Key()] = f
	}
	var unchanged []report.Finding
	for _, f := range oldR.Findings {
		if g, ok := inNew[f.Key()]; ok && reflectEqual(f, g) {
			unchanged = append(unchanged, f)
		}
	}
	if len(unchanged) < 2 {
		t.Fatalf("only %d unchanged findings generated", len(unchanged))
	}
	a, b := unchanged[0], unchanged[len(unchanged)/2]
	yaml := "schemaVersion: 1\ndecisions:\n" +
		"  - id: " + strings.ToLower(a.ID) + "\n    status: accepted\n    reason: expired long ago\n    severity: CRITICAL\n    expires: 2025-01-01\n" +
		"  - id: " + b.ID + "\n    status: accepted\n    reason: decided below its severity\n    severity: UNKNOWN\n"
	if err := os.MkdirAll(filepath.Join(dir, "cvetrail"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cvetrail", "decisions.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := diffFiles(t, dir, "old.jsonl", "new.jsonl", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{`"class": "expired",` + "\n          \"id\": \"" + a.ID + `"`, `"id": "` + b.ID + `"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the diff lacks %q", want)
		}
	}
	dec, err := loadDecisions(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := diff.Compare(map[string]*report.Report{"app": oldR}, map[string]*report.Report{"app": newR}, dec, diff.Policy{}, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var inMemory bytes.Buffer
	if err := writeDiff(&inMemory, withoutStale(res), "json", render.Meta{}); err != nil {
		t.Fatal(err)
	}
	if inMemory.String() != out {
		t.Error("the streamed diff with decisions differs from the diff of the ledgers loaded whole")
	}
}

func reflectEqual(a, b report.Finding) bool {
	var x, y bytes.Buffer
	_ = json.NewEncoder(&x).Encode(a)
	_ = json.NewEncoder(&y).Encode(b)
	return x.String() == y.String()
}
