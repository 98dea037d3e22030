//go:build unix

package scanner

import (
	"os/exec"
	"syscall"
)

// killGroup runs cmd in a process group of its own and makes cancellation
// kill the whole group, so that helper processes of the scanner (or of a
// wrapper script) do not outlive it.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
