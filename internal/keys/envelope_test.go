package keys_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/steward-gov/steward/internal/keys"
	"github.com/steward-gov/steward/internal/steward"
)

// canary is plaintext that must never appear in sealed or stored bytes.
const canary = "CANARY-d41d8cd98f00b204-wire 2,000,000 to account 4711"

func newEnvelope(t testing.TB) *keys.Envelope {
	t.Helper()
	return &keys.Envelope{KEK: mustParse(t, newKey(t))}
}

func sealed(t testing.TB, e *keys.Envelope, content string) *steward.Record {
	t.Helper()
	r := &steward.Record{ID: steward.NewID(), LeafIndex: -1, Kind: steward.RecordMessage}
	dek, err := e.SealRecord(context.Background(), r, []byte(content))
	if err != nil {
		t.Fatal(err)
	}
	keys.Zero(dek)
	return r
}

func TestEnvelopeRoundTrip(t *testing.T) {
	ctx := context.Background()
	e := newEnvelope(t)
	content := []byte(`{"body":"` + canary + `"}`)
	r := &steward.Record{ID: steward.NewID()}

	dek, err := e.SealRecord(ctx, r, content)
	if err != nil {
		t.Fatal(err)
	}
	if len(dek) != keys.KeySize {
		t.Fatalf("len(dek) = %d", len(dek))
	}
	if r.KeyID != e.KEK.KeyID() || len(r.WrappedKey) == 0 {
		t.Fatalf("KeyID = %q, WrappedKey = %d bytes", r.KeyID, len(r.WrappedKey))
	}
	if got, want := len(r.Sealed), 12+len(content)+16; got != want {
		t.Fatalf("len(Sealed) = %d, want %d (nonce || ciphertext || tag)", got, want)
	}

	// The attachment path: seal bytes under the record's key, then reopen
	// them with RecordKey.
	blobAAD := []byte(r.ID + "/blob")
	blob, err := keys.SealBytes(dek, blobAAD, []byte(canary))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{r.Sealed, r.WrappedKey, blob} {
		if bytes.Contains(b, []byte("CANARY")) || bytes.Contains(b, dek) {
			t.Fatal("sealed bytes contain plaintext or the data key")
		}
	}
	keys.Zero(dek)
	if !bytes.Equal(dek, make([]byte, keys.KeySize)) {
		t.Fatal("Zero left key bytes")
	}

	got, err := e.OpenRecord(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, content) {
		t.Fatalf("OpenRecord = %q, want %q", got, content)
	}
	k, err := e.RecordKey(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Zero(k)
	plain, err := keys.OpenBytes(k, blobAAD, blob)
	if err != nil || string(plain) != canary {
		t.Fatalf("OpenBytes = %q, %v", plain, err)
	}
	_, err = keys.OpenBytes(k, []byte(r.ID), blob) // content aad, not blob aad
	wantKind(t, err, steward.Integrity)
}

func TestEnvelopeEmptyContent(t *testing.T) {
	e := newEnvelope(t)
	r := sealed(t, e, "")
	got, err := e.OpenRecord(context.Background(), r)
	if err != nil || len(got) != 0 {
		t.Fatalf("OpenRecord = %q, %v", got, err)
	}
}

func TestEnvelopeDoesNotAuthenticate(t *testing.T) {
	ctx := context.Background()
	e := newEnvelope(t)
	wantAuthFail := func(t *testing.T, r *steward.Record) {
		t.Helper()
		_, err := e.OpenRecord(ctx, r)
		wantKind(t, err, steward.Integrity)
		if msg := steward.PublicMessage(err); msg != "record content does not authenticate" {
			t.Fatalf("message = %q", msg)
		}
	}

	t.Run("TamperedContent", func(t *testing.T) {
		r := sealed(t, e, canary)
		for _, i := range []int{0, 11, 12, len(r.Sealed) / 2, len(r.Sealed) - 1} {
			c := *r
			c.Sealed = bytes.Clone(r.Sealed)
			c.Sealed[i] ^= 0x80
			wantAuthFail(t, &c)
		}
		c := *r
		c.Sealed = r.Sealed[:len(r.Sealed)-1]
		wantAuthFail(t, &c)
		c.Sealed = nil
		wantAuthFail(t, &c)
	})
	t.Run("TamperedWrappedKey", func(t *testing.T) {
		r := sealed(t, e, canary)
		r.WrappedKey = bytes.Clone(r.WrappedKey)
		r.WrappedKey[20] ^= 1
		wantAuthFail(t, r)
		_, err := e.RecordKey(ctx, r)
		wantKind(t, err, steward.Integrity)
	})
	t.Run("WrongAAD", func(t *testing.T) {
		// Content and key moved onto another record id.
		r := sealed(t, e, canary)
		r.ID = steward.NewID()
		wantAuthFail(t, r)
	})
	t.Run("SwappedContent", func(t *testing.T) {
		// Each half is genuine, but they belong to different records.
		a, b := sealed(t, e, "a"), sealed(t, e, "b")
		a.Sealed = b.Sealed
		wantAuthFail(t, a)
	})
	t.Run("WrongKEKSameID", func(t *testing.T) {
		r := sealed(t, e, canary)
		other := &keys.Envelope{KEK: mustParse(t, r.KeyID+":"+newKey(t))}
		_, err := other.OpenRecord(ctx, r)
		wantKind(t, err, steward.Integrity)
	})
	t.Run("UnknownKEK", func(t *testing.T) {
		// A configuration fault, not a missing record: Internal, not NotFound.
		r := sealed(t, e, canary)
		_, err := newEnvelope(t).OpenRecord(ctx, r)
		wantKind(t, err, steward.Internal)
		if !strings.Contains(err.Error(), r.KeyID) {
			t.Fatalf("error %q does not name the missing key id", err)
		}
	})
}

func TestEnvelopeRotation(t *testing.T) {
	ctx := context.Background()
	a, b := newKey(t), newKey(t)
	ea := &keys.Envelope{KEK: mustParse(t, a)}
	old := sealed(t, ea, "sealed under A")

	eab := &keys.Envelope{KEK: mustParse(t, a+"\n"+b)}
	if got, err := eab.OpenRecord(ctx, old); err != nil || string(got) != "sealed under A" {
		t.Fatalf("record under A after rotation: %q, %v", got, err)
	}
	r := sealed(t, eab, "sealed under B")
	if r.KeyID == old.KeyID {
		t.Fatalf("new record wrapped under %s, want the new KEK", r.KeyID)
	}
	if _, err := ea.OpenRecord(ctx, r); err == nil {
		t.Fatal("keyring without B opened a record wrapped under B")
	}
}

func TestEnvelopeShredded(t *testing.T) {
	ctx := context.Background()
	e := newEnvelope(t)
	r := sealed(t, e, canary)
	r.WrappedKey = nil // what ShredKey leaves behind
	_, err := e.OpenRecord(ctx, r)
	wantKind(t, err, steward.Gone)
	if msg := steward.PublicMessage(err); msg != "content destroyed by disposition" {
		t.Fatalf("message = %q", msg)
	}
	_, err = e.RecordKey(ctx, r)
	wantKind(t, err, steward.Gone)
}

func TestSealRecordErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("NoID", func(t *testing.T) {
		r := &steward.Record{}
		_, err := newEnvelope(t).SealRecord(ctx, r, []byte("x"))
		wantKind(t, err, steward.Invalid)
		if r.Sealed != nil || r.WrappedKey != nil || r.KeyID != "" {
			t.Fatal("failed SealRecord changed the record")
		}
	})
	t.Run("KEKUnavailable", func(t *testing.T) {
		e := &keys.Envelope{KEK: failingKEK{}}
		r := &steward.Record{ID: "r1"}
		dek, err := e.SealRecord(ctx, r, []byte("x"))
		wantKind(t, err, steward.Unavailable)
		if dek != nil || r.Sealed != nil || r.WrappedKey != nil || r.KeyID != "" {
			t.Fatal("failed SealRecord returned a key or changed the record")
		}
	})
}

// failingKEK is a KMS that cannot be reached.
type failingKEK struct{}

func (failingKEK) KeyID() string { return "kms-1" }
func (failingKEK) Wrap(context.Context, []byte, []byte) ([]byte, error) {
	return nil, steward.E(steward.Op("kms.Wrap"), steward.Unavailable, "kms unreachable")
}
func (failingKEK) Unwrap(context.Context, string, []byte, []byte) ([]byte, error) {
	return nil, steward.E(steward.Op("kms.Unwrap"), steward.Unavailable, "kms unreachable")
}

func TestSealBytes(t *testing.T) {
	dek := make([]byte, keys.KeySize)
	s, err := keys.SealBytes(dek, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := keys.OpenBytes(dek, nil, s); err != nil || len(p) != 0 {
		t.Fatalf("OpenBytes(empty) = %q, %v", p, err)
	}
	for _, n := range []int{0, 16, 31, 33} {
		_, err := keys.SealBytes(make([]byte, n), nil, []byte("x"))
		wantKind(t, err, steward.Internal)
		_, err = keys.OpenBytes(make([]byte, n), nil, s)
		wantKind(t, err, steward.Internal)
	}
	other := bytes.Repeat([]byte{1}, keys.KeySize)
	_, err = keys.OpenBytes(other, nil, s)
	wantKind(t, err, steward.Integrity)
}

// TestEnvelopeConcurrent exercises the shared AEADs from many goroutines;
// run with -race.
func TestEnvelopeConcurrent(t *testing.T) {
	ctx := context.Background()
	e := newEnvelope(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				r := &steward.Record{ID: steward.NewID()}
				dek, err := e.SealRecord(ctx, r, []byte(canary))
				if err != nil {
					t.Error(err)
					return
				}
				keys.Zero(dek)
				if got, err := e.OpenRecord(ctx, r); err != nil || string(got) != canary {
					t.Errorf("OpenRecord = %q, %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkSealRecord(b *testing.B) {
	ctx := context.Background()
	e := newEnvelope(b)
	content := bytes.Repeat([]byte("x"), 300)
	r := &steward.Record{ID: steward.NewID()}
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	for b.Loop() {
		dek, err := e.SealRecord(ctx, r, content)
		if err != nil {
			b.Fatal(err)
		}
		keys.Zero(dek)
	}
}

func BenchmarkSealRecordParallel(b *testing.B) {
	ctx := context.Background()
	e := newEnvelope(b)
	content := bytes.Repeat([]byte("x"), 300)
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := &steward.Record{ID: steward.NewID()}
		for pb.Next() {
			dek, err := e.SealRecord(ctx, r, content)
			if err != nil {
				b.Fatal(err)
			}
			keys.Zero(dek)
		}
	})
}

func BenchmarkOpenRecord(b *testing.B) {
	ctx := context.Background()
	e := newEnvelope(b)
	r := sealed(b, e, strings.Repeat("x", 300))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.OpenRecord(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}
