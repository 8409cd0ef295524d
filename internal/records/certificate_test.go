package records

import (
	"bytes"
	"crypto/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/steward"
)

func sampleCertificate() steward.DispositionCertificate {
	return steward.DispositionCertificate{
		BatchID:     "0192f1c4-7e55-7a1b-9c3d-5e6f7a8b9c0d",
		Action:      steward.DispositionDestroy,
		RequestedBy: "emp-rm1",
		Approvals: []steward.BatchApproval{
			{By: "emp-rm2", At: time.Date(2027, time.January, 4, 15, 0, 0, 0, time.UTC)},
			{By: "emp-rm3", At: time.Date(2027, time.January, 4, 16, 30, 0, 123_000_000, time.FixedZone("EST", -5*3600))},
		},
		ExecutedBy: "emp-rm1",
		ExecutedAt: time.Date(2027, time.January, 5, 9, 0, 0, 0, time.UTC),
		Records: []steward.CertifiedRecord{
			{RecordID: "rec-b", LeafIndex: 12, LeafHash: steward.Hash{0xab, 0xcd}, ItemID: "grs-5.2-010", Authority: "DAA-GRS-2022-0009-0001"},
			{RecordID: "rec-a", LeafIndex: 3, LeafHash: steward.Hash{0x01}, ItemID: "agency-010", Authority: "N1-064-08-1, item 3"},
		},
	}
}

const sampleEncoding = `steward disposition certificate v1
batch 0192f1c4-7e55-7a1b-9c3d-5e6f7a8b9c0d
action destroy
requested-by emp-rm1
approved-by emp-rm2 2027-01-04T15:00:00Z
approved-by emp-rm3 2027-01-04T21:30:00.123Z
executed-by emp-rm1
executed-at 2027-01-05T09:00:00Z
records 2
record 3 0100000000000000000000000000000000000000000000000000000000000000 rec-a agency-010 N1-064-08-1%2C%20item%203
record 12 abcd000000000000000000000000000000000000000000000000000000000000 rec-b grs-5.2-010 DAA-GRS-2022-0009-0001
`

func TestEncodeCertificate(t *testing.T) {
	got, err := EncodeCertificate(sampleCertificate())
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != sampleEncoding {
		t.Fatalf("encoding =\n%s\nwant\n%s", got, sampleEncoding)
	}
	// Decoding gives back the certificate, in canonical order and UTC.
	c, err := ParseCertificate(got)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleCertificate()
	want.Records[0], want.Records[1] = want.Records[1], want.Records[0]
	want.Approvals[1].At = want.Approvals[1].At.UTC()
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("ParseCertificate =\n%+v\nwant\n%+v", c, want)
	}
}

// The encoding is the text of a C2SP signed note: the log key signs it
// and anyone with the verifier key can open it and parse the same
// certificate.
func TestCertificateSignsAsNote(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "steward.example/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	text, err := EncodeCertificate(sampleCertificate())
	if err != nil {
		t.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: string(text)}, signer)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseCertificate([]byte(n.Text)); err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(msg, []byte("rec-a"), []byte("rec-z"), 1)
	if _, err := note.Open(tampered, note.VerifierList(verifier)); err == nil {
		t.Fatal("a tampered certificate verified")
	}
}

func TestEncodeCertificateRefuses(t *testing.T) {
	for name, change := range map[string]func(*steward.DispositionCertificate){
		"bad action":     func(c *steward.DispositionCertificate) { c.Action = "" },
		"no batch":       func(c *steward.DispositionCertificate) { c.BatchID = "" },
		"no executor":    func(c *steward.DispositionCertificate) { c.ExecutedBy = "" },
		"no time":        func(c *steward.DispositionCertificate) { c.ExecutedAt = time.Time{} },
		"no approvals":   func(c *steward.DispositionCertificate) { c.Approvals = nil },
		"unnamed":        func(c *steward.DispositionCertificate) { c.Approvals[0].By = "" },
		"no records":     func(c *steward.DispositionCertificate) { c.Records = nil },
		"no authority":   func(c *steward.DispositionCertificate) { c.Records[0].Authority = "" },
		"negative index": func(c *steward.DispositionCertificate) { c.Records[0].LeafIndex = -1 },
		"duplicate":      func(c *steward.DispositionCertificate) { c.Records[1].RecordID = c.Records[0].RecordID },
	} {
		c := sampleCertificate()
		change(&c)
		if _, err := EncodeCertificate(c); !steward.Is(steward.Invalid, err) {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
}

func TestParseCertificateRejectsNonCanonical(t *testing.T) {
	tests := map[string]string{
		"empty":              "",
		"no final newline":   strings.TrimSuffix(sampleEncoding, "\n"),
		"blank line":         sampleEncoding + "\n",
		"other magic":        strings.Replace(sampleEncoding, "v1", "v2", 1),
		"lowercase escape":   strings.Replace(sampleEncoding, "%2C", "%2c", 1),
		"needless escape":    strings.Replace(sampleEncoding, "rec-a", "rec%2Da", 1),
		"raw unsafe byte":    strings.Replace(sampleEncoding, "rec-a", "rec,a", 1),
		"offset time":        strings.Replace(sampleEncoding, "2027-01-05T09:00:00Z", "2027-01-05T09:00:00+00:00", 1),
		"trailing zeros":     strings.Replace(sampleEncoding, "09:00:00Z", "09:00:00.000Z", 1),
		"leading zero index": strings.Replace(sampleEncoding, "record 3 ", "record 03 ", 1),
		"uppercase hash":     strings.Replace(sampleEncoding, "abcd00", "ABCD00", 1),
		"short hash":         strings.Replace(sampleEncoding, "abcd00", "abcd", 1),
		"unsorted":           swapLastLines(sampleEncoding),
		"count too high":     strings.Replace(sampleEncoding, "records 2", "records 3", 1),
		"count too low":      strings.Replace(sampleEncoding, "records 2", "records 1", 1),
		"double space":       strings.Replace(sampleEncoding, "batch 0192", "batch  0192", 1),
		"missing action":     strings.Replace(sampleEncoding, "action destroy\n", "", 1),
		"unknown action":     strings.Replace(sampleEncoding, "action destroy", "action burn", 1),
		"no approvals":       strings.Replace(strings.Replace(sampleEncoding, "approved-by emp-rm2 2027-01-04T15:00:00Z\n", "", 1), "approved-by emp-rm3 2027-01-04T21:30:00.123Z\n", "", 1),
		"truncated escape":   strings.Replace(sampleEncoding, "item%203\n", "item%2\n", 1),
	}
	for name, in := range tests {
		if _, err := ParseCertificate([]byte(in)); !steward.Is(steward.Invalid, err) {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
	if _, err := ParseCertificate(make([]byte, maxCertificate+1)); !steward.Is(steward.TooLarge, err) {
		t.Errorf("oversized: %v, want TooLarge", err)
	}
}

// swapLastLines swaps the last two lines of a certificate: its two
// records, which then stand out of order.
func swapLastLines(s string) string {
	l := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	n := len(l)
	l[n-1], l[n-2] = l[n-2], l[n-1]
	return strings.Join(l, "\n") + "\n"
}

// FuzzParseCertificate checks that parsing never panics and that whatever
// parses is canonical: it re-encodes to exactly the input.
func FuzzParseCertificate(f *testing.F) {
	f.Add([]byte(sampleEncoding))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCertificate(data)
		if err != nil {
			if k := steward.KindOf(err); k != steward.Invalid && k != steward.TooLarge {
				t.Fatalf("error of kind %v: %v", k, err)
			}
			return
		}
		again, err := EncodeCertificate(c)
		if err != nil {
			t.Fatalf("parsed but does not encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("parsed %q but re-encodes as %q", data, again)
		}
	})
}
