package gitrepo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RevParse resolves rev to a full object id. A revision that does not
// exist, including HEAD on a branch without commits, gives "" and an error
// wrapping ErrNotFound.
func (r *Repo) RevParse(ctx context.Context, rev string) (string, error) {
	if err := checkRev(rev); err != nil {
		return "", fmt.Errorf("resolving revision: %w", err)
	}
	out, err := r.output(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", rev)
	if err != nil {
		var gerr *Error
		if errors.As(err, &gerr) && gerr.ExitCode() == 1 && ctx.Err() == nil {
			return "", fmt.Errorf("resolving revision %s: %w", rev, ErrNotFound)
		}
		return "", fmt.Errorf("resolving revision %s: %w", rev, err)
	}
	return out, nil
}

// resolveCommit resolves rev to the id of a commit.
func (r *Repo) resolveCommit(ctx context.Context, rev string) (string, error) {
	if err := checkRev(rev); err != nil {
		return "", err
	}
	id, err := r.RevParse(ctx, rev+"^{commit}")
	if errors.Is(err, ErrNotFound) {
		return "", fmt.Errorf("commit %s: %w", rev, ErrNotFound)
	}
	return id, err
}

// CurrentBranch returns the name of the checked-out branch, such as
// "main", also when it has no commits yet. A detached HEAD is an error
// wrapping ErrDetached.
func (r *Repo) CurrentBranch(ctx context.Context) (string, error) {
	out, err := r.output(ctx, "symbolic-ref", "--quiet", "HEAD")
	if err != nil {
		var gerr *Error
		if errors.As(err, &gerr) && gerr.ExitCode() == 1 && ctx.Err() == nil {
			return "", fmt.Errorf("finding the current branch: %w", ErrDetached)
		}
		return "", fmt.Errorf("finding the current branch: %w", err)
	}
	name, ok := strings.CutPrefix(out, "refs/heads/")
	if !ok {
		return "", fmt.Errorf("finding the current branch: HEAD points to %s, not a branch", out)
	}
	return name, nil
}

// ListFiles lists the files under dir at rev, recursively, as
// repository-relative paths in git's order. dir "" lists the whole tree. A
// dir absent at rev gives an empty list; a rev that does not exist an
// error wrapping ErrNotFound.
func (r *Repo) ListFiles(ctx context.Context, rev, dir string) ([]string, error) {
	if err := checkRev(rev); err != nil {
		return nil, fmt.Errorf("listing files: %w", err)
	}
	args := []string{"ls-tree", "-r", "-z", "--name-only", "--full-tree", "--end-of-options", rev}
	if dir != "" {
		dir = strings.TrimSuffix(dir, "/")
		if err := checkPath(dir); err != nil {
			return nil, fmt.Errorf("listing files: %w", err)
		}
		args = append(args, "--", dir)
	}
	out, err := r.run(ctx, cmdOpts{}, args...)
	if err != nil {
		return nil, fmt.Errorf("listing files of %s at %s: %w", orRoot(dir), rev, r.classifyRev(ctx, rev, err))
	}
	var files []string
	for _, f := range bytes.Split(out, []byte{0}) {
		if len(f) > 0 {
			files = append(files, string(f))
		}
	}
	return files, nil
}

func orRoot(dir string) string {
	if dir == "" {
		return "the repository"
	}
	return dir
}

// classifyRev turns a failure of a command about rev into ErrNotFound when
// rev does not exist.
func (r *Repo) classifyRev(ctx context.Context, rev string, err error) error {
	if ctx.Err() != nil {
		return err
	}
	if _, rerr := r.RevParse(ctx, rev+"^{tree}"); errors.Is(rerr, ErrNotFound) {
		return fmt.Errorf("revision %s: %w", rev, ErrNotFound)
	}
	return err
}

// ReadFile returns the content of the file at path in rev, as stored (no
// filters, no line-ending conversion). A path absent at rev gives an error
// wrapping fs.ErrNotExist; a rev that does not exist one wrapping
// ErrNotFound.
func (r *Repo) ReadFile(ctx context.Context, rev, path string) ([]byte, error) {
	var out []byte
	err := r.StreamFiles(ctx, rev, []string{path}, func(_ string, rd io.Reader) error {
		var err error
		out, err = io.ReadAll(rd)
		return err
	})
	return out, err
}

// StreamFiles reads the files paths at rev with a single git process and
// calls fn with each one's content, in order. rd is valid only during the
// call; what fn leaves unread is skipped. An error of fn stops the stream
// and is returned as is. A path absent at rev gives an error wrapping
// fs.ErrNotExist, a path that is a directory an error too.
func (r *Repo) StreamFiles(ctx context.Context, rev string, paths []string, fn func(path string, rd io.Reader) error) error {
	if len(paths) == 0 {
		return nil
	}
	if err := checkRev(rev); err != nil {
		return fmt.Errorf("reading files: %w", err)
	}
	for _, p := range paths {
		if err := checkPath(p); err != nil {
			return fmt.Errorf("reading files: %w", err)
		}
	}
	tree, err := r.RevParse(ctx, rev+"^{tree}")
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("reading files at %s: revision %s: %w", rev, rev, ErrNotFound)
		}
		return fmt.Errorf("reading files at %s: %w", rev, err)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	args := []string{"cat-file", "--batch"}
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.Dir
	cmd.Env = r.environ(nil)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	stderr := &limitedBuffer{max: maxStderr}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("reading files at %s: %w", rev, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("reading files at %s: %w", rev, err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("reading files at %s: %w", rev, &Error{Args: args, Err: err})
	}
	go func() {
		w := bufio.NewWriter(stdin)
		for _, p := range paths {
			if _, err := fmt.Fprintf(w, "%s:%s\n", tree, p); err != nil {
				break
			}
		}
		w.Flush()
		stdin.Close()
	}()
	streamErr := readBatch(bufio.NewReaderSize(stdout, 64<<10), rev, paths, fn)
	if streamErr != nil {
		cancel()
	}
	waitErr := cmd.Wait()
	if streamErr != nil {
		return streamErr
	}
	if waitErr != nil {
		return fmt.Errorf("reading files at %s: %w", rev, &Error{Args: args, Stderr: strings.TrimSpace(stderr.String()), Err: waitErr})
	}
	return nil
}

// readBatch parses the output of git cat-file --batch for paths.
func readBatch(br *bufio.Reader, rev string, paths []string, fn func(string, io.Reader) error) error {
	for _, p := range paths {
		line, err := br.ReadString('\n')
		if err != nil {
			return fmt.Errorf("reading %s at %s: git cat-file ended early: %w", p, rev, err)
		}
		line = strings.TrimSuffix(line, "\n")
		if strings.HasSuffix(line, " missing") {
			return fmt.Errorf("reading %s at %s: %w", p, rev, fs.ErrNotExist)
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return fmt.Errorf("reading %s at %s: unexpected git cat-file output %q", p, rev, line)
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("reading %s at %s: unexpected git cat-file output %q", p, rev, line)
		}
		if f[1] != "blob" {
			return fmt.Errorf("reading %s at %s: it is a %s, not a file", p, rev, f[1])
		}
		lr := &io.LimitedReader{R: br, N: size}
		if err := fn(p, lr); err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, lr); err != nil {
			return fmt.Errorf("reading %s at %s: %w", p, rev, err)
		}
		if lr.N > 0 {
			return fmt.Errorf("reading %s at %s: git cat-file ended early", p, rev)
		}
		if b, err := br.ReadByte(); err != nil || b != '\n' {
			return fmt.Errorf("reading %s at %s: unexpected git cat-file output after the content", p, rev)
		}
	}
	return nil
}

// StatusEntry is one line of git status: X is the state in the index, Y
// in the working tree, as in git status --porcelain ('?' '?' for an
// untracked file).
type StatusEntry struct {
	X, Y     byte
	Path     string
	OrigPath string // for a rename or copy, the path it came from
}

// Untracked reports whether the entry is a file git does not track.
func (e StatusEntry) Untracked() bool { return e.X == '?' }

// Status lists the changes of the working tree and the index against HEAD,
// with every untracked file (not ignored ones). An empty result means a
// clean tree. It takes no lock on the index, so it never disturbs a git
// command the user runs at the same time.
func (r *Repo) Status(ctx context.Context) ([]StatusEntry, error) {
	out, err := r.run(ctx, cmdOpts{env: []string{"GIT_OPTIONAL_LOCKS=0"}},
		"status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignore-submodules=none")
	if err != nil {
		return nil, fmt.Errorf("reading the status of the working tree: %w", err)
	}
	return parseStatus(out)
}

func parseStatus(out []byte) ([]StatusEntry, error) {
	var entries []StatusEntry
	fields := bytes.Split(out, []byte{0})
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if len(f) == 0 {
			continue
		}
		if len(f) < 4 || f[2] != ' ' {
			return nil, fmt.Errorf("reading the status of the working tree: unexpected entry %q", f)
		}
		e := StatusEntry{X: f[0], Y: f[1], Path: string(f[3:])}
		if e.X == 'R' || e.X == 'C' || e.Y == 'R' || e.Y == 'C' {
			i++
			if i >= len(fields) {
				return nil, fmt.Errorf("reading the status of the working tree: rename of %q without its source", e.Path)
			}
			e.OrigPath = string(fields[i])
		}
		entries = append(entries, e)
	}
	return entries, nil
}
