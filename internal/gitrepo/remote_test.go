package gitrepo

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestPushWithLease(t *testing.T) {
	ctx, r := newRepo(t)
	bare := filepath.Join(t.TempDir(), "origin.git")
	git(t, filepath.Dir(bare), nil, "init", "--quiet", "--bare", bare)
	git(t, r.Dir, nil, "remote", "add", "origin", bare)
	c1 := commit(t, r, "base", nil, map[string]string{"f": "1\n"})
	git(t, r.Dir, nil, "branch", "cvetrail/daily-report")
	const branch = "cvetrail/daily-report"
	remoteTip := func() string {
		t.Helper()
		out, err := (&Repo{Dir: bare}).output(ctx, "for-each-ref", "--format=%(objectname)", "refs/heads/"+branch)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	if url, err := r.RemoteURL(ctx, "origin"); err != nil || url != bare {
		t.Errorf("RemoteURL = %q, %v; want %q", url, err, bare)
	}
	if _, err := r.RemoteURL(ctx, "upstream"); !errors.Is(err, ErrNotFound) {
		t.Errorf("RemoteURL of an unknown remote: %v, want ErrNotFound", err)
	}
	if _, err := r.RemoteBranch(ctx, "origin", branch); !errors.Is(err, ErrNotFound) {
		t.Errorf("RemoteBranch before the push: %v, want ErrNotFound", err)
	}

	// "" means the remote must not have the branch yet.
	if err := r.Push(ctx, "origin", branch, ""); err != nil {
		t.Fatal(err)
	}
	if got := remoteTip(); got != c1 {
		t.Errorf("remote branch = %q, want %s", got, c1)
	}
	if id, err := r.RemoteBranch(ctx, "origin", branch); err != nil || id != c1 {
		t.Errorf("RemoteBranch = %q, %v; want %s", id, err, c1)
	}
	if err := r.Push(ctx, "origin", branch, ""); err != nil {
		t.Errorf("pushing what the remote already has: %v", err)
	}

	c2, err := r.CommitFiles(ctx, c1, map[string][]byte{"f": []byte("2\n")}, "two")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef(ctx, "refs/heads/"+branch, c2, c1, "two"); err != nil {
		t.Fatal(err)
	}
	if err := r.Push(ctx, "origin", branch, ""); !errors.Is(err, ErrStale) {
		t.Errorf("push expecting no remote branch: %v, want ErrStale", err)
	}
	if err := r.Push(ctx, "origin", branch, c2); !errors.Is(err, ErrStale) {
		t.Errorf("push with a wrong lease: %v, want ErrStale", err)
	}
	if got := remoteTip(); got != c1 {
		t.Errorf("after failed pushes the remote branch is %s, want %s", got, c1)
	}
	if err := r.Push(ctx, "origin", branch, c1); err != nil {
		t.Fatal(err)
	}
	if got := remoteTip(); got != c2 {
		t.Errorf("remote branch = %s, want %s", got, c2)
	}

	// A rebuilt branch (not a fast-forward) replaces the remote one when the
	// lease holds.
	c3, err := r.CommitFiles(ctx, c1, map[string][]byte{"f": []byte("3\n")}, "rebuilt")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateRef(ctx, "refs/heads/"+branch, c3, c2, "rebuild"); err != nil {
		t.Fatal(err)
	}
	if err := r.Push(ctx, "origin", branch, c2); err != nil {
		t.Fatal(err)
	}
	if got := remoteTip(); got != c3 {
		t.Errorf("remote branch = %s, want %s", got, c3)
	}

	if err := r.DeleteRemoteBranch(ctx, "origin", branch, c2); !errors.Is(err, ErrStale) {
		t.Errorf("delete with a wrong lease: %v, want ErrStale", err)
	}
	if err := r.DeleteRemoteBranch(ctx, "origin", branch, c3); err != nil {
		t.Fatal(err)
	}
	if got := remoteTip(); got != "" {
		t.Errorf("remote branch still %s after delete", got)
	}
	if err := r.DeleteRemoteBranch(ctx, "origin", branch, ""); err == nil {
		t.Error("DeleteRemoteBranch without expectation succeeded")
	}
	if err := r.Push(ctx, "--upload-pack=evil", branch, ""); err == nil {
		t.Error("Push accepted a remote that looks like an option")
	}

	// Fetch brings the remote's main.
	if err := r.Push(ctx, "origin", "main", ""); err != nil {
		t.Fatal(err)
	}
	clone := t.TempDir()
	git(t, clone, nil, "init", "--quiet")
	cr := &Repo{Dir: clone}
	if err := cr.Fetch(ctx, bare, "refs/heads/main:refs/remotes/origin/main"); err != nil {
		t.Fatal(err)
	}
	if id, err := cr.RevParse(ctx, "refs/remotes/origin/main"); err != nil || id != c1 {
		t.Errorf("fetched main = %q, %v; want %s", id, err, c1)
	}
}

func TestPushRejected(t *testing.T) {
	ctx, r := newRepo(t)
	bare := filepath.Join(t.TempDir(), "origin.git")
	git(t, filepath.Dir(bare), nil, "init", "--quiet", "--bare", bare)
	hook := filepath.Join(bare, "hooks", "pre-receive")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho protected branch >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	git(t, r.Dir, nil, "remote", "add", "origin", bare)
	commit(t, r, "base", nil, map[string]string{"f": "1\n"})
	err := r.Push(ctx, "origin", "main", "")
	if !errors.Is(err, ErrRejected) || errors.Is(err, ErrStale) {
		t.Errorf("push refused by a hook: %v, want ErrRejected", err)
	}
}
