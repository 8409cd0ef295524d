package rsmf

// SetMemorySpool lowers the in-memory limit of Validate for a test and
// returns a function restoring it.
func SetMemorySpool(n int) (restore func()) {
	old := memorySpool
	memorySpool = n
	return func() { memorySpool = old }
}
