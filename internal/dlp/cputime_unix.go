//go:build unix

package dlp

import (
	"syscall"
	"time"
)

// ProcessCPUTime returns the user and system CPU time the process has
// used, and true; false where the platform cannot tell. Benchmarks on a
// busy machine divide by it, rather than by wall time, to measure work
// per core: `steward bench dlp` runs with GOMAXPROCS 1.
func ProcessCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
