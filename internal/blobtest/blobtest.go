// Package blobtest is the conformance suite for steward.BlobStore. Every
// implementation (the local filesystem now, S3 later) runs it from its own
// tests:
//
//	func TestBlobStore(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) steward.BlobStore {
//			s, err := localfs.Open(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// The suite checks the contract written on steward.BlobStore, plus what the
// archive relies on beyond it: malformed keys are Invalid, and a Put that
// fails leaves no key behind.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/steward-gov/steward/internal/steward"
)

// Run runs the suite. open must return a new, empty store for each call;
// it is called once per subtest, and should register its own clean-up
// with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) steward.BlobStore) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open(t)) })
	t.Run("PutTwice", func(t *testing.T) { testPutTwice(t, open(t)) })
	t.Run("Missing", func(t *testing.T) { testMissing(t, open(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open(t)) })
	t.Run("List", func(t *testing.T) { testList(t, open(t)) })
	t.Run("InvalidKeys", func(t *testing.T) { testInvalidKeys(t, open(t)) })
	t.Run("ConcurrentPuts", func(t *testing.T) { testConcurrentPuts(t, open(t)) })
	t.Run("FailedPut", func(t *testing.T) { testFailedPut(t, open(t)) })
}

// Blob returns n random bytes and their key, the hex SHA-256 that the
// archive uses as a blob key.
func Blob(n int) (key string, data []byte) {
	data = make([]byte, n)
	rand.Read(data)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), data
}

func put(t *testing.T, s steward.BlobStore, key string, data []byte) {
	t.Helper()
	if err := s.Put(context.Background(), key, bytes.NewReader(data)); err != nil {
		t.Fatalf("Put(%.8s…, %d bytes): %v", key, len(data), err)
	}
}

// get reads key back. It reads through io.Reader only, so that a store
// returning a plain stream passes as well as one returning a file.
func get(t *testing.T, s steward.BlobStore, key string) []byte {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%.8s…): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%.8s…): reading: %v", key, err)
	}
	return b
}

func wantKind(t *testing.T, what string, err error, kind steward.Kind) {
	t.Helper()
	if got := steward.KindOf(err); err == nil || got != kind {
		t.Errorf("%s: err = %v (kind %v), want kind %v", what, err, got, kind)
	}
}

func listAll(t *testing.T, s steward.BlobStore) []string {
	t.Helper()
	var keys []string
	if err := s.List(context.Background(), func(k string) error {
		keys = append(keys, k)
		return nil
	}); err != nil {
		t.Fatalf("List: %v", err)
	}
	slices.Sort(keys)
	return keys
}

func testRoundTrip(t *testing.T, s steward.BlobStore) {
	ctx := context.Background()
	for _, n := range []int{0, 1, 300, 64<<10 + 1, 5 << 20} {
		key, data := Blob(n)
		put(t, s, key, data)
		if got := get(t, s, key); !bytes.Equal(got, data) {
			t.Errorf("Get after Put of %d bytes returned %d different bytes", n, len(got))
		}
		size, err := s.Stat(ctx, key)
		if err != nil || size != int64(n) {
			t.Errorf("Stat = %d, %v; want %d", size, err, n)
		}
	}
}

func testPutTwice(t *testing.T, s steward.BlobStore) {
	key, data := Blob(1000)
	put(t, s, key, data)
	// The second Put must consume its reader: a caller may be streaming
	// into a pipe and would block otherwise.
	r := bytes.NewReader(data)
	if err := s.Put(context.Background(), key, r); err != nil {
		t.Fatalf("second Put: %v", err)
	}
	if r.Len() != 0 {
		t.Errorf("second Put left %d bytes of its reader unread", r.Len())
	}
	if got := get(t, s, key); !bytes.Equal(got, data) {
		t.Error("Get after second Put returned different bytes")
	}
	if got := listAll(t, s); !slices.Equal(got, []string{key}) {
		t.Errorf("List = %v, want one key", got)
	}
}

func testMissing(t *testing.T, s steward.BlobStore) {
	ctx := context.Background()
	key, _ := Blob(10)
	rc, err := s.Get(ctx, key)
	if rc != nil {
		rc.Close()
	}
	wantKind(t, "Get of a missing key", err, steward.NotFound)
	_, err = s.Stat(ctx, key)
	wantKind(t, "Stat of a missing key", err, steward.NotFound)
}

func testDelete(t *testing.T, s steward.BlobStore) {
	ctx := context.Background()
	key, data := Blob(100)
	other, odata := Blob(100)
	put(t, s, key, data)
	put(t, s, other, odata)

	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := s.Get(ctx, key)
	wantKind(t, "Get after Delete", err, steward.NotFound)
	_, err = s.Stat(ctx, key)
	wantKind(t, "Stat after Delete", err, steward.NotFound)
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("second Delete: %v, want nil", err)
	}
	never, _ := Blob(1)
	if err := s.Delete(ctx, never); err != nil {
		t.Errorf("Delete of a key never stored: %v, want nil", err)
	}
	if got := get(t, s, other); !bytes.Equal(got, odata) {
		t.Error("Delete disturbed another key")
	}
	// A deleted key can be stored again.
	put(t, s, key, data)
	if got := get(t, s, key); !bytes.Equal(got, data) {
		t.Error("Get after Put, Delete, Put returned different bytes")
	}
}

func testList(t *testing.T, s steward.BlobStore) {
	ctx := context.Background()
	if got := listAll(t, s); len(got) != 0 {
		t.Fatalf("List of an empty store = %v", got)
	}
	var want []string
	for i := range 50 {
		key, data := Blob(i)
		put(t, s, key, data)
		want = append(want, key)
	}
	slices.Sort(want)
	if got := listAll(t, s); !slices.Equal(got, want) {
		t.Fatalf("List returned %d keys, want the %d stored", len(got), len(want))
	}

	s.Delete(ctx, want[7])
	if got := listAll(t, s); slices.Contains(got, want[7]) || len(got) != len(want)-1 {
		t.Errorf("List after Delete returned %d keys, want %d without the deleted one", len(got), len(want)-1)
	}

	// An error from fn stops List and comes back to the caller.
	stop := errors.New("stop")
	calls := 0
	err := s.List(ctx, func(string) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("List with a failing fn: err = %v after %d calls, want stop after 1", err, calls)
	}
}

func testInvalidKeys(t *testing.T, s steward.BlobStore) {
	ctx := context.Background()
	good, _ := Blob(1)
	bad := []string{
		"",
		"../x",
		"../../../../etc/passwd",
		good[:63],
		good + "0",
		strings.ToUpper(good),
		good[:2] + "/" + good[3:],
		good[:63] + "g",
		good[:63] + ".",
		"/" + good[1:],
		good[:62] + "\x00" + good[63:],
	}
	for _, key := range bad {
		what := fmt.Sprintf("key %q", key)
		wantKind(t, "Put of "+what, s.Put(ctx, key, strings.NewReader("x")), steward.Invalid)
		rc, err := s.Get(ctx, key)
		if rc != nil {
			rc.Close()
		}
		wantKind(t, "Get of "+what, err, steward.Invalid)
		_, err = s.Stat(ctx, key)
		wantKind(t, "Stat of "+what, err, steward.Invalid)
		wantKind(t, "Delete of "+what, s.Delete(ctx, key), steward.Invalid)
	}
	if got := listAll(t, s); len(got) != 0 {
		t.Errorf("List after invalid Puts = %v, want nothing", got)
	}
}

func testConcurrentPuts(t *testing.T, s steward.BlobStore) {
	const n = 64
	keys := make([]string, n)
	data := make([][]byte, n)
	for i := range n {
		keys[i], data[i] = Blob(1000 + i)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Put(context.Background(), keys[i], bytes.NewReader(data[i]))
		})
	}
	// Two writers of one key at once: content addressing makes both right.
	for range 4 {
		wg.Go(func() {
			if err := s.Put(context.Background(), keys[0], bytes.NewReader(data[0])); err != nil {
				t.Errorf("concurrent Put of one key: %v", err)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}
	for i := range n {
		if got := get(t, s, keys[i]); !bytes.Equal(got, data[i]) {
			t.Errorf("Get of concurrently put key %d returned different bytes", i)
		}
	}
	if got := listAll(t, s); len(got) != n {
		t.Errorf("List returned %d keys, want %d", len(got), n)
	}
}

// failingReader yields n bytes, then fails, like an upload cut off midway.
type failingReader struct {
	n   int
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	p = p[:min(len(p), r.n)]
	rand.Read(p)
	r.n -= len(p)
	return len(p), nil
}

func testFailedPut(t *testing.T, s steward.BlobStore) {
	ctx := context.Background()
	key, _ := Blob(1)
	cause := errors.New("connection reset by peer")
	err := s.Put(ctx, key, &failingReader{n: 1 << 20, err: cause})
	if err == nil {
		t.Fatal("Put with a failing reader returned nil")
	}
	_, err = s.Get(ctx, key)
	wantKind(t, "Get after a failed Put", err, steward.NotFound)
	_, err = s.Stat(ctx, key)
	wantKind(t, "Stat after a failed Put", err, steward.NotFound)
	if got := listAll(t, s); len(got) != 0 {
		t.Errorf("List after a failed Put = %v, want nothing", got)
	}

	// A cancelled context stops a Put the same way.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Put(cctx, key, bytes.NewReader(make([]byte, 1000))); err == nil {
		t.Error("Put with a cancelled context returned nil")
	}
	_, err = s.Stat(ctx, key)
	wantKind(t, "Stat after a cancelled Put", err, steward.NotFound)

	// The store is still usable afterwards.
	key, data := Blob(100)
	put(t, s, key, data)
	if got := get(t, s, key); !bytes.Equal(got, data) {
		t.Error("Get after failed Puts returned different bytes")
	}
}
