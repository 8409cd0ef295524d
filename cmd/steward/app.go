package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"crypto/rand"
	"encoding/hex"

	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/keys"
	"github.com/steward-gov/steward/internal/localfs"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

// app is every concrete part wired together. Only cmd/steward builds one.
type app struct {
	cfg       *Config
	logger    *slog.Logger
	dataDir   string
	db        *sqlite.DB
	blobs     *localfs.Store
	keyring   *keys.Keyring
	envelope  *keys.Envelope
	log       *archive.Log
	pipeline  *pipeline.Pipeline
	directory *pipeline.DirectoryResolver
	verifier  note.Verifier
	// signer is the checkpoint signing key, which also signs certificates
	// of disposition (so the log's public key verifies both).
	signer note.Signer
}

// Paths inside the data directory.
func dbPath(data string) string     { return filepath.Join(data, "steward.db") }
func blobDir(data string) string    { return filepath.Join(data, "blobs") }
func kekPath(data string) string    { return filepath.Join(data, "keys", "kek") }
func logKeyPath(data string) string { return filepath.Join(data, "keys", "log.key") }
func logPubPath(data string) string { return filepath.Join(data, "keys", "log.pub") }

// newLogger builds the process logger from log-level and log-format.
func newLogger(cfg *Config) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(cfg.String("log-level"))); err != nil {
		return nil, fmt.Errorf("log-level: %q is not debug, info, warn or error", cfg.String("log-level"))
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch cfg.String("log-format") {
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("log-format: %q is not text or json", cfg.String("log-format"))
}

// openApp opens the data directory and wires the archive. With init set it
// creates what a first start needs (directories, KEK file, signing key);
// without it, missing keys are an error.
func openApp(ctx context.Context, cfg *Config, logger *slog.Logger, init bool) (*app, error) {
	a := &app{cfg: cfg, logger: logger, dataDir: cfg.String("data")}
	if init {
		if err := os.MkdirAll(a.dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		if fi, err := os.Stat(a.dataDir); err == nil && fi.Mode().Perm()&0o077 != 0 {
			logger.Warn("the data directory is accessible to other users; chmod 700 it", "path", a.dataDir, "mode", fi.Mode().Perm().String())
		}
		// SQLite creates its files (and the -wal and -shm beside them) with
		// the mode of the main file; make that owner-only from the start.
		if f, err := os.OpenFile(dbPath(a.dataDir), os.O_RDONLY|os.O_CREATE, 0o600); err == nil {
			f.Close()
		}
	} else if _, err := os.Stat(dbPath(a.dataDir)); err != nil {
		return nil, fmt.Errorf("no Steward archive in %s (run `steward serve` or `steward demo` first): %w", a.dataDir, err)
	}
	var err error
	mode := kekRequired
	if init {
		mode = kekCreate
	}
	if a.keyring, err = loadKEK(cfg, a.dataDir, mode, logger); err != nil {
		return nil, err
	}
	a.envelope = &keys.Envelope{KEK: a.keyring}
	signer, err := loadSigner(cfg, a.dataDir, init, logger)
	if err != nil {
		return nil, err
	}
	a.signer = signer
	if a.db, err = sqlite.Open(dbPath(a.dataDir)); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if a.blobs, err = localfs.Open(blobDir(a.dataDir)); err != nil {
		a.db.Close()
		return nil, fmt.Errorf("open blob store: %w", err)
	}
	every, err := cfg.Int("checkpoint-every")
	if err != nil {
		a.db.Close()
		return nil, err
	}
	interval, err := cfg.Duration("checkpoint-interval")
	if err != nil {
		a.db.Close()
		return nil, err
	}
	a.log, err = archive.Open(ctx, a.db, signer, archive.Options{
		Origin: signer.Name(), CheckpointEvery: every, CheckpointInterval: interval, Logger: logger,
	})
	if err != nil {
		a.db.Close()
		return nil, fmt.Errorf("open archive log: %w", err)
	}
	a.directory = &pipeline.DirectoryResolver{Identities: a.db, Contacts: a.db}
	a.pipeline = &pipeline.Pipeline{
		Log: a.log, Sealer: a.envelope, Blobs: a.blobs, Conversations: a.db, Index: a.db,
		Identity: a.directory,
		Logger:   logger,
	}
	return a, nil
}

// Close finishes pending appends, issues a final checkpoint and closes the store.
func (a *app) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := a.log.Close(ctx)
	return errors.Join(err, a.db.Close())
}

// kekMode says what loadKEK does when no keyring is configured and the
// default file DATA/keys/kek does not exist.
type kekMode int

const (
	kekRequired kekMode = iota // fail
	kekCreate                  // create it (first start)
	kekOptional                // return nil (verify without decryption)
)

// loadKEK finds the key-encryption keyring: STEWARD_KEK (or the config
// file's "kek"), then kek-file, then DATA/keys/kek. A configured kek-file
// must exist whatever the mode.
func loadKEK(cfg *Config, data string, mode kekMode, logger *slog.Logger) (*keys.Keyring, error) {
	if text := secretSetting(cfg, "kek"); text != "" {
		return keys.ParseKeyring(text)
	}
	path := cfg.String("kek-file")
	if path == "" {
		path = kekPath(data)
	}
	kr, err := keys.LoadFile(path)
	missingDefault := errors.Is(err, fs.ErrNotExist) && cfg.String("kek-file") == ""
	switch {
	case err == nil:
		return kr, nil
	case missingDefault && mode == kekOptional:
		return nil, nil
	case missingDefault && mode == kekCreate:
		logger.Warn("created a key-encryption key inside the data directory; for production keep it on a separate volume or set STEWARD_KEK",
			"path", path)
		return keys.CreateFile(path)
	}
	return nil, fmt.Errorf("key-encryption key: %w", err)
}

// loadSigner finds the checkpoint signing key: STEWARD_LOG_KEY, then
// log-key-file, then DATA/keys/log.key, created (with log.pub) on first start.
func loadSigner(cfg *Config, data string, init bool, logger *slog.Logger) (note.Signer, error) {
	if text := secretSetting(cfg, "log-key"); text != "" {
		return archive.NewSigner(strings.TrimSpace(text))
	}
	path := cfg.String("log-key-file")
	if path == "" {
		path = logKeyPath(data)
	}
	b, err := readPrivate(path)
	if errors.Is(err, fs.ErrNotExist) && init && cfg.String("log-key-file") == "" {
		origin := cfg.String("log-origin")
		if origin == "" {
			var r [4]byte
			_, _ = rand.Read(r[:])
			origin = "steward/archive/" + hex.EncodeToString(r[:])
		}
		skey, vkey, err := archive.GenerateKey(origin)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		if err := writeNew(path, []byte(skey+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("checkpoint signing key: %w", err)
		}
		if err := os.WriteFile(logPubPath(data), []byte(vkey+"\n"), 0o644); err != nil {
			return nil, fmt.Errorf("checkpoint verifier key: %w", err)
		}
		logger.Info("created the checkpoint signing key", "origin", origin, "public_key", logPubPath(data))
		return archive.NewSigner(skey)
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint signing key: %w", err)
	}
	return archive.NewSigner(strings.TrimSpace(string(b)))
}

// loadVerifier finds the checkpoint verifier key: the public-key setting
// (vkey text or a file), else DATA/keys/log.pub.
func loadVerifier(cfg *Config, data string) (note.Verifier, error) {
	v := cfg.String("public-key")
	if v == "" {
		v = logPubPath(data)
	}
	text := v
	if !strings.Contains(v, "+") || fileExists(v) {
		b, err := os.ReadFile(v)
		if err != nil {
			return nil, fmt.Errorf("checkpoint verifier key: %w", err)
		}
		text = string(b)
	}
	return archive.NewVerifier(strings.TrimSpace(text))
}

// secretSetting reads a secret from the environment or the config file,
// never from a flag.
func secretSetting(cfg *Config, name string) string {
	if v, ok := os.LookupEnv(settingByName(name).env()); ok {
		return v
	}
	return cfg.String(name)
}

// readPrivate reads a secret file, refusing one that group or others can
// read. The mode is taken from the opened file, not a second lookup.
func readPrivate(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	return io.ReadAll(f)
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// writeNew creates path with perm, failing if it exists, and syncs it.
func writeNew(path string, b []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var _ steward.Store = (*sqlite.DB)(nil)
