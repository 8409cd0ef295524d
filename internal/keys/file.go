package keys

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/steward-gov/steward/internal/steward"
)

// maxFileSize bounds a key file. A thousand rotations fit in 100 KiB; a
// larger file is a wrong path, not a keyring.
const maxFileSize = 1 << 20

// fileHeader starts every key file CreateFile writes, so that an operator
// who opens it knows how to rotate without reading the source.
const fileHeader = `# Steward key-encryption keys. Keep this file secret, mode 0600, and backed up
# apart from the archive: without it no archived content can be read.
# One key per line, "BASE64" or "ID:BASE64" (32 random bytes). The LAST key is
# current. To rotate, append a new key; never delete one still in use.
`

// LoadFile reads a key file in the format of ParseKeyring.
//
// Returns NotFound, wrapping fs.ErrNotExist, if the file does not exist (a
// first start then calls CreateFile); Invalid if the file is readable or
// writable by group or others (mode & 0o077 != 0) or its content is
// malformed.
func LoadFile(path string) (*Keyring, error) {
	const op steward.Op = "keys.LoadFile"
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		// The cause stays in the chain: callers test errors.Is(err,
		// fs.ErrNotExist) to decide on a first start.
		return nil, steward.E(op, steward.NotFound, "key file "+path+" does not exist", err)
	} else if err != nil {
		return nil, steward.E(op, "cannot open key file", err)
	}
	defer f.Close()

	// Check the mode of the file we opened, not of the path, so that a
	// swap between the check and the read cannot slip a looser file in.
	fi, err := f.Stat()
	if err != nil {
		return nil, steward.E(op, "cannot stat key file", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, steward.Errorf(op, steward.Invalid, "key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, steward.Errorf(op, steward.Invalid,
			"key file %s has mode %04o, open to group or others; run chmod 600 on it", path, perm)
	}

	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	defer Zero(b)
	if err != nil {
		return nil, steward.E(op, "cannot read key file", err)
	}
	if len(b) > maxFileSize {
		return nil, steward.Errorf(op, steward.Invalid, "key file %s is larger than %d bytes", path, maxFileSize)
	}
	return parse(op, "key file "+path, b)
}

// CreateFile creates a key file holding one fresh random key and returns
// its keyring. It creates the parent directory with mode 0700 if missing
// (an existing directory keeps its mode) and the file with mode 0600, and
// syncs both before returning, so that no record is sealed under a key that
// a crash could lose. It is meant for a first start and `steward demo`.
//
// Returns Conflict if the file already exists: it never overwrites a key.
func CreateFile(path string) (*Keyring, error) {
	const op steward.Op = "keys.CreateFile"
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, steward.E(op, "cannot create key directory", err)
	}

	key := make([]byte, KeySize)
	rand.Read(key)
	b := make([]byte, 0, len(fileHeader)+base64.StdEncoding.EncodedLen(KeySize)+1)
	b = append(b, fileHeader...)
	b = base64.StdEncoding.AppendEncode(b, key)
	b = append(b, '\n')
	Zero(key)
	defer Zero(b)

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, steward.Errorf(op, steward.Conflict, "key file %s already exists", path)
	} else if err != nil {
		return nil, steward.E(op, "cannot create key file", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		// A half-written file would make every later start fail with
		// Invalid, and CreateFile with Conflict; remove it.
		os.Remove(path)
		return nil, steward.E(op, "cannot write key file", err)
	}
	return parse(op, "key file "+path, b)
}

// syncDir makes a new directory entry durable.
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
