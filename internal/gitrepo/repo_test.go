package gitrepo

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOpen(t *testing.T) {
	ctx, r := newRepo(t)
	if err := os.MkdirAll(filepath.Join(r.Dir, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	sub, err := Open(ctx, filepath.Join(r.Dir, "a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.EvalSymlinks(r.Dir)
	if got, _ := filepath.EvalSymlinks(sub.Dir); got != want {
		t.Errorf("Open(subdirectory).Dir = %s, want the top level %s", sub.Dir, want)
	}
	if _, err := Open(ctx, t.TempDir()); !errors.Is(err, ErrNotRepo) {
		t.Errorf("Open of a plain directory: %v, want ErrNotRepo", err)
	}
	if _, err := Open(ctx, filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("Open of a missing directory succeeded")
	}
	gd, err := r.GitDir(ctx)
	if err != nil || filepath.Base(gd) != ".git" || !filepath.IsAbs(gd) {
		t.Errorf("GitDir = %q, %v", gd, err)
	}
	cd, err := r.CommonDir(ctx)
	if err != nil || cd != gd {
		t.Errorf("CommonDir = %q, %v; want %q", cd, err, gd)
	}
}

func TestUnbornBranch(t *testing.T) {
	ctx, r := newRepo(t)
	b, err := r.CurrentBranch(ctx)
	if err != nil || b != "main" {
		t.Errorf("CurrentBranch on an unborn branch = %q, %v; want main", b, err)
	}
	if id, err := r.RevParse(ctx, "HEAD"); id != "" || !errors.Is(err, ErrNotFound) {
		t.Errorf("RevParse(HEAD) on an unborn branch = %q, %v; want ErrNotFound", id, err)
	}
	if _, err := r.Log(ctx, "HEAD"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Log(HEAD) on an unborn branch: %v, want ErrNotFound", err)
	}

	id, err := r.CommitFiles(ctx, "", map[string][]byte{"cvetrail/a.jsonl": []byte("a\n"), "gone": nil}, "first")
	if err != nil {
		t.Fatal(err)
	}
	if parents := git(t, r.Dir, nil, "rev-list", "--parents", "-n1", id); parents != id {
		t.Errorf("root commit has parents: %q", parents)
	}
	if got := git(t, r.Dir, nil, "ls-tree", "-r", "--name-only", id); got != "cvetrail/a.jsonl" {
		t.Errorf("root commit tree: %q", got)
	}
	if _, err := r.CommitFiles(ctx, "", map[string][]byte{"x": nil}, "nothing"); !errors.Is(err, ErrNoChange) {
		t.Errorf("root commit of deletions only: %v, want ErrNoChange", err)
	}
	if err := r.UpdateRef(ctx, "refs/heads/main", id, "", "first"); err != nil {
		t.Fatal(err)
	}
	if head, err := r.RevParse(ctx, "HEAD"); err != nil || head != id {
		t.Errorf("HEAD = %q, %v; want %s", head, err, id)
	}
}

func TestDetachedHead(t *testing.T) {
	ctx, r := newRepo(t)
	c1 := commit(t, r, "one", nil, map[string]string{"f": "1\n"})
	git(t, r.Dir, nil, "checkout", "--quiet", "--detach", c1)
	if _, err := r.CurrentBranch(ctx); !errors.Is(err, ErrDetached) {
		t.Errorf("CurrentBranch on a detached HEAD: %v, want ErrDetached", err)
	}
}

func TestCommitFilesLeavesWorkTreeAndIndexAlone(t *testing.T) {
	ctx, r := newRepo(t)
	commit(t, r, "base", nil, map[string]string{
		"README":              "hello\n",
		"staged.txt":          "s1\n",
		"cvetrail/app.jsonl":  "old ledger\n",
		"cvetrail/gone.jsonl": "resolved image\n",
	})
	writeFile(t, r.Dir, "run.sh", "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(r.Dir, "run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	git(t, r.Dir, nil, "add", "run.sh")
	git(t, r.Dir, nil, "commit", "--quiet", "-m", "script")
	c1 := git(t, r.Dir, nil, "rev-parse", "HEAD")

	// The user's work in progress: a modified file, a staged change, an
	// untracked file, and an edit of a ledger the commit replaces.
	writeFile(t, r.Dir, "README", "hello, edited\n")
	writeFile(t, r.Dir, "staged.txt", "s2\n")
	git(t, r.Dir, nil, "add", "staged.txt")
	writeFile(t, r.Dir, "notes.txt", "untracked\n")
	writeFile(t, r.Dir, "cvetrail/app.jsonl", "user edit\n")
	paths := []string{"README", "staged.txt", "notes.txt", "cvetrail/app.jsonl", "cvetrail/new.jsonl", "cvetrail/gone.jsonl", "run.sh"}
	before := snapshot(t, r, paths...)

	newLedger := []byte("line one\r\nno final newline")
	id, err := r.CommitFiles(ctx, "main", map[string][]byte{
		"cvetrail/app.jsonl":  []byte("new ledger\n"),
		"cvetrail/new.jsonl":  newLedger,
		"cvetrail/gone.jsonl": nil,
		"run.sh":              []byte("#!/bin/sh\necho hi\n"),
	}, "chore(cvetrail): vulnerability report 2026-03-01\n\nCvetrail-Needs-Review: no")
	if err != nil {
		t.Fatal(err)
	}

	after := snapshot(t, r, paths...)
	if diff := cmp.Diff(before, after, cmp.AllowUnexported(state{})); diff != "" {
		t.Errorf("CommitFiles changed the working tree, index or refs (-before +after):\n%s", diff)
	}
	if parent := git(t, r.Dir, nil, "rev-parse", id+"^"); parent != c1 {
		t.Errorf("parent = %s, want %s", parent, c1)
	}
	wantTree := strings.Join([]string{
		"100644 README",
		"100644 cvetrail/app.jsonl",
		"100644 cvetrail/new.jsonl",
		"100755 run.sh",
		"100644 staged.txt",
	}, "\n")
	if got := git(t, r.Dir, nil, "ls-tree", "-r", "--format=%(objectmode) %(path)", id); got != wantTree {
		t.Errorf("tree:\n%s\nwant:\n%s", got, wantTree)
	}
	if got := git(t, r.Dir, nil, "show", id+":README"); got != "hello" {
		t.Errorf("README in the commit = %q, want the committed content, not the user's edit", got)
	}
	if got := git(t, r.Dir, nil, "show", id+":staged.txt"); got != "s1" {
		t.Errorf("staged.txt in the commit = %q, want the parent's content, not the user's staged change", got)
	}
	got, err := r.ReadFile(ctx, id, "cvetrail/new.jsonl")
	if err != nil || string(got) != string(newLedger) {
		t.Errorf("ReadFile = %q, %v; want the bytes given, %q", got, err, newLedger)
	}
	if got := git(t, r.Dir, nil, "log", "-1", "--format=%an <%ae> %aI|%cn|%B", id); got != "Alice Author <alice@example.com> 2026-03-01T10:00:00+02:00|cvetrail|chore(cvetrail): vulnerability report 2026-03-01\n\nCvetrail-Needs-Review: no\n" {
		t.Errorf("commit: %q", got)
	}
	entries, _ := os.ReadDir(filepath.Join(r.Dir, ".git"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "cvetrail-commit-") {
			t.Errorf("temporary %s left in the git directory", e.Name())
		}
	}

	// Author from Repo.Env.
	r2 := &Repo{Dir: r.Dir, Env: []string{"GIT_AUTHOR_NAME=Bot", "GIT_AUTHOR_EMAIL=bot@example.com"}}
	id2, err := r2.CommitFiles(ctx, id, map[string][]byte{"x": []byte("x")}, "by the bot")
	if err != nil {
		t.Fatal(err)
	}
	if got := git(t, r.Dir, nil, "log", "-1", "--format=%an <%ae>", id2); got != "Bot <bot@example.com>" {
		t.Errorf("author from Repo.Env = %q", got)
	}
}

func TestCommitFilesNoChange(t *testing.T) {
	ctx, r := newRepo(t)
	c1 := commit(t, r, "base", nil, map[string]string{"cvetrail/a.jsonl": "a\n"})
	for name, files := range map[string]map[string][]byte{
		"same content":         {"cvetrail/a.jsonl": []byte("a\n")},
		"deleting a lost file": {"cvetrail/never.jsonl": nil},
		"nothing":              {},
	} {
		if id, err := r.CommitFiles(ctx, c1, files, "msg"); id != "" || !errors.Is(err, ErrNoChange) {
			t.Errorf("%s: CommitFiles = %q, %v; want ErrNoChange", name, id, err)
		}
	}
	if _, err := r.CommitFiles(ctx, "no-such-branch", map[string][]byte{"a": []byte("a")}, "msg"); !errors.Is(err, ErrNotFound) {
		t.Errorf("CommitFiles on a missing parent: %v, want ErrNotFound", err)
	}
	for _, p := range []string{"../x", "/abs", "a//b", ".git/config", "a/./b", ""} {
		if _, err := r.CommitFiles(ctx, c1, map[string][]byte{p: []byte("x")}, "msg"); err == nil {
			t.Errorf("CommitFiles accepted the path %q", p)
		}
	}
	if _, err := r.CommitFiles(ctx, c1, map[string][]byte{"b": []byte("b")}, " \n"); err == nil {
		t.Error("CommitFiles accepted an empty message")
	}
}

func TestUpdateRefCompareAndSwap(t *testing.T) {
	ctx, r := newRepo(t)
	c1 := commit(t, r, "one", nil, map[string]string{"f": "1\n"})
	c2 := commit(t, r, "two", nil, map[string]string{"f": "2\n"})
	const ref = "refs/heads/cvetrail/daily-report"

	if err := r.UpdateRef(ctx, ref, c1, "", "create"); err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef(ctx, ref, c2, "", "create again"); !errors.Is(err, ErrStale) {
		t.Errorf("creating an existing ref: %v, want ErrStale", err)
	}
	if err := r.UpdateRef(ctx, ref, c2, c2, "wrong expectation"); !errors.Is(err, ErrStale) {
		t.Errorf("CAS with a wrong old value: %v, want ErrStale", err)
	}
	if got := git(t, r.Dir, nil, "rev-parse", ref); got != c1 {
		t.Errorf("after failed CAS the ref is %s, want %s", got, c1)
	}
	if err := r.UpdateRef(ctx, ref, c2, c1, "advance"); err != nil {
		t.Fatal(err)
	}
	if got := git(t, r.Dir, nil, "rev-parse", ref); got != c2 {
		t.Errorf("ref = %s, want %s", got, c2)
	}
	if got := git(t, r.Dir, nil, "reflog", "-1", "--format=%gs", ref); got != "advance" {
		t.Errorf("reflog message %q", got)
	}
	if err := r.UpdateRef(ctx, "refs/heads/missing", c2, c1, "x"); !errors.Is(err, ErrStale) {
		t.Errorf("CAS on a missing ref: %v, want ErrStale", err)
	}
	if err := r.DeleteRef(ctx, ref, c1); !errors.Is(err, ErrStale) {
		t.Errorf("DeleteRef with a wrong old value: %v, want ErrStale", err)
	}
	if err := r.DeleteRef(ctx, ref, c2); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RevParse(ctx, ref); !errors.Is(err, ErrNotFound) {
		t.Errorf("after DeleteRef: %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"main", "refs/heads/a..b", "refs/heads/a b", "refs/heads/x.lock", "refs/heads/-x/../y", "refs/heads/.hidden"} {
		if err := r.UpdateRef(ctx, bad, c1, "", "x"); err == nil || errors.Is(err, ErrStale) {
			t.Errorf("UpdateRef(%q) = %v, want a validation error", bad, err)
		}
	}
	if err := r.UpdateRef(ctx, ref, "HEAD", "", "x"); err == nil {
		t.Error("UpdateRef accepted a symbolic new value")
	}
}

func TestFastForwardCheckedOut(t *testing.T) {
	ctx, r := newRepo(t)
	c1 := commit(t, r, "base", nil, map[string]string{"cvetrail/app.jsonl": "day 1\n", "other.txt": "o\n"})
	c2, err := r.CommitFiles(ctx, c1, map[string][]byte{"cvetrail/app.jsonl": []byte("day 2\n")}, "day 2")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef(ctx, "refs/heads/report", c2, "", "report"); err != nil {
		t.Fatal(err)
	}

	// A conflicting uncommitted edit: git refuses, nothing is lost.
	writeFile(t, r.Dir, "cvetrail/app.jsonl", "user edit\n")
	err = r.FastForward(ctx, "main", "report")
	if !errors.Is(err, ErrLocalChanges) || !strings.Contains(err.Error(), "cvetrail/app.jsonl") {
		t.Errorf("FastForward over an uncommitted edit: %v, want ErrLocalChanges naming the file", err)
	}
	if got := readFile(t, r.Dir, "cvetrail/app.jsonl"); got != "user edit\n" {
		t.Errorf("the user's edit became %q", got)
	}
	if got := git(t, r.Dir, nil, "rev-parse", "main"); got != c1 {
		t.Errorf("main moved to %s after a refused merge", got)
	}
	git(t, r.Dir, nil, "checkout", "--quiet", "--", "cvetrail/app.jsonl")

	// An untracked file the merge would overwrite.
	c3, err := r.CommitFiles(ctx, c2, map[string][]byte{"cvetrail/new.jsonl": []byte("new image\n")}, "day 3")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef(ctx, "refs/heads/report", c3, c2, "report"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, r.Dir, "cvetrail/new.jsonl", "untracked user file\n")
	if err := r.FastForward(ctx, "main", "report"); !errors.Is(err, ErrLocalChanges) {
		t.Errorf("FastForward over an untracked file: %v, want ErrLocalChanges", err)
	}
	if got := readFile(t, r.Dir, "cvetrail/new.jsonl"); got != "untracked user file\n" {
		t.Errorf("the untracked file became %q", got)
	}
	os.Remove(filepath.Join(r.Dir, "cvetrail", "new.jsonl"))

	// An edit of a file the merge does not touch is kept.
	writeFile(t, r.Dir, "other.txt", "work in progress\n")
	if err := r.FastForward(ctx, "main", "report"); err != nil {
		t.Fatal(err)
	}
	if got := git(t, r.Dir, nil, "rev-parse", "main"); got != c3 {
		t.Errorf("main = %s, want %s", got, c3)
	}
	if got := readFile(t, r.Dir, "cvetrail/app.jsonl"); got != "day 2\n" {
		t.Errorf("working tree has %q, want the merged content", got)
	}
	if got := readFile(t, r.Dir, "other.txt"); got != "work in progress\n" {
		t.Errorf("the unrelated edit became %q", got)
	}
	if got := git(t, r.Dir, nil, "status", "--porcelain"); got != " M other.txt" {
		t.Errorf("status after the merge: %q", got)
	}
	if err := r.FastForward(ctx, "main", "report"); err != nil {
		t.Errorf("FastForward when already there: %v", err)
	}
}

func TestFastForwardNotCheckedOut(t *testing.T) {
	ctx, r := newRepo(t)
	c1 := commit(t, r, "base", nil, map[string]string{"f": "1\n"})
	git(t, r.Dir, nil, "checkout", "--quiet", "-b", "work")
	writeFile(t, r.Dir, "f", "dirty\n")
	c2, err := r.CommitFiles(ctx, c1, map[string][]byte{"f": []byte("2\n")}, "two")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef(ctx, "refs/heads/report", c2, "", "report"); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, r, "f")
	if err := r.FastForward(ctx, "main", "report"); err != nil {
		t.Fatal(err)
	}
	if got := git(t, r.Dir, nil, "rev-parse", "main"); got != c2 {
		t.Errorf("main = %s, want %s", got, c2)
	}
	after := snapshot(t, r, "f")
	before.refs, after.refs = "", ""
	if diff := cmp.Diff(before, after, cmp.AllowUnexported(state{})); diff != "" {
		t.Errorf("FastForward of a branch not checked out touched the working tree (-before +after):\n%s", diff)
	}

	// Diverged: main gains a commit the report branch lacks.
	c3, err := r.CommitFiles(ctx, c2, map[string][]byte{"g": []byte("g\n")}, "on main")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef(ctx, "refs/heads/main", c3, c2, "main"); err != nil {
		t.Fatal(err)
	}
	c4, err := r.CommitFiles(ctx, c2, map[string][]byte{"h": []byte("h\n")}, "report")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef(ctx, "refs/heads/report", c4, c2, "report"); err != nil {
		t.Fatal(err)
	}
	if err := r.FastForward(ctx, "main", "report"); !errors.Is(err, ErrNotFastForward) {
		t.Errorf("FastForward of diverged branches: %v, want ErrNotFastForward", err)
	}
	git(t, r.Dir, nil, "checkout", "--quiet", "-f", "main")
	if err := r.FastForward(ctx, "main", "report"); !errors.Is(err, ErrNotFastForward) {
		t.Errorf("FastForward of diverged branches, checked out: %v, want ErrNotFastForward", err)
	}
	if err := r.FastForward(ctx, "main", "missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("FastForward to a missing branch: %v, want ErrNotFound", err)
	}
}

func TestFastForwardOtherWorktree(t *testing.T) {
	ctx, r := newRepo(t)
	c1 := commit(t, r, "base", nil, map[string]string{"f": "1\n"})
	git(t, r.Dir, nil, "branch", "side")
	git(t, r.Dir, nil, "worktree", "add", "--quiet", filepath.Join(t.TempDir(), "wt"), "side")
	c2, err := r.CommitFiles(ctx, c1, map[string][]byte{"f": []byte("2\n")}, "two")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef(ctx, "refs/heads/report", c2, "", "report"); err != nil {
		t.Fatal(err)
	}
	if err := r.FastForward(ctx, "side", "report"); err == nil || !strings.Contains(err.Error(), "worktree") {
		t.Errorf("FastForward of a branch checked out in another worktree: %v", err)
	}
	if got := git(t, r.Dir, nil, "rev-parse", "side"); got != c1 {
		t.Errorf("side moved to %s", got)
	}
}

func TestWorktrees(t *testing.T) {
	ctx, r := newRepo(t)
	commit(t, r, "base", nil, map[string]string{"f": "1\n"})
	side := filepath.Join(t.TempDir(), "side wt")
	detached := filepath.Join(t.TempDir(), "detached")
	git(t, r.Dir, nil, "worktree", "add", "--quiet", "-b", "cvetrail/report", side)
	git(t, r.Dir, nil, "worktree", "add", "--quiet", "--detach", detached)
	want := []Worktree{{Path: r.Dir, Branch: "main", Current: true}, {Path: side, Branch: "cvetrail/report"}, {Path: detached}}
	got, err := r.Worktrees(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Worktrees() from the main worktree = %+v, want %+v", got, want)
	}
	// From a linked worktree, that one is the current one.
	linked, err := Open(ctx, side)
	if err != nil {
		t.Fatal(err)
	}
	want[0].Current, want[1].Current = false, true
	if got, err := linked.Worktrees(ctx); err != nil || !slices.Equal(got, want) {
		t.Errorf("Worktrees() from %s = %+v, %v; want %+v", side, got, err, want)
	}
}

func TestFastForwardUnborn(t *testing.T) {
	ctx, r := newRepo(t)
	c1, err := r.CommitFiles(ctx, "", map[string][]byte{"cvetrail/app.jsonl": []byte("day 1\n")}, "baseline")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef(ctx, "refs/heads/report", c1, "", "report"); err != nil {
		t.Fatal(err)
	}
	if err := r.FastForward(ctx, "main", "report"); err != nil {
		t.Fatal(err)
	}
	if got := git(t, r.Dir, nil, "rev-parse", "main"); got != c1 {
		t.Errorf("main = %s, want %s", got, c1)
	}
	if got := readFile(t, r.Dir, "cvetrail/app.jsonl"); got != "day 1\n" {
		t.Errorf("working tree has %q", got)
	}
}

func TestReadAndList(t *testing.T) {
	ctx, r := newRepo(t)
	c1 := commit(t, r, "base", nil, map[string]string{
		"cvetrail/a.jsonl": "a\n", "cvetrail/b.jsonl": "b\n", "cvetrail/sub/c": "c\n", "cvetrail.yaml": "x\n", "other": "o\n",
	})
	files, err := r.ListFiles(ctx, c1, "cvetrail")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"cvetrail/a.jsonl", "cvetrail/b.jsonl", "cvetrail/sub/c"}, files); diff != "" {
		t.Errorf("ListFiles (-want +got):\n%s", diff)
	}
	if all, err := r.ListFiles(ctx, "HEAD", ""); err != nil || len(all) != 5 {
		t.Errorf("ListFiles of the whole tree = %v, %v", all, err)
	}
	if files, err := r.ListFiles(ctx, c1, "nothing-here"); err != nil || len(files) != 0 {
		t.Errorf("ListFiles of a missing directory = %v, %v; want empty", files, err)
	}
	if _, err := r.ListFiles(ctx, "no-such-rev", "cvetrail"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ListFiles of a missing revision: %v, want ErrNotFound", err)
	}
	if b, err := r.ReadFile(ctx, "main", "cvetrail/b.jsonl"); err != nil || string(b) != "b\n" {
		t.Errorf("ReadFile = %q, %v", b, err)
	}
	if _, err := r.ReadFile(ctx, "main", "cvetrail/zzz.jsonl"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile of a missing path: %v, want fs.ErrNotExist", err)
	}
	if _, err := r.ReadFile(ctx, "no-such-rev", "cvetrail/a.jsonl"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadFile at a missing revision: %v, want ErrNotFound", err)
	}
	if _, err := r.ReadFile(ctx, "main", "cvetrail/sub"); err == nil {
		t.Error("ReadFile of a directory succeeded")
	}
	if _, err := r.ReadFile(ctx, "--output=x", "a"); err == nil {
		t.Error("ReadFile accepted a revision that looks like an option")
	}

	var got []string
	err = r.StreamFiles(ctx, c1, []string{"cvetrail/b.jsonl", "cvetrail/a.jsonl", "other"}, func(p string, rd io.Reader) error {
		if p == "cvetrail/a.jsonl" {
			got = append(got, p+"=(unread)")
			return nil // what is not read is skipped
		}
		b, err := io.ReadAll(rd)
		got = append(got, p+"="+string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"cvetrail/b.jsonl=b\n", "cvetrail/a.jsonl=(unread)", "other=o\n"}, got); diff != "" {
		t.Errorf("StreamFiles (-want +got):\n%s", diff)
	}
	stop := errors.New("stop")
	if err := r.StreamFiles(ctx, c1, []string{"cvetrail/a.jsonl", "cvetrail/b.jsonl"}, func(string, io.Reader) error { return stop }); err != stop {
		t.Errorf("StreamFiles returned %v, want the callback's error", err)
	}
}

func TestStatus(t *testing.T) {
	ctx, r := newRepo(t)
	commit(t, r, "base", nil, map[string]string{"a": "a\n", "b": "b\n", "old name": "o\n"})
	if st, err := r.Status(ctx); err != nil || len(st) != 0 {
		t.Errorf("Status of a clean tree = %v, %v", st, err)
	}
	writeFile(t, r.Dir, "a", "changed\n")
	writeFile(t, r.Dir, "b", "staged\n")
	git(t, r.Dir, nil, "add", "b")
	writeFile(t, r.Dir, "dir/new file", "n\n")
	git(t, r.Dir, nil, "mv", "old name", "new name")
	st, err := r.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []StatusEntry{
		{X: ' ', Y: 'M', Path: "a"},
		{X: 'M', Y: ' ', Path: "b"},
		{X: 'R', Y: ' ', Path: "new name", OrigPath: "old name"},
		{X: '?', Y: '?', Path: "dir/new file"},
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("Status (-want +got):\n%s", diff)
	}
	if !st[3].Untracked() || st[0].Untracked() {
		t.Error("Untracked is wrong")
	}
}

func TestErrorsNameCommandAndStderr(t *testing.T) {
	ctx, r := newRepo(t)
	commit(t, r, "base", nil, map[string]string{"a": "a\n"})
	_, err := r.MergeBase(ctx, "HEAD", "nope")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("MergeBase with a missing revision: %v, want ErrNotFound", err)
	}
	err = r.Fetch(ctx, "no-such-remote")
	var gerr *Error
	if !errors.As(err, &gerr) {
		t.Fatalf("Fetch from a missing remote: %v, want an *Error", err)
	}
	if gerr.Args[0] != "fetch" || !strings.Contains(gerr.Stderr, "no-such-remote") || gerr.ExitCode() <= 0 {
		t.Errorf("Error = %+v", gerr)
	}
	if msg := err.Error(); !strings.Contains(msg, "git fetch") || !strings.Contains(msg, gerr.Stderr) {
		t.Errorf("error message %q lacks the command or git's stderr", msg)
	}
}

func TestEnvironmentCannotRedirect(t *testing.T) {
	ctx, r := newRepo(t)
	c1 := commit(t, r, "base", nil, map[string]string{"a": "a\n"})
	other := t.TempDir()
	git(t, other, nil, "init", "--quiet")
	t.Setenv("GIT_DIR", filepath.Join(other, ".git"))
	t.Setenv("GIT_INDEX_FILE", filepath.Join(other, "index"))
	if id, err := r.RevParse(ctx, "HEAD"); err != nil || id != c1 {
		t.Errorf("RevParse with GIT_DIR pointing elsewhere = %q, %v; want %s", id, err, c1)
	}
}

func TestMergeBaseAndIsAncestor(t *testing.T) {
	ctx, r := newRepo(t)
	c1 := commit(t, r, "one", nil, map[string]string{"f": "1\n"})
	c2 := commit(t, r, "two", nil, map[string]string{"f": "2\n"})
	side, err := r.CommitFiles(ctx, c1, map[string][]byte{"g": []byte("g")}, "side")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		a, b string
		want bool
	}{{c1, c2, true}, {c2, c1, false}, {c2, c2, true}, {side, c2, false}, {c1, side, true}} {
		if got, err := r.IsAncestor(ctx, tt.a, tt.b); err != nil || got != tt.want {
			t.Errorf("IsAncestor(%.7s, %.7s) = %v, %v; want %v", tt.a, tt.b, got, err, tt.want)
		}
	}
	if mb, err := r.MergeBase(ctx, c2, side); err != nil || mb != c1 {
		t.Errorf("MergeBase = %s, %v; want %s", mb, err, c1)
	}
	root, err := r.CommitFiles(ctx, "", map[string][]byte{"x": []byte("x")}, "unrelated")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.MergeBase(ctx, c2, root); !errors.Is(err, ErrNotFound) {
		t.Errorf("MergeBase of unrelated histories: %v, want ErrNotFound", err)
	}
}

func TestFsck(t *testing.T) {
	ctx, r := newRepo(t)
	commit(t, r, "base", nil, map[string]string{"a": "a\n"})
	// Unreachable objects, as a killed run leaves them, are fine.
	if _, err := r.CommitFiles(ctx, "HEAD", map[string][]byte{"b": []byte("b")}, "dangling"); err != nil {
		t.Fatal(err)
	}
	if err := r.Fsck(ctx); err != nil {
		t.Fatal(err)
	}
	blob := git(t, r.Dir, nil, "rev-parse", "HEAD:a")
	obj := filepath.Join(r.Dir, ".git", "objects", blob[:2], blob[2:])
	if err := os.Remove(obj); err != nil {
		t.Fatal(err)
	}
	if err := r.Fsck(ctx); err == nil {
		t.Error("Fsck of a repository with a missing object succeeded")
	}
}

func TestCancelledContext(t *testing.T) {
	_, r := newRepo(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.RevParse(ctx, "HEAD"); !errors.Is(err, context.Canceled) {
		t.Errorf("RevParse with a cancelled context: %v", err)
	}
}

func TestCleanTemp(t *testing.T) {
	ctx, r := newRepo(t)
	commit(t, r, "base", nil, map[string]string{"a": "a\n"})
	left := filepath.Join(r.Dir, ".git", "cvetrail-commit-123")
	writeFile(t, left, "index", "partial")
	removed, err := r.CleanTemp(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != left {
		t.Errorf("CleanTemp removed %v, want %s", removed, left)
	}
	if _, err := os.Stat(left); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s still there: %v", left, err)
	}
	if _, err := os.Stat(filepath.Join(r.Dir, ".git", "HEAD")); err != nil {
		t.Errorf("CleanTemp removed more: %v", err)
	}
}
