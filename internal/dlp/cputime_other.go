//go:build !unix

package dlp

import "time"

// ProcessCPUTime returns false: this platform's process CPU time is not
// read here. See the unix version.
func ProcessCPUTime() (time.Duration, bool) { return 0, false }
