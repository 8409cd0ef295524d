package extract

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestZipEntries(t *testing.T) {
	data := buildZip(t,
		zipEntry{name: "dir/", data: nil},
		zipEntry{name: "dir/a.txt", data: []byte("alpha 078-05-1121")},
		zipEntry{name: "b.txt", data: []byte("bravo"), store: true},
		zipEntry{name: "secret.txt", data: []byte("hidden"), encrypted: true},
		zipEntry{name: "packed.txt", data: []byte("bz2"), method: 12},
		zipEntry{name: "__MACOSX/dir/._a.txt", data: []byte("\x00\x05\x16\x07 resource fork")},
		zipEntry{name: "../../etc/evil.txt", data: []byte("names are labels")},
	)
	r := run("bundle.zip", data)
	checkInvariants(t, r, Limits{})
	wantText(t, part(t, r, "bundle.zip/dir/a.txt").Text, "alpha 078-05-1121")
	wantText(t, part(t, r, "bundle.zip/b.txt").Text, "bravo")
	wantText(t, part(t, r, "bundle.zip/../../etc/evil.txt").Text, "names are labels")
	wantProblem(t, r, "bundle.zip/secret.txt", Encrypted)
	wantProblem(t, r, "bundle.zip/packed.txt", Unsupported)
	if len(r.Unscannable) != 2 {
		t.Fatalf("want exactly the two problems, got %+v", r.Unscannable)
	}
	for _, p := range r.Parts {
		if strings.Contains(p.Path, "__MACOSX") || p.Path == "bundle.zip/secret.txt" {
			t.Fatalf("part %q should not exist", p.Path)
		}
	}
}

func TestZipRatioBomb(t *testing.T) {
	zeros := make([]byte, 20<<20) // deflates about 1000:1
	data := buildZip(t, zipEntry{name: "zeros.bin", data: zeros}, zipEntry{name: "ok.txt", data: []byte("still read")})
	if len(data) > 100<<10 {
		t.Fatalf("fixture is not a bomb: %d bytes", len(data))
	}
	r := run("bomb.zip", data)
	checkInvariants(t, r, Limits{})
	wantProblem(t, r, "bomb.zip/zeros.bin", Bomb)
	// The bomb is refused on its declared sizes, before inflating.
	if d := r.Unscannable[0].Detail; !strings.Contains(d, "declares") {
		t.Fatalf("detail %q", d)
	}
	wantText(t, part(t, r, "bomb.zip/ok.txt").Text, "still read")
}

// rawZip writes one deflated entry whose directory declares the given
// sizes, as a malicious archiver would.
func rawZip(t *testing.T, name string, content []byte, declared uint64) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestSpeed)
	fw.Write(content)
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(content),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: declared})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	zw.Close()
	return buf.Bytes()
}

func TestZipBombWithLyingSizes(t *testing.T) {
	zeros := make([]byte, 16<<20)
	// Declaring 1 MiB hides the ratio; archive/zip stops at the declared
	// size and reports the mismatch, so the entry is corrupt and at most
	// the declared size was ever inflated.
	r := run("liar.zip", rawZip(t, "zeros.bin", zeros, 1<<20))
	wantProblem(t, r, "liar.zip/zeros.bin", Corrupt)
	for _, p := range r.Parts {
		if len(p.Text) > 1<<20 {
			t.Fatalf("part %q has %d bytes of text", p.Path, len(p.Text))
		}
	}
	// Declaring the truth at a ratio over the limit is refused unread.
	r = run("honest.zip", rawZip(t, "zeros.bin", zeros, uint64(len(zeros))))
	wantProblem(t, r, "honest.zip/zeros.bin", Bomb)
}

func TestZipGraceAndInputLimit(t *testing.T) {
	// 900 KiB at about 1000:1 is under the 1 MiB grace: not a bomb.
	small := bytes.Repeat([]byte("x"), 900<<10)
	r := run("ok.zip", rawZip(t, "x.txt", small, uint64(len(small))))
	wantClean(t, r)
	if got := len(part(t, r, "ok.zip/x.txt").Text); got != len(small) {
		t.Fatalf("got %d bytes", got)
	}
	// With a tight MaxInput the same entry is too large, not a bomb.
	r = Extract("ok.zip", "", rawZip(t, "x.txt", small, uint64(len(small))), Limits{MaxInput: 100 << 10})
	wantProblem(t, r, "ok.zip/x.txt", TooLarge)
}

func nestedZip(t *testing.T, levels int) []byte {
	t.Helper()
	inner := buildZip(t, files(fmt.Sprintf("t%d.txt", levels), fmt.Sprintf("text at level %d", levels))...)
	for i := levels - 1; i >= 0; i-- {
		inner = buildZip(t,
			zipEntry{name: fmt.Sprintf("t%d.txt", i), data: []byte(fmt.Sprintf("text at level %d", i))},
			zipEntry{name: fmt.Sprintf("l%d.zip", i+1), data: inner})
	}
	return inner
}

func TestNestedZipDepth(t *testing.T) {
	r := run("l0.zip", nestedZip(t, 6))
	checkInvariants(t, r, Limits{})
	// l0.zip is depth 0; its entries depth 1; l3.zip sits at depth 3 and
	// would put its entries at 4.
	wantText(t, part(t, r, "l0.zip/t0.txt").Text, "level 0")
	wantText(t, part(t, r, "l0.zip/l1.zip/l2.zip/t2.txt").Text, "level 2")
	wantProblem(t, r, "l0.zip/l1.zip/l2.zip/l3.zip", TooDeep)
	if len(r.Unscannable) != 1 {
		t.Fatalf("want one problem, got %+v", r.Unscannable)
	}
	for _, p := range r.Parts {
		if strings.Contains(p.Path, "l3.zip/") {
			t.Fatalf("read beyond the depth limit: %s", p.Path)
		}
	}
}

func TestZipEntryCount(t *testing.T) {
	entries := func(n int) []zipEntry {
		var out []zipEntry
		for i := range n {
			out = append(out, zipEntry{name: fmt.Sprintf("f%04d.txt", i), data: []byte("x")})
		}
		return out
	}
	r := run("many.zip", buildZip(t, entries(1001)...))
	wantProblem(t, r, "many.zip", TooManyEntries)
	if len(r.Parts) != 0 {
		t.Fatalf("an over-full archive was read: %d parts", len(r.Parts))
	}
	r = run("full.zip", buildZip(t, entries(1000)...))
	wantClean(t, r)
	if len(r.Parts) != 1000 {
		t.Fatalf("%d parts, want 1000", len(r.Parts))
	}
	// An inner zip stored uncompressed puts its directory signatures in
	// the outer file; only the outer directory's count matters.
	inner := buildZip(t, entries(900)...)
	outer := append(entries(200), zipEntry{name: "inner.zip", data: inner, store: true})
	r = run("outer.zip", buildZip(t, outer...))
	wantClean(t, r)
	if len(r.Parts) != 1100 {
		t.Fatalf("%d parts, want 1100", len(r.Parts))
	}
}

func TestExpandedBudget(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var entries []zipEntry
	for i := range 8 {
		b := make([]byte, 300<<10)
		for j := range b {
			b[j] = 'a' + byte(rng.IntN(26))
		}
		entries = append(entries, zipEntry{name: fmt.Sprintf("f%d.txt", i), data: b})
	}
	lim := Limits{MaxExpanded: 1 << 20}
	r := Extract("spread.zip", "", buildZip(t, entries...), lim)
	checkInvariants(t, r, lim)
	if len(r.Unscannable) != 1 || r.Unscannable[0].Reason != Bomb || !strings.Contains(r.Unscannable[0].Detail, "total expansion") {
		t.Fatalf("want one total-expansion bomb, got %+v", r.Unscannable)
	}
	if len(r.Parts) != 3 {
		t.Fatalf("want the three entries within 1 MiB, got %s", partPaths(r))
	}
}

func TestNestedBombCopies(t *testing.T) {
	// 42.zip in miniature: each level holds many copies of the level
	// below, and the leaves are ratio bombs. Bounds keep it cheap.
	leaf := rawZip(t, "zeros.bin", make([]byte, 8<<20), 8<<20)
	level := leaf
	for range 3 {
		var copies []zipEntry
		for i := range 16 {
			copies = append(copies, zipEntry{name: fmt.Sprintf("c%02d.zip", i), data: level})
		}
		level = buildZip(t, copies...)
	}
	r := run("42.zip", level)
	checkInvariants(t, r, Limits{})
	var bombs, deep int
	for _, p := range r.Unscannable {
		switch p.Reason {
		case Bomb:
			bombs++
		case TooDeep:
			deep++
		}
	}
	if bombs+deep == 0 || len(r.Unscannable) > maxProblems {
		t.Fatalf("got %d bombs, %d too deep of %d problems", bombs, deep, len(r.Unscannable))
	}
}

func TestGzipAndTar(t *testing.T) {
	r := run("notes.txt.gz", buildGzip(t, "", []byte("gzipped 078-05-1121")))
	wantClean(t, r)
	wantText(t, part(t, r, "notes.txt.gz/notes.txt").Text, "gzipped 078-05-1121")

	tgz := buildGzip(t, "", buildTar(t, "dir/a.txt", "in a tarball", "b.txt", "second"))
	r = run("bundle.tgz", tgz)
	wantClean(t, r)
	wantText(t, part(t, r, "bundle.tgz/bundle.tar/dir/a.txt").Text, "in a tarball")
	wantText(t, part(t, r, "bundle.tgz/bundle.tar/b.txt").Text, "second")

	r = run("named.gz", buildGzip(t, "original.csv", []byte("a,b")))
	wantText(t, part(t, r, "named.gz/original.csv").Text, "a,b")
}

func TestGzipBombAndCorruption(t *testing.T) {
	r := run("z.gz", buildGzip(t, "z", make([]byte, 20<<20)))
	wantProblem(t, r, "z.gz/z", Bomb)
	gz := buildGzip(t, "t.txt", []byte(strings.Repeat("some text here ", 100)))
	r = run("cut.gz", gz[:len(gz)-30])
	wantProblem(t, r, "cut.gz", Corrupt)
	wantText(t, part(t, r, "cut.gz/t.txt").Text, "some text")
}

func TestTarEntryLimit(t *testing.T) {
	var kv []string
	for i := range 5 {
		kv = append(kv, fmt.Sprintf("f%d.txt", i), "x")
	}
	lim := Limits{MaxEntries: 3}
	r := Extract("t.tar", "", buildTar(t, kv...), lim)
	wantProblem(t, r, "t.tar", TooManyEntries)
	if len(r.Parts) != 3 {
		t.Fatalf("want the first three entries, got %s", partPaths(r))
	}
}

// fakeCFB is an OLE compound file header followed by directory names, as
// far as classification looks.
func fakeCFB(names ...string) []byte {
	b := []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
	b = append(b, make([]byte, 504)...)
	for _, n := range names {
		b = append(b, utf16le(n)...)
		b = append(b, make([]byte, 64)...)
	}
	return b
}

func TestOLECompoundFiles(t *testing.T) {
	r := run("locked.docx", fakeCFB("EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"))
	wantProblem(t, r, "locked.docx", Encrypted)
	r = run("old.doc", fakeCFB("WordDocument", "1Table"))
	wantProblem(t, r, "old.doc", Unsupported)
	if r.Unscannable[0].Detail != "legacy Word document (.doc)" {
		t.Fatalf("detail %q", r.Unscannable[0].Detail)
	}
}

func TestCorruptZip(t *testing.T) {
	data := buildZip(t, files("a.txt", strings.Repeat("hello ", 1000))...)
	r := run("cut.zip", data[:len(data)/2])
	wantProblem(t, r, "cut.zip", Corrupt)
	// Flip bytes inside the deflated data: the entry is corrupt.
	bad := bytes.Clone(data)
	for i := 40; i < 60; i++ {
		bad[i] ^= 0x55
	}
	r = run("bad.zip", bad)
	wantProblem(t, r, "bad.zip/a.txt", Corrupt)
}
