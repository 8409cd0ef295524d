package transfer

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/steward"
)

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// PublicKey, if set, is the log's verifier key as the agency
	// publishes it: log.pub must be exactly this key. Without it the
	// package is checked against its own log.pub, which shows it was not
	// altered since signing but not who signed it.
	PublicKey string
}

// Problem is one thing wrong with a package, naming the file (and the
// record, where one is concerned).
type Problem struct {
	File     string `json:"file"`
	RecordID string `json:"record_id,omitempty"`
	What     string `json:"what"`
}

func (p Problem) String() string {
	s := p.File + ": "
	if p.RecordID != "" {
		s += "record " + p.RecordID + ": "
	}
	return s + p.What
}

// Report is the outcome of Verify.
type Report struct {
	PackageID string    `json:"package_id,omitempty"`
	Origin    string    `json:"origin,omitempty"`
	TreeSize  int64     `json:"tree_size,omitempty"`
	Files     int       `json:"files"`
	Records   int       `json:"records"`
	Problems  []Problem `json:"problems"`
}

// OK reports whether the package verified.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// maxSmall bounds the small fixed files Verify reads whole.
const maxSmall = 1 << 20

// Verify checks the package in dir offline, with nothing but its files
// (and opts.PublicKey): see the package documentation for what it
// checks. Every problem found is in the report, each naming its file;
// the package is good only if Report.OK. Verify returns an error only
// when dir cannot be read at all (NotFound, Unavailable).
func Verify(dir string, opts VerifyOptions) (*Report, error) {
	const op steward.Op = "transfer.Verify"
	root, err := os.OpenRoot(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, steward.E(op, steward.NotFound, "no package at "+dir, err)
		}
		return nil, steward.E(op, steward.Unavailable, err)
	}
	defer root.Close()
	v := &verifier{root: root, rep: &Report{Problems: []Problem{}}}
	v.run(opts)
	return v.rep, nil
}

type verifier struct {
	root *os.Root
	rep  *Report
	vkey note.Verifier
	m    *Manifest
}

func (v *verifier) problem(file, record, format string, args ...any) {
	v.rep.Problems = append(v.rep.Problems, Problem{File: file, RecordID: record, What: fmt.Sprintf(format, args...)})
}

// read returns a whole file of the package, at most max bytes, refusing
// anything but a regular file.
func (v *verifier) read(name string, max int64) ([]byte, error) {
	f, err := v.root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("larger than %d bytes", max)
	}
	return io.ReadAll(io.LimitReader(f, max))
}

func (v *verifier) run(opts VerifyOptions) {
	// The key first: everything else is checked against it.
	pub, err := v.read(PublicKeyFile, maxSmall)
	if err != nil {
		v.problem(PublicKeyFile, "", "cannot read the log's public key: %v", err)
		return
	}
	if v.vkey, err = note.NewVerifier(strings.TrimSpace(string(pub))); err != nil {
		v.problem(PublicKeyFile, "", "not a note verifier key")
		return
	}
	if opts.PublicKey != "" && strings.TrimSpace(opts.PublicKey) != strings.TrimSpace(string(pub)) {
		v.problem(PublicKeyFile, "", "is not the expected public key %q", strings.TrimSpace(opts.PublicKey))
	}
	v.rep.Origin = v.vkey.Name()

	body, err := v.read(ManifestFile, maxManifest)
	if err != nil {
		v.problem(ManifestFile, "", "cannot read: %v", err)
		return
	}
	v.signature(body)
	if v.m, err = ParseManifest(body); err != nil {
		v.problem(ManifestFile, "", "%v", err)
		return
	}
	v.rep.PackageID, v.rep.Files, v.rep.Records = v.m.PackageID, len(v.m.Files), len(v.m.Records)
	if v.m.Origin != v.vkey.Name() {
		v.problem(ManifestFile, "", "origin %q is not the key's name %q", v.m.Origin, v.vkey.Name())
	}
	v.files()
	cp := v.checkpoint()
	v.records(cp)
	v.metadata()
}

// signature checks manifest.sig: signed by the log key, naming this
// package and manifest.json's digest.
func (v *verifier) signature(manifest []byte) {
	sig, err := v.read(SignatureFile, maxSmall)
	if err != nil {
		v.problem(SignatureFile, "", "cannot read: %v", err)
		return
	}
	n, err := note.Open(sig, note.VerifierList(v.vkey))
	if err != nil {
		v.problem(SignatureFile, "", "the signature does not verify with %s", PublicKeyFile)
		return
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	sum := sha256.Sum256(manifest)
	if len(lines) != 3 || lines[0] != signatureMagic || !strings.HasPrefix(lines[1], "package ") ||
		!strings.HasPrefix(lines[2], "manifest-sha256 ") {
		v.problem(SignatureFile, "", "not a Steward transfer package signature")
		return
	}
	if lines[2] != "manifest-sha256 "+hex.EncodeToString(sum[:]) {
		v.problem(ManifestFile, "", "does not match the digest signed in %s", SignatureFile)
	}
	var m struct {
		PackageID string `json:"package_id"`
	}
	if json.Unmarshal(manifest, &m) == nil && lines[1] != "package "+m.PackageID {
		v.problem(SignatureFile, "", "signs another package")
	}
}

// files checks every listed file's size and digest, and that no file is
// unlisted.
func (v *verifier) files() {
	listed := make(map[string]bool, len(v.m.Files)+2)
	listed[ManifestFile], listed[SignatureFile] = true, true
	for _, f := range v.m.Files {
		listed[f.Path] = true
		size, sum, err := v.digest(f.Path)
		switch {
		case err != nil:
			v.problem(f.Path, "", "listed in the manifest but %v", err)
		case size != f.Size:
			v.problem(f.Path, "", "has %d bytes, the manifest says %d", size, f.Size)
		case sum != f.SHA256:
			v.problem(f.Path, "", "SHA-256 %s does not match the manifest's %s", sum, f.SHA256)
		}
	}
	for _, fixed := range []string{CheckpointFile, PublicKeyFile, MetadataCSV, MetadataJSON} {
		if !slices.ContainsFunc(v.m.Files, func(f File) bool { return f.Path == fixed }) {
			v.problem(ManifestFile, "", "does not list %s", fixed)
		}
	}
	err := fs.WalkDir(v.root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			v.problem(p, "", "cannot read: %v", err)
			return nil
		}
		switch {
		case d.IsDir():
		case !d.Type().IsRegular():
			v.problem(p, "", "is not a regular file")
		case !listed[p]:
			v.problem(p, "", "is not listed in the manifest")
		}
		return nil
	})
	if err != nil {
		v.problem(".", "", "cannot list the package: %v", err)
	}
}

func (v *verifier) digest(name string) (int64, string, error) {
	f, err := v.root.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, "", fmt.Errorf("missing")
		}
		return 0, "", err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return 0, "", fmt.Errorf("not a regular file")
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// checkpoint verifies checkpoint.txt and that the manifest restates it.
func (v *verifier) checkpoint() *steward.Checkpoint {
	text, err := v.read(CheckpointFile, maxSmall)
	if err != nil {
		v.problem(CheckpointFile, "", "cannot read: %v", err)
		return nil
	}
	cp, err := archive.ParseCheckpoint(text, v.vkey, v.vkey.Name())
	if err != nil {
		v.problem(CheckpointFile, "", "the checkpoint does not verify with %s", PublicKeyFile)
		return nil
	}
	v.rep.TreeSize = cp.Size
	if cp.Size != v.m.Checkpoint.TreeSize || hex.EncodeToString(cp.Root[:]) != v.m.Checkpoint.Root {
		v.problem(ManifestFile, "", "its checkpoint (size %d) is not the one in %s (size %d)", v.m.Checkpoint.TreeSize, CheckpointFile, cp.Size)
		return nil
	}
	return cp
}

// records checks each record's leaf, metadata digest and inclusion proof.
func (v *verifier) records(cp *steward.Checkpoint) {
	files := make(map[string]bool, len(v.m.Files))
	for _, f := range v.m.Files {
		files[f.Path] = true
	}
	for _, r := range v.m.Records {
		bad := func(format string, args ...any) { v.problem(ManifestFile, r.RecordID, format, args...) }
		if !files[r.File] || !strings.HasSuffix(r.File, ".eml") {
			bad("its file %s is not a listed .eml file", r.File)
		}
		leaf, _ := base64.StdEncoding.Strict().DecodeString(r.Leaf) // ParseManifest checked it
		l, err := archive.DecodeLeaf(leaf)
		if err != nil {
			bad("leaf does not decode")
			continue
		}
		lh := archive.LeafHash(leaf)
		switch {
		case hex.EncodeToString(lh[:]) != r.LeafHash:
			bad("leaf does not hash to its leaf hash")
		case l.RecordID != r.RecordID || l.Kind != r.Kind:
			bad("leaf is of record %s (%s), not this one", l.RecordID, l.Kind)
		case sha256.Sum256([]byte(r.Meta)) != [32]byte(l.MetaHash):
			bad("metadata is not what the leaf commits to")
		}
		if cp == nil {
			continue
		}
		proof := make(tlog.RecordProof, len(r.Proof))
		for i, h := range r.Proof {
			b, _ := hex.DecodeString(h) // ParseManifest checked it
			copy(proof[i][:], b)
		}
		if err := tlog.CheckRecord(proof, cp.Size, tlog.Hash(cp.Root), r.LeafIndex, tlog.Hash(lh)); err != nil {
			bad("inclusion proof does not lead to the checkpoint's root")
		}
	}
}

// metadata checks that metadata.json and metadata.csv list exactly the
// manifest's records, with the leaf index, kind and capture time the
// log holds.
func (v *verifier) metadata() {
	want := make(map[string]*Record, len(v.m.Records))
	for i := range v.m.Records {
		want[v.m.Records[i].RecordID] = &v.m.Records[i]
	}
	check := func(file string, rows []Row) {
		seen := make(map[string]bool, len(rows))
		for _, row := range rows {
			r := want[row.RecordID]
			switch {
			case r == nil:
				v.problem(file, row.RecordID, "is not in the manifest")
				continue
			case seen[row.RecordID]:
				v.problem(file, row.RecordID, "is listed twice")
				continue
			}
			seen[row.RecordID] = true
			leaf, _ := base64.StdEncoding.Strict().DecodeString(r.Leaf)
			l, err := archive.DecodeLeaf(leaf)
			switch {
			case row.LeafIndex != r.LeafIndex || row.Kind != string(r.Kind) || row.FileName != r.File || row.LeafHash != r.LeafHash:
				v.problem(file, row.RecordID, "leaf index, kind, file or leaf hash differ from the manifest's")
			case err == nil && row.CapturedAt != stamp(l.CapturedAt):
				v.problem(file, row.RecordID, "captured_at %s is not the logged %s", row.CapturedAt, stamp(l.CapturedAt))
			}
		}
		for _, r := range v.m.Records {
			if !seen[r.RecordID] {
				v.problem(file, r.RecordID, "is in the manifest but has no metadata row")
			}
		}
	}
	if b, err := v.read(MetadataJSON, maxManifest); err != nil {
		v.problem(MetadataJSON, "", "cannot read: %v", err)
	} else {
		var rows []Row
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rows); err != nil {
			v.problem(MetadataJSON, "", "not a JSON array of metadata rows: %v", err)
		} else {
			check(MetadataJSON, rows)
		}
	}
	if b, err := v.read(MetadataCSV, maxManifest); err != nil {
		v.problem(MetadataCSV, "", "cannot read: %v", err)
	} else if rows, err := parseCSV(b); err != nil {
		v.problem(MetadataCSV, "", "%v", err)
	} else {
		check(MetadataCSV, rows)
	}
}

// parseCSV reads metadata.csv back into the rows' checked fields.
func parseCSV(b []byte) ([]Row, error) {
	cr := csv.NewReader(bytes.NewReader(b))
	cr.Comma = '|'
	cr.FieldsPerRecord = len(Columns)
	head, err := cr.Read()
	if err != nil || !slices.Equal(head, Columns) {
		return nil, fmt.Errorf("the header is not the expected columns")
	}
	col := func(name string) int { return slices.Index(Columns, name) }
	var rows []Row
	for {
		f, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("not pipe-delimited CSV: %v", err)
		}
		leaf, err := strconv.ParseInt(f[col("leaf_index")], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("record %s: bad leaf index", f[col("record_id")])
		}
		rows = append(rows, Row{FileName: f[col("file_name")], RecordID: f[col("record_id")], LeafIndex: leaf,
			LeafHash: f[col("leaf_hash")], Kind: f[col("kind")], CapturedAt: f[col("captured_at")]})
	}
}
