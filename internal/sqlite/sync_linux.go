package sqlite

import (
	"os"
	"syscall"
)

// syncFile flushes f's data to disk. fdatasync skips metadata a later read
// does not need (timestamps), as SQLite itself does on Linux; a grown file
// size is still flushed, so appended WAL frames are durable.
func syncFile(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
