package triage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cvetrail/cvetrail/internal/gitrepo"
	"github.com/cvetrail/cvetrail/internal/report"
)

// fakeBlamer answers with fixed lines and records the paths asked for.
type fakeBlamer struct {
	lines []BlameLine
	err   error
	paths []string
}

func (b *fakeBlamer) Blame(_ context.Context, path string) ([]BlameLine, error) {
	b.paths = append(b.paths, path)
	return b.lines, b.err
}

func TestProvenanceFake(t *testing.T) {
	t1 := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	t2 := time.Date(2026, 2, 20, 9, 0, 0, 0, time.UTC)
	alice := func(n int) BlameLine {
		return BlameLine{Line: n, Commit: "aaaa", Author: "Alice", AuthorEmail: "alice@example.com", AuthorTime: t1}
	}
	bob := func(n int) BlameLine {
		return BlameLine{Line: n, Commit: "bbbb", Author: "Bob", AuthorEmail: "bob@example.com", AuthorTime: t2}
	}
	zero := func(n int) BlameLine {
		return BlameLine{Line: n, Commit: strings.Repeat("0", 40), Author: "Not Committed Yet", AuthorTime: t2.Add(time.Hour)}
	}
	f := &File{Path: "cvetrail/decisions.yaml", Decisions: []Decision{
		{ID: "A", Line: 1, EndLine: 3},
		{ID: "B", Line: 4, EndLine: 6},
		{ID: "C", Line: 7, EndLine: 8},
		{ID: "D", Line: 9, EndLine: 10},
		{ID: "E"},                       // not from a file
		{ID: "F", Line: 11, EndLine: 0}, // end unknown: its first line counts
	}}
	b := &fakeBlamer{lines: []BlameLine{
		alice(1), alice(2), alice(3),
		alice(4), bob(5), alice(6),
		bob(7), zero(8),
		// 9 and 10 unknown to blame
		alice(11), bob(12),
	}}
	got, err := f.Provenance(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	want := []Provenance{
		{Author: "Alice", Email: "alice@example.com", Date: t1, Commit: "aaaa"},
		{Author: "Bob", Email: "bob@example.com", Date: t2, Commit: "bbbb"},
		{Author: "Bob", Email: "bob@example.com", Date: t2, Commit: "bbbb", Uncommitted: true},
		{Uncommitted: true},
		{Uncommitted: true},
		{Author: "Alice", Email: "alice@example.com", Date: t1, Commit: "aaaa"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Provenance (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"cvetrail/decisions.yaml"}, b.paths); diff != "" {
		t.Errorf("blamed paths (-want +got):\n%s", diff)
	}

	empty := &fakeBlamer{err: errors.New("must not be called")}
	if got, err := (&File{Path: "x"}).Provenance(context.Background(), empty); err != nil || len(got) != 0 || len(empty.paths) != 0 {
		t.Errorf("Provenance of no decisions = %v, %v, calls %v; want nothing and no call", got, err, empty.paths)
	}
	untracked := &fakeBlamer{err: fmt.Errorf("blaming x: %w", fs.ErrNotExist)}
	if got, err := f.Provenance(context.Background(), untracked); err != nil || len(got) != len(f.Decisions) || !got[0].Uncommitted || got[0].Author != "" {
		t.Errorf("Provenance of a file not in history = %+v, %v; want every decision uncommitted", got, err)
	}
	failing := &fakeBlamer{err: errors.New("fatal: no such path")}
	if _, err := f.Provenance(context.Background(), failing); err == nil || !strings.Contains(err.Error(), "blaming cvetrail/decisions.yaml: fatal: no such path") {
		t.Errorf("Provenance with a failing blame = %v", err)
	}
}

// gitRun runs git in dir with a fixed identity and date, isolated from the
// user's configuration.
func gitRun(t *testing.T, dir, who, date string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	email := strings.ToLower(who) + "@example.com"
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir,
		"GIT_AUTHOR_NAME="+who, "GIT_AUTHOR_EMAIL="+email, "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME="+who, "GIT_COMMITTER_EMAIL="+email, "GIT_COMMITTER_DATE="+date,
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// repoBlamer adapts gitrepo's blame of the working tree to Blamer, as the
// command line does.
type repoBlamer struct{ repo *gitrepo.Repo }

func (b repoBlamer) Blame(ctx context.Context, path string) ([]BlameLine, error) {
	lines, err := b.repo.BlameWorktree(ctx, path)
	if err != nil {
		return nil, err
	}
	out := make([]BlameLine, len(lines))
	for i, l := range lines {
		out[i] = BlameLine{Line: l.Line, Commit: l.Commit, Author: l.Author, AuthorEmail: l.AuthorEmail, AuthorTime: l.AuthorTime}
	}
	return out, nil
}

func TestProvenanceGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	rel := filepath.Join("cvetrail", "decisions.yaml")
	abs := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		t.Fatal(err)
	}
	gitRun(t, dir, "Alice", "2026-01-10T09:00:00Z", "init", "-q", "-b", "main")

	ack := func(d Decision) {
		t.Helper()
		data, err := os.ReadFile(abs)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		out, _, err := Upsert(rel, data, d)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(abs, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	commit := func(who, date string) {
		gitRun(t, dir, who, date, "add", rel)
		gitRun(t, dir, who, date, "commit", "-q", "-m", "Record decisions")
	}

	// Alice records two decisions; Bob later changes the second and adds a
	// third; a fourth is not committed yet.
	ack(Decision{ID: "CVE-2023-0001", Status: Accepted, Reason: "first", Severity: report.Low})
	ack(Decision{ID: "CVE-2023-0002", Status: Fixing, Reason: "second", Severity: report.High})
	ctx := context.Background()
	repo, err := gitrepo.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	repo.Env = []string{"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + dir}
	// Before the first commit nothing is attributed to anyone.
	f, err := LoadFile(abs)
	if err != nil {
		t.Fatal(err)
	}
	f.Path = rel
	gitRun(t, dir, "Alice", "2026-01-10T09:00:00Z", "commit", "-q", "--allow-empty", "-m", "Start")
	if got, err := f.Provenance(ctx, repoBlamer{repo}); err != nil || len(got) != 2 || !got[0].Uncommitted || !got[1].Uncommitted {
		t.Fatalf("Provenance of an untracked file = %+v, %v; want both uncommitted", got, err)
	}
	commit("Alice", "2026-01-10T09:00:00Z")
	ack(Decision{ID: "CVE-2023-0002", Reason: "second, revised", Severity: report.High})
	ack(Decision{ID: "CVE-2023-0003", Status: FalsePositive, Reason: "third", Severity: report.Medium})
	commit("Bob", "2026-02-20T15:30:00Z")
	ack(Decision{ID: "CVE-2023-0004", Status: UnderInvestigation, Reason: "fourth", Severity: report.Critical})

	f, err = LoadFile(abs)
	if err != nil {
		t.Fatal(err)
	}
	f.Path = rel // blame paths are relative to the repository
	got, err := f.Provenance(ctx, repoBlamer{repo})
	if err != nil {
		t.Fatal(err)
	}
	type who struct {
		Author, Email, Date string
		Uncommitted         bool
	}
	var gotWho []who
	for _, p := range got {
		w := who{Author: p.Author, Email: p.Email, Uncommitted: p.Uncommitted}
		if !p.Date.IsZero() {
			w.Date = p.Date.UTC().Format(time.RFC3339)
		}
		if p.Commit != "" && len(p.Commit) != 40 {
			t.Errorf("commit %q is not a full object id", p.Commit)
		}
		gotWho = append(gotWho, w)
	}
	want := []who{
		{"Alice", "alice@example.com", "2026-01-10T09:00:00Z", false},
		{"Bob", "bob@example.com", "2026-02-20T15:30:00Z", false},
		{"Bob", "bob@example.com", "2026-02-20T15:30:00Z", false},
		{"", "", "", true},
	}
	if diff := cmp.Diff(want, gotWho); diff != "" {
		t.Errorf("provenance (-want +got):\n%s", diff)
	}
}
