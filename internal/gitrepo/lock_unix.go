//go:build unix

package gitrepo

import (
	"errors"
	"syscall"
)

// processDead reports whether no process with pid exists on this host.
// A process of another user (EPERM) is alive.
func processDead(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
