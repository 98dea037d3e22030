package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Errors that callers tell apart with errors.Is.
var (
	// ErrNotRepo: the directory is not inside a git working tree.
	ErrNotRepo = errors.New("not a git repository")
	// ErrNotFound: a revision, ref, remote or branch does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDetached: HEAD is not on a branch.
	ErrDetached = errors.New("HEAD is detached")
	// ErrNoChange: a commit would have the same tree as its parent.
	ErrNoChange = errors.New("no change")
	// ErrStale: a ref, local or remote, did not have the expected value,
	// so it was not changed.
	ErrStale = errors.New("ref does not have the expected value")
	// ErrNotFastForward: the target is not a descendant of the branch to
	// move.
	ErrNotFastForward = errors.New("not a fast-forward")
	// ErrLocalChanges: git refused to update the working tree because it
	// would overwrite uncommitted changes or untracked files.
	ErrLocalChanges = errors.New("uncommitted local changes would be overwritten")
	// ErrRejected: the remote refused a push for a reason other than a
	// stale lease (a protected branch, a hook, …).
	ErrRejected = errors.New("push rejected by the remote")
)

// Error is a git command that failed.
type Error struct {
	Args   []string // the arguments after "git"; they never hold secrets
	Stderr string   // git's diagnostics, trimmed
	Err    error    // usually an *exec.ExitError
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("git")
	const maxArgs = 8
	for i, a := range e.Args {
		if i == maxArgs {
			fmt.Fprintf(&b, " … (%d more)", len(e.Args)-maxArgs)
			break
		}
		b.WriteByte(' ')
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\") {
			b.WriteString(fmt.Sprintf("%q", a))
		} else {
			b.WriteString(a)
		}
	}
	b.WriteString(": ")
	if e.Stderr != "" {
		b.WriteString(e.Stderr)
		var exit *exec.ExitError
		if !errors.As(e.Err, &exit) {
			b.WriteString(" (" + e.Err.Error() + ")")
		}
	} else {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ExitCode returns git's exit status, or -1 when it did not exit normally.
func (e *Error) ExitCode() int {
	var exit *exec.ExitError
	if errors.As(e.Err, &exit) {
		return exit.ExitCode()
	}
	return -1
}

// Repo is a git working tree.
type Repo struct {
	// Dir is the top level of the working tree.
	Dir string
	// Env is added to the environment of every git command, after the
	// inherited one: GIT_AUTHOR_NAME, GIT_COMMITTER_DATE, GIT_CONFIG_COUNT
	// with GIT_CONFIG_KEY_n/GIT_CONFIG_VALUE_n for credentials, … It never
	// appears in errors.
	Env []string
}

// Open returns the repository whose working tree contains dir.
func Open(ctx context.Context, dir string) (*Repo, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("opening repository %s: %w", dir, err)
	}
	if fi, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("opening repository %s: %w", dir, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("opening repository %s: not a directory", dir)
	}
	r := &Repo{Dir: abs}
	out, err := r.output(ctx, "rev-parse", "--show-toplevel")
	if err != nil {
		var gerr *Error
		if errors.As(err, &gerr) && strings.Contains(gerr.Stderr, "not a git repository") {
			return nil, fmt.Errorf("opening repository %s: %w", dir, ErrNotRepo)
		}
		if errors.As(err, &gerr) && strings.Contains(gerr.Stderr, "must be run in a work tree") {
			return nil, fmt.Errorf("opening repository %s: %w: it has no working tree (a bare repository?)", dir, ErrNotRepo)
		}
		return nil, fmt.Errorf("opening repository %s: %w", dir, err)
	}
	r.Dir = filepath.FromSlash(out)
	return r, nil
}

// Init creates a repository in dir (created if missing) whose unborn
// branch is initialBranch, or git's default when it is empty.
func Init(ctx context.Context, dir, initialBranch string) (*Repo, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating repository %s: %w", dir, err)
	}
	r := &Repo{Dir: dir}
	args := []string{"init", "--quiet"}
	if initialBranch != "" {
		if err := checkBranch(initialBranch); err != nil {
			return nil, fmt.Errorf("creating repository %s: %w", dir, err)
		}
		args = append(args, "--initial-branch="+initialBranch)
	}
	if _, err := r.output(ctx, append(args, ".")...); err != nil {
		return nil, fmt.Errorf("creating repository %s: %w", dir, err)
	}
	return Open(ctx, dir)
}

// GitDir returns the absolute path of the repository's git directory (for
// a linked worktree, its private one).
func (r *Repo) GitDir(ctx context.Context) (string, error) {
	out, err := r.output(ctx, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return "", fmt.Errorf("locating git directory: %w", err)
	}
	return filepath.FromSlash(out), nil
}

// CommonDir returns the absolute path of the git directory shared by all
// worktrees of the repository: the place for a lock that must hold for the
// whole repository.
func (r *Repo) CommonDir(ctx context.Context) (string, error) {
	out, err := r.output(ctx, "rev-parse", "--path-format=absolute", "--git-common-dir")
	if err != nil {
		return "", fmt.Errorf("locating git directory: %w", err)
	}
	return filepath.FromSlash(out), nil
}

// repoLocating are the variables that make git work on another repository
// than the one of its working directory, as when cvetrail runs from a git
// hook. They are not passed on.
var repoLocating = []string{
	"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX",
	"GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_IMPLICIT_WORK_TREE",
	"GIT_NAMESPACE", "GIT_SHALLOW_FILE", "GIT_GRAFT_FILE",
}

func (r *Repo) environ(extra []string) []string {
	env := make([]string, 0, len(os.Environ())+len(r.Env)+len(extra)+3)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, v := range repoLocating {
			if k == v {
				drop = true
				break
			}
		}
		if !drop {
			env = append(env, kv)
		}
	}
	env = append(env, r.Env...)
	env = append(env, "GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "GIT_LITERAL_PATHSPECS=1")
	return append(env, extra...)
}

type cmdOpts struct {
	stdin  io.Reader
	stdout io.Writer // default: captured and returned
	env    []string  // added last
}

// maxStderr bounds how much of git's stderr is kept for an error.
const maxStderr = 64 << 10

// run runs git with args in r.Dir. Cancelling ctx sends git SIGTERM, which
// lets it remove its lock files, and kills it if it has not exited after a
// grace period.
func (r *Repo) run(ctx context.Context, o cmdOpts, args ...string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, &Error{Args: args, Err: err}
	}
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.Dir
	cmd.Env = r.environ(o.env)
	cmd.Stdin = o.stdin
	var stdout bytes.Buffer
	if o.stdout != nil {
		cmd.Stdout = o.stdout
	} else {
		cmd.Stdout = &stdout
	}
	stderr := &limitedBuffer{max: maxStderr}
	cmd.Stderr = stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return stdout.Bytes(), &Error{Args: args, Stderr: strings.TrimSpace(stderr.String()), Err: err}
	}
	return stdout.Bytes(), nil
}

// output runs git and returns its stdout without the final newline.
func (r *Repo) output(ctx context.Context, args ...string) (string, error) {
	out, err := r.run(ctx, cmdOpts{}, args...)
	return strings.TrimSuffix(string(out), "\n"), err
}

// limitedBuffer keeps the first max bytes written to it and notes when it
// dropped the rest.
type limitedBuffer struct {
	b   bytes.Buffer
	max int
	cut bool
}

func (t *limitedBuffer) Write(p []byte) (int, error) {
	if room := t.max - t.b.Len(); room > 0 {
		t.b.Write(p[:min(room, len(p))])
	}
	if t.b.Len()+len(p) > t.max {
		t.cut = true
	}
	return len(p), nil
}

func (t *limitedBuffer) String() string {
	if t.cut {
		return t.b.String() + " …"
	}
	return t.b.String()
}

// stderrOf returns git's stderr when err is an *Error.
func stderrOf(err error) string {
	var gerr *Error
	if errors.As(err, &gerr) {
		return gerr.Stderr
	}
	return ""
}

// checkRev rejects revisions git could take for an option or that cannot
// be passed on a line of input.
func checkRev(rev string) error {
	switch {
	case rev == "":
		return errors.New("empty revision")
	case strings.HasPrefix(rev, "-"):
		return fmt.Errorf("revision %q starts with a dash", rev)
	case strings.ContainsAny(rev, "\x00\n"):
		return fmt.Errorf("revision %q contains a NUL or newline", rev)
	}
	return nil
}

// checkRef accepts full ref names, "refs/…", following the rules of git
// check-ref-format.
func checkRef(ref string) error {
	if !strings.HasPrefix(ref, "refs/") {
		return fmt.Errorf("ref %q is not a full ref name (refs/…)", ref)
	}
	return checkRefName(ref)
}

// checkBranch accepts a branch name without "refs/heads/".
func checkBranch(name string) error {
	if name == "" {
		return errors.New("empty branch name")
	}
	if strings.HasPrefix(name, "-") || name == "HEAD" || strings.HasPrefix(name, "refs/") {
		return fmt.Errorf("invalid branch name %q", name)
	}
	return checkRefName("refs/heads/" + name)
}

func checkRefName(ref string) error {
	bad := func(why string) error { return fmt.Errorf("invalid ref name %q: %s", ref, why) }
	if strings.HasSuffix(ref, "/") || strings.HasSuffix(ref, ".") || strings.HasSuffix(ref, ".lock") {
		return bad("bad ending")
	}
	if strings.Contains(ref, "..") || strings.Contains(ref, "//") || strings.Contains(ref, "@{") {
		return bad(`contains "..", "//" or "@{"`)
	}
	for _, c := range []byte(ref) {
		if c < 0x20 || c == 0x7f || strings.IndexByte(" ~^:?*[\\", c) >= 0 {
			return bad(fmt.Sprintf("contains %q", c))
		}
	}
	for _, part := range strings.Split(ref, "/") {
		if strings.HasPrefix(part, ".") {
			return bad("a component starts with a dot")
		}
	}
	return nil
}

// checkPath accepts a repository-relative path with forward slashes that
// stays inside the working tree.
func checkPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case strings.ContainsAny(p, "\x00\n"):
		return fmt.Errorf("path %q contains a NUL or newline", p)
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("path %q is absolute", p)
	}
	for _, part := range strings.Split(p, "/") {
		switch part {
		case "", ".", "..":
			return fmt.Errorf("path %q is not clean", p)
		}
		if strings.EqualFold(part, ".git") {
			return fmt.Errorf("path %q is inside .git", p)
		}
	}
	return nil
}

// isOID reports whether s is a full object id (SHA-1 or SHA-256, in hex).
func isOID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// isZeroOID reports whether s is the null object id that git shows for
// what is not committed.
func isZeroOID(s string) bool { return isOID(s) && strings.Trim(s, "0") == "" }
