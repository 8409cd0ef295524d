package rsmf_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/rsmf"
)

var t0 = time.Date(2024, 3, 5, 9, 30, 0, 0, time.UTC)

var photo = bytes.Repeat([]byte("JPEG"), 300)

// sample is a conversation that uses every feature: edits, a deletion,
// reactions, receipts, a join and a leave, threads, an attachment with
// content and one missing at capture, non-ASCII text, and names that try
// to inject headers or fake a MIME boundary.
func sample() *rsmf.Manifest {
	sum := sha256.Sum256(photo)
	return &rsmf.Manifest{
		EventCollectionID: "conv-1",
		Participants: []rsmf.Participant{
			{ID: "p-ana", Display: "Ana Núñez", Email: "ana@agency.gov", AccountID: "+15550000001",
				Custom: map[string]string{"Title": "Director", "Empty": ""}},
			{ID: "p-bo", Display: "Bo\r\nBcc: victim@example.com", AccountID: "+15550000002", Email: "not an address"},
			{ID: "p-cy", AccountID: "+15550000003"},
		},
		Conversations: []rsmf.Conversation{{
			ID: "conv-1", Platform: "signal", Display: "Budget 2024 ✓", Type: rsmf.Channel,
			Custodian: "p-ana", Participants: []string{"p-ana", "p-bo"},
		}},
		Events: []rsmf.Event{
			{ID: "e1", Type: rsmf.Message, Participant: "p-ana", Conversation: "conv-1", Timestamp: t0,
				Body: "Morning — draft attached.\nSecond line", Direction: rsmf.Outgoing,
				Attachments: []rsmf.Attachment{{ID: "a1-draft.jpg", Display: "draft.jpg", ContentType: "image/jpeg",
					Size: int64(len(photo)), SHA256: sum[:], Open: rsmf.FromBytes(photo)}},
				ReadReceipts: []rsmf.ReadReceipt{{Participant: "p-bo", Timestamp: t0.Add(time.Minute), Action: rsmf.Read}}},
			{ID: "e2", Type: rsmf.Message, Participant: "p-bo", Conversation: "conv-1", Timestamp: t0.Add(2 * time.Minute),
				Parent: "e1", Body: "Looks fine", Direction: rsmf.Incoming,
				Edits:     []rsmf.Edit{{Timestamp: t0.Add(3 * time.Minute), Previous: "Looks bad", New: "Looks fine"}},
				Reactions: []rsmf.Reaction{{Value: "👍", Participants: []string{"p-ana"}}}},
			{ID: "e3", Type: rsmf.Join, Participant: "p-cy", Conversation: "conv-1", Timestamp: t0.Add(4 * time.Minute)},
			{ID: "e4", Type: rsmf.Message, Participant: "p-cy", Conversation: "conv-1", Timestamp: t0.Add(5 * time.Minute),
				Body: "--rsmf-0000\r\nContent-Type: text/html\r\n\r\nspoof", Deleted: true, Direction: rsmf.Incoming},
			{ID: "e5", Type: rsmf.Message, Participant: "p-cy", Conversation: "conv-1", Timestamp: t0.Add(6 * time.Minute),
				Parent: "e0-earlier-day", Body: "see scan",
				Attachments: []rsmf.Attachment{{ID: "a2-scan.pdf", Display: "scan.pdf", Size: 1000}}},
			{ID: "e6", Type: rsmf.Leave, Participant: "p-cy", Conversation: "conv-1", Timestamp: t0.Add(7 * time.Minute)},
		},
	}
}

func write(t testing.TB, m *rsmf.Manifest, opts *rsmf.WriteOptions) ([]byte, *rsmf.Result) {
	t.Helper()
	var buf bytes.Buffer
	res, err := rsmf.Write(&buf, m, opts)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if res.Bytes != int64(buf.Len()) {
		t.Fatalf("Result.Bytes = %d, wrote %d", res.Bytes, buf.Len())
	}
	return buf.Bytes(), res
}

// unpacked is a .rsmf file taken apart with the standard library alone,
// the way an independent reader would.
type unpacked struct {
	header   mail.Header
	preview  string
	files    map[string][]byte
	manifest map[string]any
}

func unpack(t testing.TB, data []byte) *unpacked {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q", msg.Header.Get("Content-Type"))
	}
	u := &unpacked{header: msg.Header, files: map[string][]byte{}}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var parts int
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("NextPart: %v", err)
		}
		parts++
		body, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		if p.FileName() == "" {
			u.preview = string(body)
			continue
		}
		if p.FileName() != "rsmf.zip" {
			t.Fatalf("unexpected attachment %q", p.FileName())
		}
		raw, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(body), "\r\n", ""))
		if err != nil {
			t.Fatalf("rsmf.zip base64: %v", err)
		}
		zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			t.Fatalf("zip: %v", err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			u.files[f.Name] = b
		}
	}
	if parts != 2 {
		t.Fatalf("%d MIME parts, want preview + rsmf.zip", parts)
	}
	if err := json.Unmarshal(u.files["rsmf_manifest.json"], &u.manifest); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	return u
}

// event returns the manifest's event with the given id, as decoded JSON.
func (u *unpacked) event(t testing.TB, id string) map[string]any {
	t.Helper()
	for _, e := range u.manifest["events"].([]any) {
		if e := e.(map[string]any); e["id"] == id {
			return e
		}
	}
	t.Fatalf("no event %q", id)
	return nil
}

// custom returns the value of a custom property of a decoded object.
func custom(obj map[string]any, name string) string {
	list, _ := obj["custom"].([]any)
	for _, c := range list {
		if c := c.(map[string]any); c["name"] == name {
			return c["value"].(string)
		}
	}
	return ""
}

// build assembles a .rsmf by hand, for files the writer would never
// produce.
func build(headers string, parts ...string) []byte {
	var b strings.Builder
	b.WriteString(headers)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n")
	for _, p := range parts {
		b.WriteString("--B\r\n" + p + "\r\n")
	}
	b.WriteString("--B--\r\n")
	return []byte(b.String())
}

const textPart = "Content-Type: text/plain; charset=utf-8\r\n\r\npreview"

func zipPart(name string, files map[string][]byte) string {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for n, b := range files {
		w, _ := zw.Create(n)
		w.Write(b)
	}
	zw.Close()
	return rawZipPart(name, buf.Bytes())
}

func rawZipPart(name string, zipped []byte) string {
	return "Content-Type: application/octet-stream; name=\"" + name + "\"\r\n" +
		"Content-Disposition: attachment; filename=\"" + name + "\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(zipped)
}

const goodManifest = `{"version":"2.0.0",
 "participants":[{"id":"P1","display":"One"},{"id":"P2"}],
 "conversations":[{"id":"C1","platform":"signal","type":"direct","participants":["P1","P2"]}],
 "events":[{"id":"m1","type":"message","participant":"P1","conversation":"C1","timestamp":"2024-01-02T10:00:00Z","body":"hi",
   "attachments":[{"id":"f.txt","display":"f.txt","size":2}]}]}`
