package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
// over many prefetch batches, give what comparing them in memory gives.
func TestDiffLedgerFilesStreamed(t *testing.T) {
	dir := t.TempDir()
	oldP, newP := filepath.Join(dir, "old.jsonl"), filepath.Join(dir, "new.jsonl")
	st, err := bench.WriteLedgerPairFiles(context.Background(), oldP, newP,
		bench.LedgerPairOptions{Findings: 5*prefetchBatch + 17, New: 0.1, Resolved: 0.1, Changed: 0.1, Seed: 9, Image: "app"})
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
// (after several prefetched batches) is an input error naming the file
// and the line.
func TestDiffLedgerFilesBad(t *testing.T) {
	dir := t.TempDir()
	oldP, newP := filepath.Join(dir, "old.jsonl"), filepath.Join(dir, "new.jsonl")
	if _, err := bench.WriteLedgerPairFiles(context.Background(), oldP, newP, bench.LedgerPairOptions{Findings: 4 * prefetchBatch, Seed: 1, Image: "app"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(newP)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	const bad = 3*prefetchBatch + 5 // 0-based line index
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

// TestPrefetchCancel checks that a cancelled comparison stops the reading
// goroutine and says so.
func TestPrefetchCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	src := &endless{}
	p := prefetch(ctx, src)
	var f report.Finding
	for range 3 * prefetchBatch {
		if err := p.Next(&f); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	var err error
	for err == nil {
		err = p.Next(&f)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	p.wait()
}

// TestPrefetchOrder checks that findings come out in order, and the
// error that ended the source after them.
func TestPrefetchOrder(t *testing.T) {
	src := &endless{limit: 2*prefetchBatch + 3, err: errors.New("disk on fire")}
	p := prefetch(context.Background(), src)
	var f report.Finding
	for i := range src.limit {
		if err := p.Next(&f); err != nil {
			t.Fatalf("finding %d: %v", i, err)
		}
		if f.Versions[0] != itoa(i) {
			t.Fatalf("finding %d is %s", i, f.Versions[0])
		}
	}
	if err := p.Next(&f); err != src.err {
		t.Errorf("error %v, want %v", err, src.err)
	}
	if err := p.Next(&f); err != src.err {
		t.Errorf("second error %v, want %v", err, src.err)
	}
	p.wait()
}

type endless struct {
	n, limit int
	err      error
}

func (e *endless) Header() report.Header { return report.Header{Image: "x"} }

func (e *endless) Next(f *report.Finding) error {
	if e.limit > 0 && e.n == e.limit {
		return e.err
	}
	*f = report.Finding{ID: "CVE-1", Type: "deb", Pkg: "p", Versions: []string{itoa(e.n)}}
	e.n++
	return nil
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
