package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// CommitFiles creates a commit whose tree is parent's tree with files
// changed: each path gets the given content, stored exactly as given (no
// filters, no line-ending conversion), or is deleted when the content is
// nil. A file that was executable in parent stays so; every other file is
// a regular 100644 file. parent "" makes a root commit. The author and
// committer come from the environment (Repo.Env or inherited GIT_AUTHOR_*,
// GIT_COMMITTER_*) or git's configuration; the message is stored as given,
// with a final newline.
//
// CommitFiles builds the tree in a private index file under the git
// directory, so it never touches the working tree, the real index or any
// ref: the commit is unreachable until the caller moves a ref to it with
// UpdateRef. When the tree equals parent's (or, for a root commit, would
// be empty), it returns "" and ErrNoChange.
func (r *Repo) CommitFiles(ctx context.Context, parent string, files map[string][]byte, msg string) (string, error) {
	if strings.TrimSpace(msg) == "" {
		return "", errors.New("creating commit: empty message")
	}
	paths := make([]string, 0, len(files))
	adds := 0
	for p, content := range files {
		if err := checkPath(p); err != nil {
			return "", fmt.Errorf("creating commit: %w", err)
		}
		paths = append(paths, p)
		if content != nil {
			adds++
		}
	}
	slices.Sort(paths)

	var parentID, parentTree string
	if parent != "" {
		var err error
		if parentID, err = r.resolveCommit(ctx, parent); err != nil {
			return "", fmt.Errorf("creating commit on %s: %w", parent, err)
		}
		if parentTree, err = r.RevParse(ctx, parentID+"^{tree}"); err != nil {
			return "", fmt.Errorf("creating commit on %s: %w", parent, err)
		}
	} else if adds == 0 {
		return "", fmt.Errorf("creating root commit: %w", ErrNoChange)
	}

	gitDir, err := r.GitDir(ctx)
	if err != nil {
		return "", fmt.Errorf("creating commit: %w", err)
	}
	tmp, err := os.MkdirTemp(gitDir, commitTempPrefix+"*")
	if err != nil {
		return "", fmt.Errorf("creating commit: %w", err)
	}
	defer os.RemoveAll(tmp)
	index := cmdOpts{env: []string{"GIT_INDEX_FILE=" + filepath.Join(tmp, "index")}}

	modes := map[string]string{}
	if parentID != "" {
		if _, err := r.run(ctx, index, "read-tree", parentID); err != nil {
			return "", fmt.Errorf("creating commit: %w", err)
		}
		out, err := r.run(ctx, index, "ls-files", "--stage", "-z")
		if err != nil {
			return "", fmt.Errorf("creating commit: %w", err)
		}
		for _, rec := range bytes.Split(out, []byte{0}) {
			// <mode> SP <object> SP <stage> TAB <path>
			meta, p, ok := bytes.Cut(rec, []byte{'\t'})
			if !ok {
				continue
			}
			if mode, _, _ := bytes.Cut(meta, []byte{' '}); len(mode) > 0 {
				modes[string(p)] = string(mode)
			}
		}
	}

	oids, err := r.writeBlobs(ctx, tmp, paths, files)
	if err != nil {
		return "", fmt.Errorf("creating commit: %w", err)
	}
	var info bytes.Buffer
	for _, p := range paths {
		if files[p] == nil {
			if _, ok := modes[p]; ok {
				fmt.Fprintf(&info, "0 %s\t%s\x00", strings.Repeat("0", len(parentTree)), p)
			}
			continue
		}
		mode := "100644"
		if modes[p] == "100755" {
			mode = "100755"
		}
		fmt.Fprintf(&info, "%s %s\t%s\x00", mode, oids[p], p)
	}
	index.stdin = &info
	if _, err := r.run(ctx, index, "update-index", "-z", "--index-info"); err != nil {
		return "", fmt.Errorf("creating commit: %w", err)
	}
	index.stdin = nil
	out, err := r.run(ctx, index, "write-tree")
	if err != nil {
		return "", fmt.Errorf("creating commit: %w", err)
	}
	tree := strings.TrimSpace(string(out))
	if tree == parentTree {
		return "", fmt.Errorf("creating commit on %s: %w", parent, ErrNoChange)
	}
	args := []string{"commit-tree", tree}
	if parentID != "" {
		args = append(args, "-p", parentID)
	}
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	out, err = r.run(ctx, cmdOpts{stdin: strings.NewReader(msg)}, append(args, "-F", "-")...)
	if err != nil {
		return "", fmt.Errorf("creating commit: %w", err)
	}
	id := strings.TrimSpace(string(out))
	if !isOID(id) {
		return "", fmt.Errorf("creating commit: git commit-tree printed %q", id)
	}
	return id, nil
}

// writeBlobs stores the contents of paths as blobs with one git process
// and returns their ids.
func (r *Repo) writeBlobs(ctx context.Context, tmp string, paths []string, files map[string][]byte) (map[string]string, error) {
	var list bytes.Buffer
	var written []string
	for i, p := range paths {
		if files[p] == nil {
			continue
		}
		name := filepath.Join(tmp, "blob-"+strconv.Itoa(i))
		if err := os.WriteFile(name, files[p], 0o600); err != nil {
			return nil, err
		}
		list.WriteString(name + "\n")
		written = append(written, p)
	}
	oids := make(map[string]string, len(written))
	if len(written) == 0 {
		return oids, nil
	}
	out, err := r.run(ctx, cmdOpts{stdin: &list}, "hash-object", "-w", "--no-filters", "--stdin-paths")
	if err != nil {
		return nil, err
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(written) {
		return nil, fmt.Errorf("git hash-object returned %d ids for %d files", len(lines), len(written))
	}
	for i, p := range written {
		oids[p] = lines[i]
	}
	return oids, nil
}

// UpdateRef sets ref (a full name, "refs/heads/…") to newID only if it
// currently is oldID, or, when oldID is "", only if it does not exist: an
// atomic compare-and-swap. When the ref had another value, the error wraps
// ErrStale and nothing changed. reason goes into the reflog.
func (r *Repo) UpdateRef(ctx context.Context, ref, newID, oldID, reason string) error {
	if err := checkRef(ref); err != nil {
		return fmt.Errorf("updating ref: %w", err)
	}
	if !isOID(newID) {
		return fmt.Errorf("updating ref %s: new value %q is not a full object id", ref, newID)
	}
	if oldID != "" && !isOID(oldID) {
		return fmt.Errorf("updating ref %s: expected value %q is not a full object id", ref, oldID)
	}
	args := []string{"update-ref"}
	if reason != "" {
		args = append(args, "-m", strings.ReplaceAll(reason, "\n", " "))
	}
	if _, err := r.run(ctx, cmdOpts{}, append(args, ref, newID, oldID)...); err != nil {
		return fmt.Errorf("updating ref %s: %w", ref, r.classifyCAS(ctx, ref, oldID, err))
	}
	return nil
}

// DeleteRef deletes ref only if it currently is oldID; otherwise the error
// wraps ErrStale and nothing changed.
func (r *Repo) DeleteRef(ctx context.Context, ref, oldID string) error {
	if err := checkRef(ref); err != nil {
		return fmt.Errorf("deleting ref: %w", err)
	}
	if !isOID(oldID) {
		return fmt.Errorf("deleting ref %s: expected value %q is not a full object id", ref, oldID)
	}
	if _, err := r.run(ctx, cmdOpts{}, "update-ref", "-d", ref, oldID); err != nil {
		return fmt.Errorf("deleting ref %s: %w", ref, r.classifyCAS(ctx, ref, oldID, err))
	}
	return nil
}

// classifyCAS tells a failed compare-and-swap of ref from other failures.
func (r *Repo) classifyCAS(ctx context.Context, ref, oldID string, err error) error {
	if ctx.Err() != nil {
		return err
	}
	cur, rerr := r.RevParse(ctx, ref)
	if rerr != nil && !errors.Is(rerr, ErrNotFound) {
		return err
	}
	if cur != oldID {
		if cur == "" {
			cur = "absent"
		}
		want := oldID
		if want == "" {
			want = "absent"
		}
		return fmt.Errorf("%w: it is %s, expected %s (%w)", ErrStale, cur, want, err)
	}
	return err
}

// FastForward moves the branch base forward to the tip of the branch
// branch (names without "refs/heads/"). base must be an ancestor of branch
// (or not exist yet); otherwise the error wraps ErrNotFastForward. When
// base is checked out here, it runs git merge --ff-only, which updates the
// working tree and refuses, with an error wrapping ErrLocalChanges, when
// that would overwrite uncommitted changes or untracked files; it never
// stashes them. When base is not checked out, it moves the ref with a
// compare-and-swap and touches no files. A base checked out in another
// worktree is refused.
func (r *Repo) FastForward(ctx context.Context, base, branch string) error {
	if err := checkBranch(base); err != nil {
		return fmt.Errorf("fast-forwarding: %w", err)
	}
	if err := checkBranch(branch); err != nil {
		return fmt.Errorf("fast-forwarding %s: %w", base, err)
	}
	baseRef := "refs/heads/" + base
	target, err := r.resolveCommit(ctx, "refs/heads/"+branch)
	if err != nil {
		return fmt.Errorf("fast-forwarding %s to %s: %w", base, branch, err)
	}
	cur, err := r.RevParse(ctx, baseRef)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("fast-forwarding %s to %s: %w", base, branch, err)
	}
	if cur == target {
		return nil
	}
	if cur != "" {
		ok, err := r.IsAncestor(ctx, cur, target)
		if err != nil {
			return fmt.Errorf("fast-forwarding %s to %s: %w", base, branch, err)
		}
		if !ok {
			return fmt.Errorf("fast-forwarding %s to %s: %w: %s is not an ancestor of %s", base, branch, ErrNotFastForward, base, branch)
		}
	}
	current, err := r.CurrentBranch(ctx)
	if err != nil && !errors.Is(err, ErrDetached) {
		return fmt.Errorf("fast-forwarding %s to %s: %w", base, branch, err)
	}
	if current == base {
		if _, err := r.run(ctx, cmdOpts{}, "merge", "--ff-only", "--no-autostash", "--quiet", target); err != nil {
			return fmt.Errorf("fast-forwarding %s to %s: %w", base, branch, classifyMerge(err))
		}
		return nil
	}
	if wt, err := r.checkedOutElsewhere(ctx, baseRef); err != nil {
		return fmt.Errorf("fast-forwarding %s to %s: %w", base, branch, err)
	} else if wt != "" {
		return fmt.Errorf("fast-forwarding %s to %s: %s is checked out in the worktree %s; run there", base, branch, base, wt)
	}
	if err := r.UpdateRef(ctx, baseRef, target, cur, "fast-forward "+base+" to "+branch); err != nil {
		return fmt.Errorf("fast-forwarding %s to %s: %w", base, branch, err)
	}
	return nil
}

// classifyMerge recognizes why git merge --ff-only refused.
func classifyMerge(err error) error {
	stderr := stderrOf(err)
	switch {
	case strings.Contains(stderr, "would be overwritten"):
		var files []string
		for _, line := range strings.Split(stderr, "\n") {
			if strings.HasPrefix(line, "\t") {
				files = append(files, strings.TrimSpace(line))
			}
		}
		return fmt.Errorf("%w: %s (%w)", ErrLocalChanges, strings.Join(files, ", "), err)
	case strings.Contains(stderr, "Not possible to fast-forward"):
		return fmt.Errorf("%w (%w)", ErrNotFastForward, err)
	}
	return err
}

// checkedOutElsewhere returns the path of a worktree other than the
// current one that has ref checked out, or "".
func (r *Repo) checkedOutElsewhere(ctx context.Context, ref string) (string, error) {
	wts, err := r.Worktrees(ctx)
	if err != nil {
		return "", err
	}
	for _, wt := range wts {
		if "refs/heads/"+wt.Branch == ref && !wt.Current {
			return wt.Path, nil
		}
	}
	return "", nil
}

// Worktree is one working tree of the repository.
type Worktree struct {
	Path string
	// Branch is the branch checked out there, without "refs/heads/"; ""
	// when HEAD is detached there or the entry is the bare repository.
	Branch string
	// Current: the working tree of Repo.Dir.
	Current bool
}

// Worktrees lists the working trees of the repository (git worktree
// list), the main one first.
func (r *Repo) Worktrees(ctx context.Context) ([]Worktree, error) {
	out, err := r.output(ctx, "worktree", "list", "--porcelain")
	if err != nil {
		return nil, fmt.Errorf("listing worktrees: %w", err)
	}
	var wts []Worktree
	for _, line := range strings.Split(out, "\n") {
		if p, ok := strings.CutPrefix(line, "worktree "); ok {
			wts = append(wts, Worktree{Path: filepath.FromSlash(p)})
		} else if b, ok := strings.CutPrefix(line, "branch "); ok && len(wts) > 0 {
			wts[len(wts)-1].Branch = strings.TrimPrefix(b, "refs/heads/")
		}
	}
	here, err := os.Stat(r.Dir)
	if err != nil {
		return nil, fmt.Errorf("listing worktrees: %w", err)
	}
	for i := range wts {
		if fi, err := os.Stat(wts[i].Path); err == nil && os.SameFile(fi, here) {
			wts[i].Current = true
		}
	}
	return wts, nil
}

// MergeBase returns the best common ancestor of a and b. Commits without
// a common ancestor give an error wrapping ErrNotFound.
func (r *Repo) MergeBase(ctx context.Context, a, b string) (string, error) {
	ida, idb, err := r.resolvePair(ctx, a, b)
	if err != nil {
		return "", fmt.Errorf("finding the merge base of %s and %s: %w", a, b, err)
	}
	out, err := r.output(ctx, "merge-base", ida, idb)
	if err != nil {
		var gerr *Error
		if errors.As(err, &gerr) && gerr.ExitCode() == 1 && ctx.Err() == nil {
			return "", fmt.Errorf("finding the merge base of %s and %s: no common ancestor: %w", a, b, ErrNotFound)
		}
		return "", fmt.Errorf("finding the merge base of %s and %s: %w", a, b, err)
	}
	return out, nil
}

// IsAncestor reports whether commit a is an ancestor of commit b (a commit
// is its own ancestor).
func (r *Repo) IsAncestor(ctx context.Context, a, b string) (bool, error) {
	ida, idb, err := r.resolvePair(ctx, a, b)
	if err != nil {
		return false, fmt.Errorf("checking whether %s is an ancestor of %s: %w", a, b, err)
	}
	_, err = r.run(ctx, cmdOpts{}, "merge-base", "--is-ancestor", ida, idb)
	if err == nil {
		return true, nil
	}
	var gerr *Error
	if errors.As(err, &gerr) && gerr.ExitCode() == 1 && ctx.Err() == nil {
		return false, nil
	}
	return false, fmt.Errorf("checking whether %s is an ancestor of %s: %w", a, b, err)
}

func (r *Repo) resolvePair(ctx context.Context, a, b string) (string, string, error) {
	ida, err := r.resolveCommit(ctx, a)
	if err != nil {
		return "", "", err
	}
	idb, err := r.resolveCommit(ctx, b)
	if err != nil {
		return "", "", err
	}
	return ida, idb, nil
}

// commitTempPrefix names the private directories of CommitFiles in the
// git directory.
const commitTempPrefix = "cvetrail-commit-"

// CleanTemp removes the private index directories that CommitFiles runs
// killed midway left in the git directory, and returns their paths. Call
// it only while holding the run lock, so no CommitFiles is in progress.
func (r *Repo) CleanTemp(ctx context.Context) ([]string, error) {
	gitDir, err := r.GitDir(ctx)
	if err != nil {
		return nil, fmt.Errorf("removing temporary files: %w", err)
	}
	entries, err := os.ReadDir(gitDir)
	if err != nil {
		return nil, fmt.Errorf("removing temporary files: %w", err)
	}
	var removed []string
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), commitTempPrefix) {
			continue
		}
		p := filepath.Join(gitDir, e.Name())
		if err := os.RemoveAll(p); err != nil {
			return removed, fmt.Errorf("removing temporary files: %w", err)
		}
		removed = append(removed, p)
	}
	return removed, nil
}
