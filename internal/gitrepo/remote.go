package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

func checkRemote(remote string) error {
	switch {
	case remote == "":
		return errors.New("empty remote name")
	case strings.HasPrefix(remote, "-"):
		return fmt.Errorf("remote %q starts with a dash", remote)
	case strings.ContainsAny(remote, "\x00\n"):
		return fmt.Errorf("remote %q contains a NUL or newline", remote)
	}
	return nil
}

// Push sets the branch on remote to the local branch's tip, only if the
// remote's branch currently is expectedRemoteID, or, when that is "", only
// if the remote has no such branch: git push --force-with-lease with an
// explicit expectation, so it never depends on remote-tracking refs. When
// the remote's branch had another value, the error wraps ErrStale and
// nothing changed; a refusal for another reason wraps ErrRejected. A
// remote branch already at the local tip is success. Credentials belong
// in Repo.Env, never in remote.
func (r *Repo) Push(ctx context.Context, remote, branch, expectedRemoteID string) error {
	if err := checkRemote(remote); err != nil {
		return fmt.Errorf("pushing: %w", err)
	}
	if err := checkBranch(branch); err != nil {
		return fmt.Errorf("pushing to %s: %w", remote, err)
	}
	if expectedRemoteID != "" && !isOID(expectedRemoteID) {
		return fmt.Errorf("pushing %s to %s: expected value %q is not a full object id", branch, remote, expectedRemoteID)
	}
	ref := "refs/heads/" + branch
	if err := r.push(ctx, remote, ref, expectedRemoteID, ref+":"+ref); err != nil {
		return fmt.Errorf("pushing %s to %s: %w", branch, remote, err)
	}
	return nil
}

// DeleteRemoteBranch deletes the branch on remote, only if it currently is
// expected (a full object id); otherwise the error wraps ErrStale.
func (r *Repo) DeleteRemoteBranch(ctx context.Context, remote, branch, expected string) error {
	if err := checkRemote(remote); err != nil {
		return fmt.Errorf("deleting remote branch: %w", err)
	}
	if err := checkBranch(branch); err != nil {
		return fmt.Errorf("deleting remote branch on %s: %w", remote, err)
	}
	if !isOID(expected) {
		return fmt.Errorf("deleting branch %s on %s: expected value %q is not a full object id", branch, remote, expected)
	}
	ref := "refs/heads/" + branch
	if err := r.push(ctx, remote, ref, expected, ":"+ref); err != nil {
		return fmt.Errorf("deleting branch %s on %s: %w", branch, remote, err)
	}
	return nil
}

func (r *Repo) push(ctx context.Context, remote, ref, expected, refspec string) error {
	out, err := r.run(ctx, cmdOpts{}, "push", "--porcelain", "--force-with-lease="+ref+":"+expected, "--end-of-options", remote, refspec)
	if err == nil || ctx.Err() != nil {
		return err
	}
	// --porcelain prints "<flag>\t<from>:<to>\t<summary>" per ref; "!" is a
	// refusal.
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 || f[0] != "!" {
			continue
		}
		if strings.Contains(f[2], "stale info") {
			want := expected
			if want == "" {
				want = "absent"
			}
			return fmt.Errorf("%w: the remote branch is not %s (%w)", ErrStale, want, err)
		}
		return fmt.Errorf("%w: %s (%w)", ErrRejected, f[2], err)
	}
	return err
}

// RemoteBranch returns the commit id of branch on remote, as the remote
// reports it now. A remote without that branch gives "" and an error
// wrapping ErrNotFound.
func (r *Repo) RemoteBranch(ctx context.Context, remote, branch string) (string, error) {
	if err := checkRemote(remote); err != nil {
		return "", fmt.Errorf("querying remote branch: %w", err)
	}
	if err := checkBranch(branch); err != nil {
		return "", fmt.Errorf("querying remote branch on %s: %w", remote, err)
	}
	ref := "refs/heads/" + branch
	out, err := r.output(ctx, "ls-remote", "--refs", "--end-of-options", remote, ref)
	if err != nil {
		return "", fmt.Errorf("querying branch %s on %s: %w", branch, remote, err)
	}
	for _, line := range strings.Split(out, "\n") {
		id, name, ok := strings.Cut(line, "\t")
		if ok && name == ref && isOID(id) {
			return id, nil
		}
	}
	return "", fmt.Errorf("querying branch %s on %s: %w", branch, remote, ErrNotFound)
}

// Fetch runs git fetch remote refspecs… without tags.
func (r *Repo) Fetch(ctx context.Context, remote string, refspecs ...string) error {
	if err := checkRemote(remote); err != nil {
		return fmt.Errorf("fetching: %w", err)
	}
	for _, s := range refspecs {
		if s == "" || strings.HasPrefix(s, "-") {
			return fmt.Errorf("fetching from %s: invalid refspec %q", remote, s)
		}
	}
	args := append([]string{"fetch", "--quiet", "--no-tags", "--end-of-options", remote}, refspecs...)
	if _, err := r.run(ctx, cmdOpts{}, args...); err != nil {
		return fmt.Errorf("fetching from %s: %w", remote, err)
	}
	return nil
}

// RemoteURL returns the URL of the remote name, with git's insteadOf
// rewriting applied. A URL can carry credentials a user put there: redact
// it before showing it. An unknown remote gives an error wrapping
// ErrNotFound.
func (r *Repo) RemoteURL(ctx context.Context, name string) (string, error) {
	if err := checkRemote(name); err != nil {
		return "", fmt.Errorf("reading remote URL: %w", err)
	}
	out, err := r.output(ctx, "remote", "get-url", "--end-of-options", name)
	if err != nil {
		if strings.Contains(stderrOf(err), "No such remote") {
			return "", fmt.Errorf("reading the URL of remote %s: %w", name, ErrNotFound)
		}
		return "", fmt.Errorf("reading the URL of remote %s: %w", name, err)
	}
	return out, nil
}

// Fsck checks the connectivity and validity of the repository's objects.
// Unreachable objects, such as those a killed run leaves, are not errors.
func (r *Repo) Fsck(ctx context.Context) error {
	if _, err := r.run(ctx, cmdOpts{}, "fsck", "--no-progress", "--no-dangling"); err != nil {
		return fmt.Errorf("checking the repository: %w", err)
	}
	return nil
}
