//go:build unix

package bench

import (
	"syscall"
	"time"
)

// CPUTime returns the processor time (user and system) the process has
// used so far, or zero where it cannot be read. On a shared machine it
// says more about a benchmark than wall time does.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
