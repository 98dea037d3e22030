package ledger_test

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/gitrepo"
	"github.com/cvetrail/cvetrail/internal/ledger"
	"github.com/cvetrail/cvetrail/internal/report"
)

var (
	_ ledger.TreeReader   = (*gitrepo.Repo)(nil)
	_ ledger.TreeStreamer = (*gitrepo.Repo)(nil)
)

// readerOnly hides StreamFiles, to exercise LoadRev's one-file-at-a-time
// path against the same repository.
type readerOnly struct{ r *gitrepo.Repo }

func (o readerOnly) ListFiles(ctx context.Context, rev, dir string) ([]string, error) {
	return o.r.ListFiles(ctx, rev, dir)
}

func (o readerOnly) ReadFile(ctx context.Context, rev, path string) ([]byte, error) {
	return o.r.ReadFile(ctx, rev, path)
}

func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestLoadRevFromGit(t *testing.T) {
	home := t.TempDir()
	for k, v := range map[string]string{
		"HOME": home, "XDG_CONFIG_HOME": home, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": filepath.Join(home, "gitconfig"),
		"GIT_AUTHOR_NAME": "Alice", "GIT_AUTHOR_EMAIL": "alice@example.com", "GIT_AUTHOR_DATE": "2026-03-01T10:00:00Z",
		"GIT_COMMITTER_NAME": "cvetrail", "GIT_COMMITTER_EMAIL": "cvetrail@example.com", "GIT_COMMITTER_DATE": "2026-03-01T10:00:00Z",
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	dir := t.TempDir()
	repo, err := gitrepo.Init(ctx, dir, "main")
	if err != nil {
		t.Fatal(err)
	}
	gitRun(t, dir, "commit", "--quiet", "--allow-empty", "-m", "empty")

	day1 := mkReport("registry.example.com/team/app:1.2", "CVE-2024-0001", "CVE-2024-0002")
	other := mkReport("alpine:3.19")
	s := ledger.Store{Root: repo.Dir}
	if _, err := s.WriteAll(ctx, []*report.Report{day1, other}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo.Dir, filepath.FromSlash(ledger.DecisionsFile)), []byte("[]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitRun(t, dir, "add", "cvetrail")
	gitRun(t, dir, "commit", "--quiet", "-m", "day 1")

	// The working tree moves on; the revision keeps day 1.
	day2 := mkReport("registry.example.com/team/app:1.2", "CVE-2024-0002", "CVE-2025-1111")
	if _, err := s.WriteAll(ctx, []*report.Report{day2}); err != nil {
		t.Fatal(err)
	}

	day1.SchemaVersion, other.SchemaVersion = report.SchemaVersion, report.SchemaVersion
	want := map[string]*report.Report{day1.Image: day1, other.Image: other}
	for name, tr := range map[string]ledger.TreeReader{"streaming": repo, "file by file": readerOnly{repo}} {
		got, err := ledger.LoadRev(ctx, tr, "HEAD")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: LoadRev(HEAD) (-want +got):\n%s", name, diff)
		}
		empty, err := ledger.LoadRev(ctx, tr, "HEAD~1")
		if err != nil || len(empty) != 0 {
			t.Errorf("%s: LoadRev at a commit without cvetrail/ = %v, %v; want empty", name, empty, err)
		}
		if _, err := ledger.LoadRev(ctx, tr, "no-such-branch"); !errors.Is(err, gitrepo.ErrNotFound) {
			t.Errorf("%s: LoadRev at a missing revision: %v, want ErrNotFound", name, err)
		}
	}

	// A broken ledger at a revision: the error names the revision, file
	// and line.
	p, _ := ledger.Path(other.Image)
	f, err := os.OpenFile(filepath.Join(repo.Dir, filepath.FromSlash(p)), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "{broken\n")
	f.Close()
	gitRun(t, dir, "commit", "--quiet", "-am", "broken")
	for name, tr := range map[string]ledger.TreeReader{"streaming": repo, "file by file": readerOnly{repo}} {
		_, err := ledger.LoadRev(ctx, tr, "main")
		if err == nil || !strings.Contains(err.Error(), "main") || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%s: LoadRev of a broken ledger: %v", name, err)
		}
	}
}

func mkReport(image string, ids ...string) *report.Report {
	r := &report.Report{Header: report.Header{Image: image}}
	for _, id := range ids {
		r.Findings = append(r.Findings, report.Finding{ID: id, Type: "apk", Pkg: "musl", FixState: report.FixUnknown, Severity: report.High})
	}
	r.Normalize()
	return r
}
