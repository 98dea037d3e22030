// Package gitrepo runs the real git binary for cvetrail. It knows nothing
// about vulnerabilities: it reads trees, files and history, builds commits
// with plumbing commands, moves refs with compare-and-swap, fast-forwards
// branches, pushes with leases, and keeps a lock file under the git
// directory.
//
// Crash safety comes from doing every change in git's own atomic steps.
// CommitFiles writes objects and a commit without touching the working
// tree, the index or any ref; UpdateRef then moves one ref only if it still
// has the expected value. A process killed between two steps leaves at
// most unreachable objects, which git ignores and later collects.
//
// Every command runs with GIT_TERMINAL_PROMPT=0, LC_ALL=C and literal
// pathspecs. Variables that point git at another repository (GIT_DIR,
// GIT_WORK_TREE, GIT_INDEX_FILE, …) are removed from the inherited
// environment, so a Repo always works on its Dir. Secrets, such as a
// token for pushing, belong in Repo.Env (GIT_CONFIG_COUNT, GIT_CONFIG_KEY_n,
// GIT_CONFIG_VALUE_n), never in arguments: failed commands report their
// arguments in errors.
//
// It needs git 2.38 or later: the daily run merges with merge-tree
// --write-tree.
package gitrepo
