// Package archivetest builds Steward's archive from real parts for other
// packages' tests: a SQLite file and a sealed blob directory in a temporary
// directory, a random key-encryption key, a freshly generated log key, the
// archive log, and a capture pipeline and reader over them.
//
// It is test support only. Production code must never import it: it
// generates throwaway keys and fails the test, not the caller, when
// something cannot be built.
//
//	s := archivetest.New(t)
//	s.Pipeline.Policy = mySvc // hooks are the caller's to set
//	c, err := s.Pipeline.Capture(ctx, item)
package archivetest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/keys"
	"github.com/steward-gov/steward/internal/localfs"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/sqlite"
)

// Stack is an archive ready to capture. Every part is real; the test owns
// them all and may rewire the pipeline's hooks before the first capture.
type Stack struct {
	Dir      string // the temporary directory holding the database and the blobs
	DB       *sqlite.DB
	Blobs    *localfs.Store
	Keyring  *keys.Keyring // the key-encryption keyring, for derived keys
	Envelope *keys.Envelope
	Signer   note.Signer // signs the log's checkpoints
	Verifier note.Verifier
	VKey     string // the verifier key in text, as `steward keygen` writes it
	Logger   *slog.Logger
	Log      *archive.Log
	Reader   *pipeline.Reader
	// Directory is the pipeline's identity hook, kept so that a test
	// changing identities or contacts behind it can Invalidate it.
	Directory *pipeline.DirectoryResolver
	// Pipeline has the log, sealer, blobs, conversations, index, identity
	// hook and logger set; its other hooks are nil.
	Pipeline *pipeline.Pipeline
}

// Option changes how New builds the stack.
type Option func(*config)

type config struct {
	origin string
	level  slog.Level
}

// Origin names the log (its key and checkpoints). Default "steward/test".
func Origin(name string) Option { return func(c *config) { c.origin = name } }

// LogLevel is the least level the stack's logger writes to stderr.
// Default slog.LevelError, so that passing tests stay quiet.
func LogLevel(l slog.Level) Option { return func(c *config) { c.level = l } }

// New builds a stack in a new temporary directory of t and registers its
// clean-up on t: the log closes, then the database. Clean-ups run last
// registered first, so a caller that starts goroutines using the stack
// should register their shutdown after New returns. Any failure fails t.
func New(t testing.TB, opts ...Option) *Stack {
	t.Helper()
	cfg := config{origin: "steward/test", level: slog.LevelError}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Stack{Dir: t.TempDir()}
	var err error
	if s.DB, err = sqlite.Open(filepath.Join(s.Dir, "steward.db")); err != nil {
		t.Fatal(err)
	}
	// Registered first so that it runs last, after the log has closed.
	t.Cleanup(func() { s.DB.Close() })
	if s.Blobs, err = localfs.Open(filepath.Join(s.Dir, "blobs")); err != nil {
		t.Fatal(err)
	}
	var k [32]byte
	rand.Read(k[:])
	if s.Keyring, err = keys.ParseKeyring(base64.StdEncoding.EncodeToString(k[:])); err != nil {
		t.Fatal(err)
	}
	s.Envelope = &keys.Envelope{KEK: s.Keyring}
	var skey string
	if skey, s.VKey, err = archive.GenerateKey(cfg.origin); err != nil {
		t.Fatal(err)
	}
	if s.Signer, err = archive.NewSigner(skey); err != nil {
		t.Fatal(err)
	}
	if s.Verifier, err = archive.NewVerifier(s.VKey); err != nil {
		t.Fatal(err)
	}
	s.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.level}))
	// The context only bounds Open's reads; the log's own work runs until Close.
	s.Log, err = archive.Open(context.Background(), s.DB, s.Signer, archive.Options{Origin: s.Signer.Name(), Logger: s.Logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Log.Close(context.Background()) })
	s.Reader = &pipeline.Reader{Records: s.DB, Opener: s.Envelope, Blobs: s.Blobs}
	s.Directory = &pipeline.DirectoryResolver{Identities: s.DB, Contacts: s.DB}
	s.Pipeline = &pipeline.Pipeline{Log: s.Log, Sealer: s.Envelope, Blobs: s.Blobs, Conversations: s.DB, Index: s.DB,
		Identity: s.Directory, Logger: s.Logger}
	return s
}
