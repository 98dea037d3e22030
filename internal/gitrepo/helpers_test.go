package gitrepo

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// isolate keeps the machine's git configuration out of a test and fixes
// the identities and dates of commits.
func isolate(t *testing.T) {
	t.Helper()
	home := t.TempDir()
	for k, v := range map[string]string{
		"HOME":                home,
		"XDG_CONFIG_HOME":     filepath.Join(home, ".config"),
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_CONFIG_GLOBAL":   filepath.Join(home, ".gitconfig"),
		"GIT_AUTHOR_NAME":     "Alice Author",
		"GIT_AUTHOR_EMAIL":    "alice@example.com",
		"GIT_AUTHOR_DATE":     "2026-03-01T10:00:00+02:00",
		"GIT_COMMITTER_NAME":  "cvetrail",
		"GIT_COMMITTER_EMAIL": "cvetrail@example.com",
		"GIT_COMMITTER_DATE":  "2026-03-01T10:00:00+02:00",
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CONFIG_COUNT", "GIT_CONFIG_PARAMETERS"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// newRepo creates an isolated repository on the unborn branch main.
func newRepo(t *testing.T) (context.Context, *Repo) {
	t.Helper()
	isolate(t)
	ctx := context.Background()
	r, err := Init(ctx, t.TempDir(), "main")
	if err != nil {
		t.Fatal(err)
	}
	return ctx, r
}

// git runs a git command in dir for setting up and checking a test,
// independently of the code under test.
func git(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSuffix(string(out), "\n")
}

func writeFile(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// commit writes files into the working tree and commits them with the
// porcelain, as a user would; env may change the author.
func commit(t *testing.T, r *Repo, msg string, env []string, files map[string]string) string {
	t.Helper()
	for p, c := range files {
		writeFile(t, r.Dir, p, c)
		git(t, r.Dir, nil, "add", "--", p)
	}
	git(t, r.Dir, env, "commit", "--quiet", "-m", msg)
	return git(t, r.Dir, nil, "rev-parse", "HEAD")
}

// state is everything about a repository that CommitFiles must not change.
type state struct {
	status, refs, head, index string
	files                     map[string]string
}

func snapshot(t *testing.T, r *Repo, paths ...string) state {
	t.Helper()
	s := state{
		status: git(t, r.Dir, []string{"GIT_OPTIONAL_LOCKS=0"}, "status", "--porcelain=v1", "--untracked-files=all"),
		refs:   git(t, r.Dir, nil, "for-each-ref"),
		head:   git(t, r.Dir, nil, "symbolic-ref", "HEAD"),
		files:  map[string]string{},
	}
	if b, err := os.ReadFile(filepath.Join(r.Dir, ".git", "index")); err == nil {
		s.index = string(b)
	}
	for _, p := range paths {
		if b, err := os.ReadFile(filepath.Join(r.Dir, filepath.FromSlash(p))); err == nil {
			s.files[p] = string(b)
		} else {
			s.files[p] = "<absent>"
		}
	}
	return s
}
