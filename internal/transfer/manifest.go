package transfer

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/steward"
)

// Format names this version of the package layout.
const Format = "steward-transfer-v1"

// The fixed files of a package.
const (
	ManifestFile   = "manifest.json"
	SignatureFile  = "manifest.sig"
	CheckpointFile = "checkpoint.txt"
	PublicKeyFile  = "log.pub"
	MetadataCSV    = "metadata.csv"
	MetadataJSON   = "metadata.json"
	ReadmeFile     = "README.txt"
)

// maxManifest bounds what ParseManifest reads: a million records with
// their proofs fit.
const maxManifest = 2 << 30

// Manifest describes a package: its files and its records. Its JSON form
// is manifest.json.
type Manifest struct {
	Format    string    `json:"format"`
	PackageID string    `json:"package_id"`
	CreatedAt time.Time `json:"created_at"`
	// Origin is the log's origin line, the name of its key.
	Origin     string        `json:"origin"`
	Checkpoint CheckpointRef `json:"checkpoint"`
	// Files lists every file of the package but manifest.json and
	// manifest.sig, by path.
	Files []File `json:"files"`
	// Records lists every record in the package, by leaf index.
	Records []Record `json:"records"`
}

// CheckpointRef restates what checkpoint.txt says, for readers.
type CheckpointRef struct {
	TreeSize int64  `json:"tree_size"`
	Root     string `json:"root"` // hex
}

// File is one file of the package. Path is slash-separated and relative
// to the package directory.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // hex
}

// Record is one archive record in the package, with what proves it is in
// the log.
type Record struct {
	RecordID  string             `json:"record_id"`
	LeafIndex int64              `json:"leaf_index"`
	Kind      steward.RecordKind `json:"kind"`
	// File is the .eml file that shows the record.
	File string `json:"file"`
	// Leaf is the record's leaf encoding (docs/archive-format.md §2),
	// base64; LeafHash its RFC 6962 leaf hash, hex.
	Leaf     string `json:"leaf"`
	LeafHash string `json:"leaf_hash"`
	// Meta is the record's metadata JSON exactly as the leaf commits to
	// it (its SHA-256 is in the leaf).
	Meta string `json:"meta"`
	// Proof is the inclusion proof into the checkpoint's tree, hex hashes
	// from the leaf's sibling up.
	Proof []string `json:"proof"`
}

// Summary is the short account of a package the API and CLI print.
type Summary struct {
	PackageID     string    `json:"package_id"`
	CreatedAt     time.Time `json:"created_at"`
	Origin        string    `json:"origin"`
	TreeSize      int64     `json:"tree_size"`
	Records       int       `json:"records"`
	Messages      int       `json:"messages"`
	Conversations int       `json:"conversations"`
	Files         int       `json:"files"`
	Bytes         int64     `json:"bytes"`
}

// Summary counts the manifest's records and files.
func (m *Manifest) Summary() Summary {
	s := Summary{PackageID: m.PackageID, CreatedAt: m.CreatedAt, Origin: m.Origin, TreeSize: m.Checkpoint.TreeSize,
		Records: len(m.Records), Files: len(m.Files)}
	convs := map[string]bool{}
	for _, r := range m.Records {
		if r.Kind == steward.RecordMessage {
			s.Messages++
		}
		if dir, _, ok := strings.Cut(strings.TrimPrefix(r.File, "conversations/"), "/"); ok {
			convs[dir] = true
		}
	}
	s.Conversations = len(convs)
	for _, f := range m.Files {
		s.Bytes += f.Size
	}
	return s
}

// encode returns manifest.json's bytes.
func (m *Manifest) encode() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ParseManifest decodes manifest.json strictly: unknown fields, a second
// JSON value, or any field out of shape (an unsafe or repeated path, a
// record listed twice or out of leaf order, a digest that is not hex of
// the right length, a leaf that is not base64) is Invalid; over 2 GiB is
// TooLarge. It checks shape only: Verify checks that the manifest is true.
func ParseManifest(data []byte) (*Manifest, error) {
	const op steward.Op = "transfer.ParseManifest"
	if len(data) > maxManifest {
		return nil, steward.E(op, steward.TooLarge, "a manifest is at most 2 GiB")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, steward.E(op, steward.Invalid, "manifest is not the expected JSON", err)
	}
	if dec.More() {
		return nil, steward.E(op, steward.Invalid, "manifest has data after its JSON object")
	}
	if err := m.check(); err != nil {
		return nil, steward.E(op, steward.Invalid, err)
	}
	return &m, nil
}

func (m *Manifest) check() error {
	switch {
	case m.Format != Format:
		return fmt.Errorf("format %q, want %q", m.Format, Format)
	case m.PackageID == "" || !safeName(m.PackageID):
		return fmt.Errorf("bad package id %q", m.PackageID)
	case m.Origin == "":
		return fmt.Errorf("no origin")
	case m.Checkpoint.TreeSize < 1:
		return fmt.Errorf("checkpoint tree size %d", m.Checkpoint.TreeSize)
	case !isHex(m.Checkpoint.Root, 32):
		return fmt.Errorf("checkpoint root is not 64 hex digits")
	}
	seen := make(map[string]bool, len(m.Files))
	for i, f := range m.Files {
		switch {
		case !safePath(f.Path):
			return fmt.Errorf("file %d: unsafe path %q", i, f.Path)
		case f.Path == ManifestFile || f.Path == SignatureFile:
			return fmt.Errorf("file %d: %s cannot list itself or its signature", i, f.Path)
		case seen[strings.ToLower(f.Path)]:
			// Case-insensitive file systems would merge two such files.
			return fmt.Errorf("file %q is listed twice", f.Path)
		case f.Size < 0:
			return fmt.Errorf("file %q: negative size", f.Path)
		case !isHex(f.SHA256, 32):
			return fmt.Errorf("file %q: sha256 is not 64 hex digits", f.Path)
		}
		seen[strings.ToLower(f.Path)] = true
	}
	if !slices.IsSortedFunc(m.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) }) {
		return fmt.Errorf("files are not sorted by path")
	}
	ids := make(map[string]bool, len(m.Records))
	for i, r := range m.Records {
		switch {
		case r.RecordID == "" || len(r.RecordID) > archive.MaxIDLen:
			return fmt.Errorf("record %d: bad record id", i)
		case ids[r.RecordID]:
			return fmt.Errorf("record %s is listed twice", r.RecordID)
		case r.LeafIndex < 0 || r.LeafIndex >= m.Checkpoint.TreeSize:
			return fmt.Errorf("record %s: leaf index %d outside the checkpoint's tree", r.RecordID, r.LeafIndex)
		case i > 0 && r.LeafIndex <= m.Records[i-1].LeafIndex:
			return fmt.Errorf("record %s: records are not in ascending leaf order", r.RecordID)
		case !steward.ValidRecordKind(r.Kind):
			return fmt.Errorf("record %s: unknown kind %q", r.RecordID, r.Kind)
		case !safePath(r.File):
			return fmt.Errorf("record %s: unsafe file path %q", r.RecordID, r.File)
		case !isHex(r.LeafHash, 32):
			return fmt.Errorf("record %s: leaf hash is not 64 hex digits", r.RecordID)
		case len(r.Proof) > 64:
			return fmt.Errorf("record %s: proof longer than any tree needs", r.RecordID)
		}
		if _, err := base64.StdEncoding.Strict().DecodeString(r.Leaf); err != nil {
			return fmt.Errorf("record %s: leaf is not base64", r.RecordID)
		}
		for _, h := range r.Proof {
			if !isHex(h, 32) {
				return fmt.Errorf("record %s: proof hash is not 64 hex digits", r.RecordID)
			}
		}
		ids[r.RecordID] = true
	}
	return nil
}

// safePath reports whether p names a file inside the package: relative,
// slash-separated, clean, without "." or ".." elements, and made of
// characters every file system takes.
func safePath(p string) bool {
	if !fs.ValidPath(p) || p == "." || path.Clean(p) != p || len(p) > 255 {
		return false
	}
	for _, el := range strings.Split(p, "/") {
		if !safeName(el) {
			return false
		}
	}
	return true
}

// safeName reports whether s is a portable file name: letters, digits,
// '.', '_' and '-', not starting with '.' or '-'. NARA's naming
// guidance asks for such names, and they cannot be misread by a shell.
func safeName(s string) bool {
	if s == "" || len(s) > 128 || s[0] == '.' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// isHex reports whether s is the lowercase hex of n bytes.
func isHex(s string, n int) bool {
	if len(s) != 2*n {
		return false
	}
	b, err := hex.DecodeString(s)
	return err == nil && hex.EncodeToString(b) == s
}
