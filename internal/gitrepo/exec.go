package gitrepo

import "context"

// Git runs `git args...` in the repository and returns its standard output.
// It is for the few plumbing commands the typed methods do not cover
// (merge-tree, commit-tree, diff-tree, reset of index paths, ls-remote);
// args must come from cvetrail, never from untrusted text that could be
// read as an option.
func (r *Repo) Git(ctx context.Context, args ...string) ([]byte, error) {
	return r.run(ctx, cmdOpts{}, args...)
}
