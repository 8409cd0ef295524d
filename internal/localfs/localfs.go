// Package localfs is a steward.BlobStore on the local filesystem. It keeps
// sealed attachment bytes, never plaintext, one file per key:
//
//	DIR/ab/cd/abcd…(64 hex digits)
//
// Two levels of 256 directories keep every directory small at hundreds of
// millions of blobs. Writes go to a temporary file in DIR, are synced, and
// are renamed into place, so a key is either absent or complete.
package localfs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// tempPrefix starts the name of every file being written. Such files are
// never keys: List skips them and Open removes stale ones.
const tempPrefix = ".tmp-put-"

// staleAge is how old a temporary file must be before Open removes it. It
// is long because another process (`steward serve` while an operator runs
// a maintenance command) may share the directory and be mid-Put.
const staleAge = time.Hour

// Store is a steward.BlobStore rooted at one directory. It is safe for
// concurrent use, also by several processes sharing the directory.
type Store struct {
	dir string
}

var _ steward.BlobStore = (*Store)(nil)

// Open returns the store rooted at dir, creating dir with mode 0700 if
// missing, and removes temporary files left by writes that crashed more
// than an hour ago.
func Open(dir string) (*Store, error) {
	const op steward.Op = "localfs.Open"
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, writeErr(op, "cannot create blob directory", err)
	}
	s := &Store{dir: dir}
	if err := s.removeStale(time.Now().Add(-staleAge)); err != nil {
		return nil, steward.E(op, "cannot clean temporary files", err)
	}
	return s, nil
}

// removeStale removes temporary files last written before cutoff. Temporary
// files live only in the top directory, so this reads one directory, not
// the whole store. Removal is best effort, so that a read-only mount (a
// snapshot being verified) still opens.
func (s *Store) removeStale(cutoff time.Time) error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // its Put finished or another Open removed it
		} else if err != nil {
			return err
		}
		if fi.ModTime().Before(cutoff) {
			os.Remove(filepath.Join(s.dir, e.Name()))
		}
	}
	return nil
}

// validKey reports whether key is 64 lowercase hex digits. Nothing else
// reaches the filesystem, which also rules out path traversal.
func validKey(key string) bool { return len(key) == 64 && isHex(key) }

// isHex reports whether s is lowercase hex digits only.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func invalidKey(op steward.Op) error {
	return steward.E(op, steward.Invalid, "blob key must be 64 lowercase hex digits")
}

// path returns the file of a valid key.
func (s *Store) path(key string) string {
	return filepath.Join(s.dir, key[0:2], key[2:4], key)
}

// Put stores the bytes of r under key, durably: the file and its directory
// are synced before Put returns. If key is already stored, Put reads r to
// its end and keeps the existing file; keys name content, so the bytes are
// the same.
//
// Returns Invalid for a malformed key; Unavailable if the filesystem
// cannot take writes (full, over quota, read-only); and r's error, or the
// context's, if reading stops early, in which case nothing is stored.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) error {
	const op steward.Op = "localfs.Put"
	if !validKey(key) {
		return invalidKey(op)
	}
	final := s.path(key)
	if _, err := os.Lstat(final); err == nil {
		// Drain r so that a caller streaming into a pipe is not left blocked.
		if _, err := io.Copy(io.Discard, ctxReader{ctx, r}); err != nil {
			return steward.E(op, "reading blob content", errors.Unwrap(err))
		}
		return nil
	}
	if err := s.mkdirs(key); err != nil {
		return writeErr(op, "cannot create blob directory", err)
	}

	// The temporary file sits in the top directory, on the same filesystem
	// as every key, so the rename is atomic, and Open's clean-up need not
	// walk the whole tree.
	f, err := os.CreateTemp(s.dir, tempPrefix+"*")
	if err != nil {
		return writeErr(op, "cannot create blob file", err)
	}
	tmp := f.Name()
	committed := false
	defer func() {
		if !committed {
			f.Close()
			os.Remove(tmp)
		}
	}()

	if _, err := io.Copy(f, ctxReader{ctx, r}); err != nil {
		var rerr readError
		if errors.As(err, &rerr) {
			return steward.E(op, "reading blob content", rerr.err)
		}
		return writeErr(op, "cannot write blob file", err)
	}
	if err := f.Sync(); err != nil {
		return writeErr(op, "cannot sync blob file", err)
	}
	if err := f.Close(); err != nil {
		return writeErr(op, "cannot close blob file", err)
	}
	// A concurrent Put of the same key may rename first; renaming over it
	// is harmless, since both files hold the same bytes.
	if err := os.Rename(tmp, final); err != nil {
		return writeErr(op, "cannot rename blob file", err)
	}
	committed = true
	if err := syncDir(filepath.Dir(final)); err != nil {
		return writeErr(op, "cannot sync blob directory", err)
	}
	return nil
}

// mkdirs creates the two directory levels of key, syncing the parent of
// each directory it creates so that the new entry survives a crash along
// with the blob below it.
func (s *Store) mkdirs(key string) error {
	parent := s.dir
	for _, name := range []string{key[0:2], key[2:4]} {
		d := filepath.Join(parent, name)
		err := os.Mkdir(d, 0o700)
		switch {
		case err == nil:
			if err := syncDir(parent); err != nil {
				return err
			}
		case errors.Is(err, fs.ErrExist):
		default:
			return err
		}
		parent = d
	}
	return nil
}

// Get opens the bytes under key; the caller must close the reader.
// Returns Invalid for a malformed key and NotFound if key is not stored.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	const op steward.Op = "localfs.Get"
	if !validKey(key) {
		return nil, invalidKey(op)
	}
	f, err := os.Open(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, steward.E(op, steward.NotFound, "blob not found")
	} else if err != nil {
		return nil, steward.E(op, err)
	}
	return f, nil
}

// Stat returns the stored size of key. Returns Invalid for a malformed key
// and NotFound if key is not stored.
func (s *Store) Stat(ctx context.Context, key string) (int64, error) {
	const op steward.Op = "localfs.Stat"
	if !validKey(key) {
		return 0, invalidKey(op)
	}
	fi, err := os.Stat(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, steward.E(op, steward.NotFound, "blob not found")
	} else if err != nil {
		return 0, steward.E(op, err)
	}
	return fi.Size(), nil
}

// Delete removes key, durably. Deleting a key that is not stored is not an
// error. Returns Invalid for a malformed key.
func (s *Store) Delete(ctx context.Context, key string) error {
	const op steward.Op = "localfs.Delete"
	if !validKey(key) {
		return invalidKey(op)
	}
	p := s.path(key)
	err := os.Remove(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return writeErr(op, "cannot delete blob", err)
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		return writeErr(op, "cannot sync blob directory", err)
	}
	return nil
}

// List calls fn for each stored key, in directory order, and stops at the
// first error fn returns, which List then returns unchanged. Keys put or
// deleted during List may or may not be seen. Files that are not keys in
// their proper place (temporary files, strays) are skipped.
func (s *Store) List(ctx context.Context, fn func(key string) error) error {
	const op steward.Op = "localfs.List"
	tops, err := readDirNames(s.dir)
	if err != nil {
		return steward.E(op, err)
	}
	for _, a := range tops {
		if !isHexPair(a) {
			continue
		}
		subs, err := readDirNames(filepath.Join(s.dir, a))
		if err != nil {
			return steward.E(op, err)
		}
		for _, b := range subs {
			if !isHexPair(b) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return steward.E(op, err)
			}
			names, err := readDirNames(filepath.Join(s.dir, a, b))
			if err != nil {
				return steward.E(op, err)
			}
			for _, key := range names {
				if !validKey(key) || key[0:2] != a || key[2:4] != b {
					continue
				}
				if err := fn(key); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// readDirNames lists a directory without sorting or stat-ing its entries;
// a directory that vanished is empty.
func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

func isHexPair(name string) bool { return len(name) == 2 && isHex(name) }

// syncDir makes changes to a directory's entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeErr classifies a failed write: a full, over-quota or read-only
// filesystem is Unavailable, because it clears without a code change and
// the capture path must stop taking messages it cannot keep. Anything else
// is Internal, with msg for the log.
func writeErr(op steward.Op, msg string, err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return steward.E(op, steward.Unavailable, "blob store cannot take writes: disk full", err)
	case errors.Is(err, syscall.EROFS):
		return steward.E(op, steward.Unavailable, "blob store cannot take writes: read-only file system", err)
	}
	return steward.E(op, steward.Internal, msg, err)
}

// readError marks an error that came from the caller's reader rather than
// the file, so that Put does not report a broken upload as a disk fault.
type readError struct{ err error }

func (e readError) Error() string { return e.err.Error() }
func (e readError) Unwrap() error { return e.err }

// ctxReader stops a long copy when ctx is done and tags read errors.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, readError{err}
	}
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		err = readError{err}
	}
	return n, err
}
