package keys_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steward-gov/steward/internal/keys"
	"github.com/steward-gov/steward/internal/steward"
)

// newKey returns a fresh random key in the key-file encoding.
func newKey(t testing.TB) string {
	t.Helper()
	b := make([]byte, keys.KeySize)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func mustParse(t testing.TB, text string) *keys.Keyring {
	t.Helper()
	k, err := keys.ParseKeyring(text)
	if err != nil {
		t.Fatalf("ParseKeyring: %v", err)
	}
	return k
}

func wantKind(t *testing.T, err error, kind steward.Kind) {
	t.Helper()
	if got := steward.KindOf(err); err == nil || got != kind {
		t.Fatalf("err = %v (kind %v), want kind %v", err, got, kind)
	}
}

func TestKeyringWrapUnwrap(t *testing.T) {
	ctx := context.Background()
	k := mustParse(t, newKey(t))
	dek := bytes.Repeat([]byte{7}, keys.KeySize)
	aad := []byte("record-1")

	w, err := k.Wrap(ctx, dek, aad)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(w), 1+24+keys.KeySize+16; got != want {
		t.Fatalf("len(wrapped) = %d, want %d (version || XAES nonce || ciphertext || tag)", got, want)
	}
	w2, _ := k.Wrap(ctx, dek, aad)
	if bytes.Equal(w, w2) {
		t.Fatal("two wraps of one key are identical; nonce is not random")
	}
	got, err := k.Unwrap(ctx, k.KeyID(), w, aad)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, dek) {
		t.Fatal("unwrapped key differs")
	}

	t.Run("WrongAAD", func(t *testing.T) {
		_, err := k.Unwrap(ctx, k.KeyID(), w, []byte("record-2"))
		wantKind(t, err, steward.Invalid)
	})
	t.Run("Tampered", func(t *testing.T) {
		for i := range w {
			bad := bytes.Clone(w)
			bad[i] ^= 1
			_, err := k.Unwrap(ctx, k.KeyID(), bad, aad)
			wantKind(t, err, steward.Invalid)
		}
	})
	t.Run("Short", func(t *testing.T) {
		for _, n := range []int{0, 1, 12, 27} {
			_, err := k.Unwrap(ctx, k.KeyID(), w[:n], aad)
			wantKind(t, err, steward.Invalid)
		}
	})
	t.Run("UnknownKeyID", func(t *testing.T) {
		_, err := k.Unwrap(ctx, "kek-nope", w, aad)
		wantKind(t, err, steward.NotFound)
	})
	t.Run("WrongKEK", func(t *testing.T) {
		// Same id, different key: a keyring restored from the wrong backup.
		other := mustParse(t, k.KeyID()+":"+newKey(t))
		_, err := other.Unwrap(ctx, k.KeyID(), w, aad)
		wantKind(t, err, steward.Invalid)
	})
}

func TestKeyringRotation(t *testing.T) {
	ctx := context.Background()
	a, b := newKey(t), newKey(t)
	old := mustParse(t, a)
	dek := bytes.Repeat([]byte{1}, keys.KeySize)
	wa, _ := old.Wrap(ctx, dek, []byte("r"))

	// Rotation is appending a line.
	rotated := mustParse(t, a+"\n"+b+"\n")
	if rotated.KeyID() == old.KeyID() {
		t.Fatalf("KeyID = %s after rotation, want the new key's id", rotated.KeyID())
	}
	if got, want := rotated.IDs(), []string{old.KeyID(), rotated.KeyID()}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("IDs() = %v, want %v", got, want)
	}
	if got, err := rotated.Unwrap(ctx, old.KeyID(), wa, []byte("r")); err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("old wrap under rotated keyring: %v", err)
	}
	wb, _ := rotated.Wrap(ctx, dek, []byte("r"))
	if _, err := rotated.Unwrap(ctx, rotated.KeyID(), wb, []byte("r")); err != nil {
		t.Fatal(err)
	}
	// The new wrap is under B, not A.
	_, err := old.Unwrap(ctx, old.KeyID(), wb, []byte("r"))
	wantKind(t, err, steward.Invalid)
}

func TestParseKeyring(t *testing.T) {
	key := newKey(t)
	raw, _ := base64.StdEncoding.DecodeString(key)

	t.Run("DerivedID", func(t *testing.T) {
		k := mustParse(t, key)
		if got, want := k.KeyID(), keys.DeriveID(raw); got != want {
			t.Fatalf("KeyID = %q, want %q", got, want)
		}
		if !strings.HasPrefix(k.KeyID(), "kek-") || len(k.KeyID()) != 4+16 {
			t.Fatalf("KeyID = %q, want kek- and 16 hex digits", k.KeyID())
		}
	})
	t.Run("LabelsCommentsBlanks", func(t *testing.T) {
		text := "# keys\r\n\n  old-1 : " + newKey(t) + "  # retired 2026\r\n\tprod.2026_b:" + key + "\n\n"
		k := mustParse(t, text)
		if got, want := fmt.Sprint(k.IDs()), "[old-1 prod.2026_b]"; got != want {
			t.Fatalf("IDs = %s, want %s", got, want)
		}
		if k.KeyID() != "prod.2026_b" {
			t.Fatalf("KeyID = %q, want the last key", k.KeyID())
		}
	})

	short := base64.StdEncoding.EncodeToString(raw[:16])
	for _, tc := range []struct {
		name, text, msg string
	}{
		{"Empty", "", "holds no key"},
		{"OnlyComments", "# nothing\n\n", "holds no key"},
		{"NotBase64", "not base64 at all!", "line 1: key is not valid standard base64"},
		{"URLBase64", key + "\n" + "-_-_" + key[4:], "line 2: key is not valid standard base64"},
		{"Short", "# c\n" + short, "line 2: key must be 32 bytes, got 16"},
		{"Long", base64.StdEncoding.EncodeToString(append(raw, 0)), "line 1: key must be 32 bytes, got 33"},
		{"EmptyLabel", ":" + key, "line 1: key id must be"},
		{"BadLabel", "a b:" + key, "line 1: key id must be"},
		{"LongLabel", strings.Repeat("x", 65) + ":" + key, "line 1: key id must be"},
		{"DuplicateLabel", "a:" + newKey(t) + "\na:" + key, "line 2: key id is already used on line 1"},
		{"DuplicateKey", key + "\n\n" + key, "line 3: key id is already used on line 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := keys.ParseKeyring(tc.text)
			wantKind(t, err, steward.Invalid)
			if msg := steward.PublicMessage(err); !strings.Contains(msg, tc.msg) {
				t.Fatalf("message %q does not contain %q", msg, tc.msg)
			}
		})
	}

	t.Run("NoKeyMaterialInErrors", func(t *testing.T) {
		// A key pasted as a label, or a truncated key, must not be echoed.
		for _, text := range []string{key + ":" + key, key[:20], key[:43] + "!", key + "x"} {
			_, err := keys.ParseKeyring(text)
			if err == nil {
				t.Fatalf("ParseKeyring accepted %d bytes of junk", len(text))
			}
			if strings.Contains(err.Error(), key[:16]) {
				t.Fatalf("error echoes key material: %v", err)
			}
		}
	})
}

func TestKeyringPrintsNoKeyMaterial(t *testing.T) {
	key := newKey(t)
	raw, _ := base64.StdEncoding.DecodeString(key)
	k := mustParse(t, key)
	env := keys.Envelope{KEK: k}
	for _, s := range []string{
		fmt.Sprintf("%v", k), fmt.Sprintf("%+v", k), fmt.Sprintf("%#v", k), fmt.Sprintf("%+v", env),
	} {
		if !strings.Contains(s, "keys.Keyring{current: "+k.KeyID()+", keys: 1}") ||
			strings.Contains(s, fmt.Sprint(raw[:4])) || strings.Contains(s, key[:16]) {
			t.Fatalf("printed keyring %q: want its String, no key", s)
		}
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kek")
	key := newKey(t)

	t.Run("OK", func(t *testing.T) {
		if err := os.WriteFile(path, []byte("# test\n"+key+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		k, err := keys.LoadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if k.KeyID() != mustParse(t, key).KeyID() {
			t.Fatal("LoadFile and ParseKeyring disagree")
		}
	})
	t.Run("GroupReadable", func(t *testing.T) {
		for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o620, 0o602} {
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
			_, err := keys.LoadFile(path)
			wantKind(t, err, steward.Invalid)
			if !strings.Contains(steward.PublicMessage(err), "chmod 600") {
				t.Fatalf("message %q does not say how to fix it", steward.PublicMessage(err))
			}
		}
		os.Chmod(path, 0o400)
		if _, err := keys.LoadFile(path); err != nil {
			t.Fatalf("mode 0400: %v", err)
		}
	})
	t.Run("Missing", func(t *testing.T) {
		_, err := keys.LoadFile(filepath.Join(dir, "absent"))
		wantKind(t, err, steward.NotFound)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("err = %v, want it to wrap fs.ErrNotExist", err)
		}
	})
	t.Run("Directory", func(t *testing.T) {
		sub := filepath.Join(dir, "sub")
		os.Mkdir(sub, 0o700)
		_, err := keys.LoadFile(sub)
		wantKind(t, err, steward.Invalid)
	})
	t.Run("Malformed", func(t *testing.T) {
		bad := filepath.Join(dir, "bad")
		os.WriteFile(bad, []byte(key+"\n"+key[:30]+"\n"), 0o600)
		_, err := keys.LoadFile(bad)
		wantKind(t, err, steward.Invalid)
		if msg := steward.PublicMessage(err); !strings.Contains(msg, bad+", line 2") {
			t.Fatalf("message %q does not name file and line", msg)
		}
	})
}

func TestCreateFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "etc", "steward", "kek")

	k, err := keys.CreateFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("key file mode = %04o, want 0600", perm)
	}
	di, _ := os.Stat(filepath.Dir(path))
	if perm := di.Mode().Perm(); perm != 0o700 {
		t.Fatalf("key dir mode = %04o, want 0700", perm)
	}

	// The file holds the key the returned keyring uses.
	loaded, err := keys.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.KeyID() != k.KeyID() || len(loaded.IDs()) != 1 {
		t.Fatalf("loaded %v, created %v", loaded, k)
	}
	w, _ := k.Wrap(ctx, make([]byte, 32), nil)
	if _, err := loaded.Unwrap(ctx, k.KeyID(), w, nil); err != nil {
		t.Fatal(err)
	}

	// O_EXCL: a second call must never replace the key.
	before, _ := os.ReadFile(path)
	_, err = keys.CreateFile(path)
	wantKind(t, err, steward.Conflict)
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("CreateFile changed an existing key file")
	}

	// Two installations get different keys.
	k2, err := keys.CreateFile(filepath.Join(t.TempDir(), "kek"))
	if err != nil {
		t.Fatal(err)
	}
	if k2.KeyID() == k.KeyID() {
		t.Fatal("CreateFile made the same key twice")
	}
}

func TestDeriveKeySurvivesRotation(t *testing.T) {
	a := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	b := "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
	one, err := keys.ParseKeyring(a)
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := keys.ParseKeyring(a + "\n" + b)
	if err != nil {
		t.Fatal(err)
	}
	other, err := keys.ParseKeyring(b)
	if err != nil {
		t.Fatal(err)
	}
	k1, k2 := one.DeriveKey("search"), rotated.DeriveKey("search")
	if len(k1) != keys.KeySize || string(k1) != string(k2) {
		t.Fatal("a derived key changed when a KEK was appended")
	}
	if string(one.DeriveKey("edm")) == string(k1) {
		t.Fatal("two purposes derived the same key")
	}
	if string(other.DeriveKey("search")) == string(k1) {
		t.Fatal("two KEKs derived the same key")
	}
}
