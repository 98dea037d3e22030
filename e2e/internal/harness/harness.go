// Package harness drives the cvetrail binary end to end: it builds it from
// the repository, sets up real git repositories with fixed identities and
// dates, writes cvetrail.yaml, and snapshots a repository so a test can
// prove that a failed run changed nothing.
package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Module is the module path of cvetrail's main module.
const Module = "github.com/cvetrail/cvetrail"

// RepoRoot walks up from start to the directory whose go.mod declares
// Module.
func RepoRoot(start string) (string, error) {
	dir, err := filepath.Abs(start)
	if err != nil {
		return "", fmt.Errorf("finding the cvetrail repository: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && modulePath(b) == Module {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("finding the cvetrail repository: no go.mod of %s above %s", Module, start)
		}
		dir = parent
	}
}

func modulePath(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// BuildCvetrail builds ./cmd/cvetrail of the repository at root into
// outDir and returns the binary's path. The error carries the compiler's
// output.
func BuildCvetrail(ctx context.Context, root, outDir string) (string, error) {
	bin := filepath.Join(outDir, "cvetrail")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/cvetrail")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building cvetrail: %w\n%s", err, bytes.TrimSpace(out))
	}
	return bin, nil
}

// HasCommand reports whether the cvetrail binary at bin has the
// subcommand name: its --help succeeds and shows that command's usage.
func HasCommand(ctx context.Context, bin, name string) bool {
	cmd := exec.CommandContext(ctx, bin, name, "--help")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	out, err := cmd.CombinedOutput()
	return err == nil && strings.Contains(string(out), "Usage:\n  cvetrail "+name)
}

// Identity is the fixed author and committer of every commit in a test
// repository.
var Identity = struct{ Name, Email string }{"Ada Reviewer", "ada@example.com"}

// Repo is a git repository in a test directory.
type Repo struct {
	Dir string
	// Home is an empty directory used as HOME, so no user or system git
	// configuration leaks in.
	Home string
}

// Env returns the environment for git and cvetrail in r at time when:
// fixed identity and dates, no global or system git configuration, UTC.
func (r *Repo) Env(when time.Time) []string {
	date := when.UTC().Format(time.RFC3339)
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + r.Home,
		"TZ=UTC",
		"LC_ALL=C",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + filepath.Join(r.Home, "gitconfig"),
		"GIT_AUTHOR_NAME=" + Identity.Name,
		"GIT_AUTHOR_EMAIL=" + Identity.Email,
		"GIT_COMMITTER_NAME=" + Identity.Name,
		"GIT_COMMITTER_EMAIL=" + Identity.Email,
		"GIT_AUTHOR_DATE=" + date,
		"GIT_COMMITTER_DATE=" + date,
		"GIT_TERMINAL_PROMPT=0",
	}
}

// InitRepo creates a repository in dir on branch main whose first commit,
// made at when, holds files (paths relative to dir).
func InitRepo(ctx context.Context, dir, home string, when time.Time, files map[string][]byte) (*Repo, error) {
	r := &Repo{Dir: dir, Home: home}
	for _, d := range []string{dir, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("creating test repository: %w", err)
		}
	}
	if _, err := r.Git(ctx, when, "init", "-q", "-b", "main"); err != nil {
		return nil, err
	}
	for name, b := range files {
		if err := r.WriteFile(name, b); err != nil {
			return nil, err
		}
	}
	if _, err := r.Git(ctx, when, "add", "-A"); err != nil {
		return nil, err
	}
	if _, err := r.Git(ctx, when, "commit", "-q", "-m", "Start tracking vulnerabilities with cvetrail"); err != nil {
		return nil, err
	}
	return r, nil
}

// Git runs git with args in r at time when and returns its stdout.
func (r *Repo) Git(ctx context.Context, when time.Time, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.Dir
	cmd.Env = r.Env(when)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.String(), nil
}

// WriteFile writes b to the path name relative to r.
func (r *Repo) WriteFile(name string, b []byte) error {
	p := filepath.Join(r.Dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// Commit commits the given paths at time when.
func (r *Repo) Commit(ctx context.Context, when time.Time, msg string, paths ...string) error {
	if _, err := r.Git(ctx, when, append([]string{"add", "--"}, paths...)...); err != nil {
		return err
	}
	_, err := r.Git(ctx, when, "commit", "-q", "-m", msg)
	return err
}

// Result is one cvetrail invocation.
type Result struct {
	Args     []string
	Stdout   string
	Stderr   string
	ExitCode int
}

func (res Result) String() string {
	return fmt.Sprintf("cvetrail %s: exit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(res.Args, " "),
		res.ExitCode, res.Stdout, res.Stderr)
}

// Cvetrail runs the cvetrail binary bin in r at time when (passed as
// CVETRAIL_NOW and as the git dates). extraEnv is appended.
func (r *Repo) Cvetrail(ctx context.Context, bin string, when time.Time, extraEnv []string, args ...string) (Result, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = r.Dir
	cmd.Env = append(append(r.Env(when), "CVETRAIL_NOW="+when.UTC().Format(time.RFC3339)), extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Args: args, Stdout: stdout.String(), Stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitCode()
	case err != nil:
		return res, fmt.Errorf("running cvetrail %s: %w", strings.Join(args, " "), err)
	}
	return res, nil
}

// Snapshot is the state of a repository that a failed run must leave
// alone: every ref, HEAD, the work tree status, and the bytes of every
// file under cvetrail/ and of cvetrail.yaml.
type Snapshot struct {
	Refs   string
	Head   string
	Status string
	Files  map[string]string
}

// Snapshot records the state of r.
func (r *Repo) Snapshot(ctx context.Context) (Snapshot, error) {
	var s Snapshot
	var err error
	if s.Refs, err = r.Git(ctx, time.Time{}, "for-each-ref", "--format=%(refname) %(objectname)"); err != nil {
		return s, err
	}
	if s.Head, err = r.Git(ctx, time.Time{}, "symbolic-ref", "-q", "HEAD"); err != nil {
		return s, err
	}
	if s.Status, err = r.Git(ctx, time.Time{}, "status", "--porcelain=v1", "--untracked-files=all", "--ignored"); err != nil {
		return s, err
	}
	s.Files = map[string]string{}
	for _, root := range []string{"cvetrail", "cvetrail.yaml"} {
		err := filepath.WalkDir(filepath.Join(r.Dir, root), func(p string, e os.DirEntry, err error) error {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			if err != nil || e.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(r.Dir, p)
			s.Files[filepath.ToSlash(rel)] = string(b)
			return nil
		})
		if err != nil {
			return s, fmt.Errorf("snapshot of %s: %w", root, err)
		}
	}
	return s, nil
}

// Fsck runs git fsck --strict --full and returns its complaints.
func (r *Repo) Fsck(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, "git", "fsck", "--strict", "--full", "--no-progress")
	cmd.Dir = r.Dir
	cmd.Env = r.Env(time.Time{})
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git fsck: %w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// LedgerKeys returns the finding keys ("id type/pkg") of every ledger
// (cvetrail/*.jsonl) at rev, sorted; the header line of each ledger is
// skipped.
func (r *Repo) LedgerKeys(ctx context.Context, rev string) ([]string, error) {
	names, err := r.Git(ctx, time.Time{}, "ls-tree", "--name-only", rev, "cvetrail/")
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, name := range strings.Fields(names) {
		if !strings.HasSuffix(name, ".jsonl") {
			continue
		}
		body, err := r.Git(ctx, time.Time{}, "show", rev+":"+name)
		if err != nil {
			return nil, err
		}
		ks, err := ledgerKeys(body)
		if err != nil {
			return nil, fmt.Errorf("ledger %s at %s: %w", name, rev, err)
		}
		keys = append(keys, ks...)
	}
	slices.Sort(keys)
	return keys, nil
}

func ledgerKeys(body string) ([]string, error) {
	var keys []string
	for i, line := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		if line == "" {
			continue
		}
		var f struct {
			SchemaVersion int    `json:"schemaVersion"`
			ID            string `json:"id"`
			Type          string `json:"type"`
			Pkg           string `json:"pkg"`
		}
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		if i == 0 && f.SchemaVersion != 0 && f.ID == "" {
			continue
		}
		if f.ID == "" || f.Type == "" || f.Pkg == "" {
			return nil, fmt.Errorf("line %d: not a finding: %s", i+1, line)
		}
		keys = append(keys, f.ID+" "+f.Type+"/"+f.Pkg)
	}
	return keys, nil
}
