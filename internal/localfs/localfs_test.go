package localfs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/blobtest"
	"github.com/steward-gov/steward/internal/localfs"
	"github.com/steward-gov/steward/internal/steward"
)

func TestBlobStore(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) steward.BlobStore {
		s, err := localfs.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func mustOpen(t *testing.T, dir string) *localfs.Store {
	t.Helper()
	s, err := localfs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// files returns every regular file under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return err
	})
	return out
}

func TestLayoutAndModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blobs")
	s := mustOpen(t, dir)
	key, data := blobtest.Blob(10)
	if err := s.Put(context.Background(), key, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(key[0:2], key[2:4], key)
	if got := files(t, dir); len(got) != 1 || got[0] != want {
		t.Fatalf("files = %v, want [%s] and no temporary file", got, want)
	}
	for p, mode := range map[string]os.FileMode{
		dir: 0o700, filepath.Join(dir, key[0:2]): 0o700, filepath.Join(dir, key[0:2], key[2:4]): 0o700,
		filepath.Join(dir, want): 0o600,
	} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got&^mode != 0 {
			t.Errorf("%s has mode %04o, want at most %04o", p, got, mode)
		}
	}
}

func TestFailedPutLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	key, _ := blobtest.Blob(1)
	cause := errors.New("upload cut off")
	r := io.MultiReader(strings.NewReader("partial"), errReader{cause})
	err := s.Put(context.Background(), key, r)
	if !errors.Is(err, cause) {
		t.Fatalf("Put = %v, want it to wrap the reader's error", err)
	}
	if steward.Is(steward.Unavailable, err) {
		t.Fatal("a reader's failure was reported as the disk's")
	}
	if got := files(t, dir); len(got) != 0 {
		t.Fatalf("failed Put left %v", got)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = s.Put(ctx, key, strings.NewReader("x"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a cancelled context = %v", err)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Fatalf("cancelled Put left %v", got)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestOpenRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	mustOpen(t, dir)
	stale := filepath.Join(dir, ".tmp-put-123")
	fresh := filepath.Join(dir, ".tmp-put-456")
	other := filepath.Join(dir, "operator-notes.txt")
	for _, p := range []string{stale, fresh, other} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	os.Chtimes(other, old, old)

	s := mustOpen(t, dir)
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Error("Open kept a temporary file two hours old")
	}
	for _, p := range []string{fresh, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("Open removed %s: %v", filepath.Base(p), err)
		}
	}
	// Neither the temporary file of a Put in flight nor a stray is a key.
	var n int
	s.List(context.Background(), func(string) error { n++; return nil })
	if n != 0 {
		t.Errorf("List returned %d keys from temporary and stray files", n)
	}
}

func TestListSkipsStrays(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)
	key, data := blobtest.Blob(5)
	if err := s.Put(context.Background(), key, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	misplaced, _ := blobtest.Blob(6)
	leaf := filepath.Join(dir, key[0:2], key[2:4])
	os.WriteFile(filepath.Join(leaf, misplaced), nil, 0o600) // a key in the wrong directory
	os.WriteFile(filepath.Join(leaf, "notes"), nil, 0o600)
	os.MkdirAll(filepath.Join(dir, "lost+found"), 0o700)
	os.MkdirAll(filepath.Join(dir, "ZZ", "00"), 0o700)

	var got []string
	if err := s.List(context.Background(), func(k string) error { got = append(got, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != key {
		t.Fatalf("List = %v, want [%s]", got, key)
	}
}

func TestListCancelled(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	key, data := blobtest.Blob(5)
	s.Put(context.Background(), key, bytes.NewReader(data))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.List(ctx, func(string) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("List with a cancelled context = %v", err)
	}
}
