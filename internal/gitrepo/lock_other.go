//go:build !unix

package gitrepo

// processDead cannot tell on this system; only the age of a lock makes it
// stale.
func processDead(pid int) bool { return false }
