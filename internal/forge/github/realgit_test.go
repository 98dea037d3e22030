package github_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cvetrail/cvetrail/internal/forge"
)

// gitEnv fixes identities and dates so commits are reproducible.
func gitEnv(home string) []string {
	return []string{
		"HOME=" + home, "XDG_CONFIG_HOME=" + home, "GIT_CONFIG_NOSYSTEM=1", "PATH=" + os.Getenv("PATH"),
		"GIT_AUTHOR_NAME=cvetrail", "GIT_AUTHOR_EMAIL=cvetrail@example.com", "GIT_AUTHOR_DATE=2026-03-01T06:00:00Z",
		"GIT_COMMITTER_NAME=cvetrail", "GIT_COMMITTER_EMAIL=cvetrail@example.com", "GIT_COMMITTER_DATE=2026-03-01T06:00:00Z",
	}
}

func runGit(t *testing.T, env []string, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

// TestAgainstRealBareRemote pushes the report branch to a real bare
// repository that backs the fake: day one needs review, day two is clean
// and merged into the remote's main, day three the report equals main and
// the branch is deleted on the remote.
func TestAgainstRealBareRemote(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	env := gitEnv(dir)
	remote, work := filepath.Join(dir, "remote.git"), filepath.Join(dir, "work")
	runGit(t, env, dir, "init", "-q", "--bare", "-b", "main", remote)
	runGit(t, env, dir, "init", "-q", "-b", "main", work)
	write := func(content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(work, "cvetrail"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, "cvetrail", "app.jsonl"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		runGit(t, env, work, "add", "-A")
		runGit(t, env, work, "commit", "-q", "-m", "cvetrail: report")
	}
	write("{\"id\":\"CVE-2025-0001\"}\n")
	runGit(t, env, work, "push", "-q", remote, "main")

	h := newHarness(t)
	h.fake.UseGitRepo(remote)
	if _, ok := h.fake.Branch(head); ok {
		t.Fatal("the fake kept a branch the remote does not have")
	}

	// Day 1: a new CVE.
	runGit(t, env, work, "switch", "-q", "-c", head)
	write("{\"id\":\"CVE-2025-0001\"}\n{\"id\":\"CVE-2026-0002\"}\n")
	runGit(t, env, work, "push", "-q", remote, head)
	day1 := runGit(t, env, work, "rev-parse", "HEAD")
	res := h.sync(request(true, forge.MergeAPI, day1))
	if !res.Created || h.onlyPR().HeadSHA != day1 {
		t.Fatalf("day 1: %+v", res)
	}

	// Day 2: it was acknowledged; the report commit fast-forwards.
	write("{\"id\":\"CVE-2025-0001\"}\n{\"id\":\"CVE-2026-0002\",\"ack\":true}\n")
	runGit(t, env, work, "push", "-q", "--force-with-lease="+head+":"+day1, remote, head)
	day2 := runGit(t, env, work, "rev-parse", "HEAD")
	res = h.sync(request(false, forge.MergeAPI, day2))
	if !res.Merged {
		t.Fatalf("day 2: %+v, want merged", res)
	}
	got := runGit(t, env, remote, "show", "main:cvetrail/app.jsonl")
	if !strings.Contains(got, `"ack":true`) {
		t.Errorf("remote main has %q, want day 2's report", got)
	}
	if parents := runGit(t, env, remote, "log", "-1", "--format=%P", "main"); strings.Count(parents, " ") != 0 {
		t.Errorf("a squash merge has one parent, got %q", parents)
	}

	// Day 3: the report equals main; the leftover branch goes.
	if closed, err := h.client.Close(context.Background(), head, ""); err != nil || closed {
		t.Fatalf("Close = %v, %v; want false, nil (nothing open)", closed, err)
	}
	if refs := runGit(t, env, remote, "for-each-ref", "refs/heads/"); strings.Contains(refs, head) {
		t.Errorf("branch still on the remote:\n%s", refs)
	}
}

// TestConflictIsAnError: a report branch that conflicts with main cannot
// be merged; the run fails with GitHub's reason instead of pretending.
func TestConflictIsAnError(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	env := gitEnv(dir)
	remote, work := filepath.Join(dir, "remote.git"), filepath.Join(dir, "work")
	runGit(t, env, dir, "init", "-q", "--bare", "-b", "main", remote)
	runGit(t, env, dir, "init", "-q", "-b", "main", work)
	commit := func(content string) string {
		t.Helper()
		if err := os.WriteFile(filepath.Join(work, "report.jsonl"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		runGit(t, env, work, "add", "-A")
		runGit(t, env, work, "commit", "-q", "-m", content)
		return runGit(t, env, work, "rev-parse", "HEAD")
	}
	commit("a\n")
	runGit(t, env, work, "push", "-q", remote, "main")
	runGit(t, env, work, "switch", "-q", "-c", head)
	report := commit("b\n")
	runGit(t, env, work, "push", "-q", remote, head)
	runGit(t, env, work, "switch", "-q", "main")
	commit("c\n") // main moved on with a conflicting change
	runGit(t, env, work, "push", "-q", remote, "main")

	h := newHarness(t)
	h.fake.UseGitRepo(remote)
	_, err := h.client.Sync(context.Background(), request(false, forge.MergeAPI, report))
	if statusOf(err) != 405 || !strings.Contains(err.Error(), "not mergeable") {
		t.Fatalf("err = %v, want 405 not mergeable", err)
	}
	if pr := h.onlyPR(); pr.Merged || pr.State != "open" {
		t.Errorf("pull request = %+v", pr)
	}
}
