package localfs

import (
	"errors"
	"io/fs"
	"syscall"
	"testing"

	"github.com/steward-gov/steward/internal/steward"
)

func TestWriteErr(t *testing.T) {
	for _, tc := range []struct {
		errno syscall.Errno
		kind  steward.Kind
		msg   string
	}{
		{syscall.ENOSPC, steward.Unavailable, "blob store cannot take writes: disk full"},
		{syscall.EDQUOT, steward.Unavailable, "blob store cannot take writes: disk full"},
		{syscall.EROFS, steward.Unavailable, "blob store cannot take writes: read-only file system"},
		{syscall.EIO, steward.Internal, "internal error"},
	} {
		cause := &fs.PathError{Op: "write", Path: "/x/.tmp-put-1", Err: tc.errno}
		err := writeErr("localfs.Put", "cannot write blob file", cause)
		if got := steward.KindOf(err); got != tc.kind {
			t.Errorf("%v: kind %v, want %v", tc.errno, got, tc.kind)
		}
		if got := steward.PublicMessage(err); got != tc.msg {
			t.Errorf("%v: message %q, want %q", tc.errno, got, tc.msg)
		}
		if !errors.Is(err, tc.errno) {
			t.Errorf("%v: cause lost", tc.errno)
		}
	}
}
