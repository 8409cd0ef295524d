package eml_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/eml"
	"github.com/steward-gov/steward/internal/rsmf"
	"github.com/steward-gov/steward/internal/steward"
)

var t0 = time.Date(2024, 3, 5, 9, 30, 0, 0, time.UTC)

var photo = bytes.Repeat([]byte{0xff, 0xd8, 'J', 'P', 'G'}, 400)

func sample() *rsmf.Manifest {
	sum := sha256.Sum256(photo)
	return &rsmf.Manifest{
		Participants: []rsmf.Participant{
			{ID: "p-ana", Display: "Ana Núñez", Email: "ana@agency.gov", AccountID: "+15550000001"},
			{ID: "p-bo", Display: "Bo\r\nBcc: victim@example.com", AccountID: "+15550000002"},
			{ID: "p-cy", AccountID: "+15550000003"},
		},
		Conversations: []rsmf.Conversation{{
			ID: "conv/1", Platform: "signal", Display: "Budget 2024 ✓", Type: rsmf.Channel,
			Custodian: "p-ana", Participants: []string{"p-ana", "p-bo", "p-cy"},
		}},
		Events: []rsmf.Event{
			{ID: "e1", Type: rsmf.Message, Participant: "p-ana", Conversation: "conv/1", Timestamp: t0,
				Body: "Morning — draft attached.\nSecond line", Direction: rsmf.Outgoing,
				Attachments: []rsmf.Attachment{{ID: "a1", Display: "Entwurf für Ana.jpg", ContentType: "image/jpeg",
					Size: int64(len(photo)), SHA256: sum[:], Open: rsmf.FromBytes(photo)}}},
			{ID: "e2", Type: rsmf.Message, Participant: "p-bo", Conversation: "conv/1", Timestamp: t0.Add(2 * time.Minute),
				Parent: "e1", Body: "Looks fine", Direction: rsmf.Incoming,
				Edits: []rsmf.Edit{
					{Timestamp: t0.Add(3 * time.Minute), Previous: "Looks bad", New: "Looks odd"},
					{Timestamp: t0.Add(4 * time.Minute), Previous: "Looks odd", New: "Looks fine"},
				},
				Reactions:    []rsmf.Reaction{{Value: "👍", Participants: []string{"p-ana"}}},
				ReadReceipts: []rsmf.ReadReceipt{{Participant: "p-ana", Timestamp: t0.Add(5 * time.Minute), Action: rsmf.Read}}},
			{ID: "e3", Type: rsmf.Message, Participant: "p-cy", Conversation: "conv/1", Timestamp: t0.Add(5 * time.Minute),
				Body: "--eml-0000\r\nContent-Type: text/html\r\n\r\n<b>spoof</b>", Deleted: true, Direction: rsmf.Incoming,
				Attachments: []rsmf.Attachment{{ID: "a2", Display: "scan.pdf", Size: 1000}}},
			{ID: "e4", Type: rsmf.Leave, Participant: "p-cy", Conversation: "conv/1", Timestamp: t0.Add(26 * time.Hour)},
		},
	}
}

// parsed is a message read back with the standard library alone, the way
// a mail tool would.
type parsed struct {
	header      mail.Header
	text        string
	attachments map[string][]byte
	types       map[string]string
}

func parse(t testing.TB, data []byte) *parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	p := &parsed{header: msg.Header, attachments: map[string][]byte{}, types: map[string]string{}}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	if mt == "text/plain" {
		if msg.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
			t.Fatalf("text part encoding %q", msg.Header.Get("Content-Transfer-Encoding"))
		}
		b, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil {
			t.Fatalf("quoted-printable: %v", err)
		}
		p.text = string(b)
		return p
	}
	if mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q", mt)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for i := 0; ; i++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("NextPart: %v", err)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		if i == 0 {
			if part.FileName() != "" || !strings.HasPrefix(part.Header.Get("Content-Type"), "text/plain") {
				t.Fatalf("first part is not the text: %v", part.Header)
			}
			p.text = string(b)
			continue
		}
		if part.Header.Get("Content-Transfer-Encoding") != "base64" {
			t.Fatalf("attachment encoding %q", part.Header.Get("Content-Transfer-Encoding"))
		}
		dec, err := io.ReadAll(base64Reader(b))
		if err != nil {
			t.Fatalf("attachment base64: %v", err)
		}
		p.attachments[part.FileName()] = dec
		p.types[part.FileName()], _, _ = mime.ParseMediaType(part.Header.Get("Content-Type"))
	}
	return p
}

func base64Reader(b []byte) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, bytes.NewReader(b)) // skips CR and LF
}

func writer(t testing.TB, m *rsmf.Manifest, opts *eml.Options) *eml.Writer {
	t.Helper()
	w, err := eml.NewWriter(m, opts)
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	return w
}

func message(t testing.TB, w *eml.Writer, i int) ([]byte, *eml.Result) {
	t.Helper()
	var buf bytes.Buffer
	res, err := w.Message(&buf, i)
	if err != nil {
		t.Fatalf("Message(%d): %v", i, err)
	}
	if res.Bytes != int64(buf.Len()) {
		t.Fatalf("Result.Bytes = %d, wrote %d", res.Bytes, buf.Len())
	}
	return buf.Bytes(), res
}

func decoded(t testing.TB, h mail.Header, name string) string {
	t.Helper()
	var dec mime.WordDecoder
	v, err := dec.DecodeHeader(h.Get(name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func TestMessageReadsBack(t *testing.T) {
	w := writer(t, sample(), nil)
	data, res := message(t, w, 0)
	p := parse(t, data)

	from, err := p.header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Ana Núñez" || from[0].Address != "ana@agency.gov" {
		t.Errorf("From = %v, %v", from, err)
	}
	to, err := p.header.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Address != "+15550000002@signal.steward.invalid" ||
		to[0].Name != "Bo\r\nBcc: victim@example.com" || to[1].Address != "+15550000003@signal.steward.invalid" || to[1].Name != "" {
		t.Errorf("To = %q, %v; want the other participants with made-up addresses", to, err)
	}
	if _, ok := p.header["Bcc"]; ok {
		t.Error("a display name injected a Bcc header")
	}
	if d, err := p.header.Date(); err != nil || !d.Equal(t0) {
		t.Errorf("Date = %v, %v", d, err)
	}
	if got := p.header.Get("Message-ID"); got != "<e1.conv=2F1@steward.invalid>" {
		t.Errorf("Message-ID = %q", got)
	}
	if got := decoded(t, p.header, "Subject"); got != "Signal: Budget 2024 ✓" {
		t.Errorf("Subject = %q", got)
	}
	for name, want := range map[string]string{
		"X-Steward-Record-ID": "e1", "X-Steward-Conversation-ID": "conv/1", "X-Steward-Platform": "signal",
		"X-Steward-Event-Type": "message", "X-Steward-Direction": "outgoing", "X-Steward-Custodian": "Ana Núñez",
	} {
		if got := decoded(t, p.header, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	for _, s := range []string{"| Morning — draft attached.", "| Second line", "ATTACHMENT Entwurf für Ana.jpg (image/jpeg, 2000 bytes)"} {
		if !strings.Contains(p.text, s) {
			t.Errorf("text lacks %q:\n%s", s, p.text)
		}
	}
	if got := p.attachments["Entwurf für Ana.jpg"]; !bytes.Equal(got, photo) || p.types["Entwurf für Ana.jpg"] != "image/jpeg" {
		t.Errorf("attachment: %d bytes of type %q; want the photo", len(got), p.types["Entwurf für Ana.jpg"])
	}
	if res.Attachments != 1 || len(res.Warnings) != 0 || fmt.Sprint(res.RecordIDs) != "[e1]" {
		t.Errorf("Result = %+v", res)
	}
}

func TestMessageShowsRevisions(t *testing.T) {
	w := writer(t, sample(), nil)
	first, _ := message(t, w, 0)
	data, _ := message(t, w, 1)
	p := parse(t, data)
	if got, want := p.header.Get("In-Reply-To"), parse(t, first).header.Get("Message-ID"); got != want || p.header.Get("References") != want {
		t.Errorf("In-Reply-To = %q, want the parent's Message-ID %q", got, want)
	}
	if p.header.Get("X-Steward-Edit-Count") != "2" {
		t.Errorf("X-Steward-Edit-Count = %q", p.header.Get("X-Steward-Edit-Count"))
	}
	edits := p.header["X-Steward-Edit"]
	var dec mime.WordDecoder
	name, _ := dec.DecodeHeader(edits[len(edits)-1])
	if len(edits) != 2 || !strings.HasPrefix(edits[0], "1; 2024-03-05T09:33:00Z; by ") || !strings.HasPrefix(edits[1], "2; 2024-03-05T09:34:00Z; by ") ||
		name != "2; 2024-03-05T09:34:00Z; by Bo\r\nBcc: victim@example.com" {
		t.Errorf("X-Steward-Edit = %q", edits)
	}
	for _, s := range []string{"| Looks fine", "EDIT 1 of 2 at 2024-03-05T09:33:00Z", "before | Looks bad", "after  | Looks odd",
		"EDIT 2 of 2 at 2024-03-05T09:34:00Z", "after  | Looks fine", "REACTION 👍 x1: Ana Núñez", "READ by Ana Núñez at 2024-03-05T09:35:00Z", "reply to [e1]"} {
		if !strings.Contains(p.text, s) {
			t.Errorf("text lacks %q:\n%s", s, p.text)
		}
	}

	data, res := message(t, w, 2)
	p = parse(t, data)
	if p.header.Get("X-Steward-Deleted") != "true" {
		t.Errorf("X-Steward-Deleted = %q", p.header.Get("X-Steward-Deleted"))
	}
	if !strings.Contains(p.text, "| <b>spoof</b>") || !strings.Contains(p.text, "DELETED by the sender") {
		t.Errorf("deleted message text:\n%s", p.text)
	}
	if p.header.Get("X-Steward-Attachment-Missing") != "scan.pdf" || len(res.Warnings) != 1 || len(p.attachments) != 0 {
		t.Errorf("missing attachment: header %q, warnings %q, attachments %d",
			p.header.Get("X-Steward-Attachment-Missing"), res.Warnings, len(p.attachments))
	}
	if !strings.Contains(p.text, "ATTACHMENT MISSING AT CAPTURE: scan.pdf") {
		t.Errorf("text does not say the attachment is missing:\n%s", p.text)
	}
}

func TestTranscript(t *testing.T) {
	w := writer(t, sample(), nil)
	var buf bytes.Buffer
	res, err := w.Transcript(&buf)
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, buf.Bytes())
	from, _ := p.header.AddressList("From")
	to, _ := p.header.AddressList("To")
	if len(from) != 1 || from[0].Address != "ana@agency.gov" || len(to) != 3 {
		t.Errorf("From = %v (want the custodian), To = %v (want all three)", from, to)
	}
	if got := decoded(t, p.header, "Subject"); got != "Signal: Budget 2024 ✓, transcript 2024-03-05 to 2024-03-06 (4 events)" {
		t.Errorf("Subject = %q", got)
	}
	for name, want := range map[string]string{"X-Steward-Event-Count": "4", "X-Steward-Deleted-Count": "1", "X-Steward-Edited-Count": "1",
		"X-Steward-Begin": "2024-03-05T09:30:00Z", "X-Steward-End": "2024-03-06T11:30:00Z"} {
		if got := p.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	// Every event in order, with times and senders.
	last := -1
	for _, s := range []string{"2024-03-05T09:30:00Z  Ana Núñez, outgoing  [e1]", "2024-03-05T09:32:00Z  Bo␍␊Bcc: victim@example.com, incoming  [e2]",
		"2024-03-05T09:35:00Z  +15550000003, incoming  [e3]", "2024-03-06T11:30:00Z  +15550000003 left  [e4]"} {
		i := strings.Index(p.text, s)
		if i <= last {
			t.Errorf("text lacks %q after position %d:\n%s", s, last, p.text)
		}
		last = i
	}
	if len(p.attachments) != 1 || !bytes.Equal(p.attachments["Entwurf für Ana.jpg"], photo) {
		t.Errorf("attachments = %d", len(p.attachments))
	}
	if fmt.Sprint(res.RecordIDs) != "[e1 e2 e3 e4]" || res.Attachments != 1 || len(res.Warnings) != 1 {
		t.Errorf("Result = %+v", res)
	}
}

func TestTranscriptWithoutAttachmentsIsSinglePart(t *testing.T) {
	m := sample()
	m.Events = m.Events[1:2]
	m.Conversations[0].Custodian = ""
	w := writer(t, m, &eml.Options{From: "Records Office <records@agency.gov>"})
	var buf bytes.Buffer
	if _, err := w.Transcript(&buf); err != nil {
		t.Fatal(err)
	}
	p := parse(t, buf.Bytes())
	if from, _ := p.header.AddressList("From"); len(from) != 1 || from[0].Address != "records@agency.gov" {
		t.Errorf("From = %v; want Options.From without a custodian", from)
	}
	if !strings.Contains(p.text, "| Looks fine") {
		t.Errorf("text:\n%s", p.text)
	}
}

func TestOutputIsReproducible(t *testing.T) {
	a, _ := message(t, writer(t, sample(), nil), 0)
	b, _ := message(t, writer(t, sample(), nil), 0)
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of the same event differ")
	}
}

func TestErrors(t *testing.T) {
	w := writer(t, sample(), nil)
	if _, err := w.Message(io.Discard, 4); !steward.Is(steward.Invalid, err) {
		t.Errorf("event out of range: %v", err)
	}
	m := sample()
	m.Conversations = append(m.Conversations, rsmf.Conversation{ID: "other", Platform: "signal"})
	if _, err := writer(t, m, nil).Transcript(io.Discard); !steward.Is(steward.Invalid, err) {
		t.Errorf("transcript of two conversations: %v", err)
	}
	m = sample()
	m.Events[0].Participant = "ghost"
	if _, err := eml.NewWriter(m, nil); !steward.Is(steward.Invalid, err) {
		t.Errorf("undeclared participant: %v", err)
	}
	if _, err := eml.NewWriter(sample(), &eml.Options{Domain: "bad domain"}); !steward.Is(steward.Invalid, err) {
		t.Errorf("bad domain: %v", err)
	}
	m = sample()
	m.Events[0].Attachments[0].SHA256 = make([]byte, 32)
	if _, err := writer(t, m, nil).Message(io.Discard, 0); !steward.Is(steward.Integrity, err) {
		t.Errorf("wrong digest: %v", err)
	}
}

// FuzzMessage puts arbitrary text in the body, the sender's name, the
// conversation's name and an attachment's name, and checks that standard
// parsers still read the message, with the text intact.
func FuzzMessage(f *testing.F) {
	f.Add("hello", "Ana", "Budget", "photo.jpg", "image/jpeg")
	f.Add("--eml-x\r\n\r\n=?utf-8?q?x?=", "Bo\r\nBcc: x@y", "\x00\x7f", "../../etc/passwd", "multipart/mixed; boundary=x")
	f.Add(strings.Repeat("long ", 400), strings.Repeat("N", 1200), "✓", "naïve \"quoted\".txt", "text/plain; charset=\"utf-8\"")
	f.Fuzz(func(t *testing.T, body, name, conv, file, ctype string) {
		m := sample()
		m.Events[0].Body = body
		m.Participants[0].Display = name
		m.Conversations[0].Display = conv
		m.Events[0].Attachments[0].Display = file
		m.Events[0].Attachments[0].ContentType = ctype
		data, _ := message(t, writer(t, m, nil), 0)
		p := parse(t, data)
		if len(p.attachments) != 1 {
			t.Fatalf("%d attachments", len(p.attachments))
		}
		for _, got := range p.attachments {
			if !bytes.Equal(got, photo) {
				t.Fatal("attachment content changed")
			}
		}
		if utf8.ValidString(body) && !strings.ContainsFunc(body, func(r rune) bool {
			return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x2028 || r == 0x2029
		}) {
			for line := range strings.SplitSeq(body, "\n") {
				if !strings.Contains(p.text, "| "+line+"\n") && !strings.Contains(p.text, "| "+line+"\r\n") {
					t.Fatalf("line %q of the body is not in the text:\n%s", line, p.text)
				}
			}
		}
	})
}
