package rsmf_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/rsmf"
	"github.com/steward-gov/steward/internal/steward"
)

func TestWriteProducesValidFile(t *testing.T) {
	data, res := write(t, sample(), nil)
	info, err := rsmf.Validate(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("Validate rejects Write's output: %v", err)
	}
	if info.Events != 6 || info.Participants != 3 || info.Conversations != 1 {
		t.Errorf("Info counts = %d events, %d participants, %d conversations", info.Events, info.Participants, info.Conversations)
	}
	if len(info.Files) != 1 || info.Files[0] != "a1-draft.jpg" {
		t.Errorf("Info.Files = %q", info.Files)
	}
	if res.Events != 6 || res.Files != 1 {
		t.Errorf("Result = %+v", res)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "scan.pdf") {
		t.Errorf("warnings = %q, want one about the missing scan.pdf", res.Warnings)
	}
}

func TestWriteKeepsRevisions(t *testing.T) {
	data, _ := write(t, sample(), nil)
	u := unpack(t, data)
	if u.manifest["version"] != "2.0.0" || u.manifest["eventcollectionid"] != "conv-1" {
		t.Errorf("manifest root = %v / %v", u.manifest["version"], u.manifest["eventcollectionid"])
	}

	e2 := u.event(t, "e2")
	edits := e2["edits"].([]any)
	edit := edits[0].(map[string]any)
	if len(edits) != 1 || edit["previous"] != "Looks bad" || edit["new"] != "Looks fine" ||
		edit["participant"] != "p-bo" || edit["timestamp"] != "2024-03-05T09:33:00Z" {
		t.Errorf("edits = %v; an edit without an editor is the sender's", edits)
	}
	if e2["parent"] != "e1" || e2["direction"] != "incoming" {
		t.Errorf("e2 parent/direction = %v/%v", e2["parent"], e2["direction"])
	}
	r := e2["reactions"].([]any)[0].(map[string]any)
	if r["value"] != "👍" || r["count"] != 1.0 || r["participants"].([]any)[0] != "p-ana" {
		t.Errorf("reaction = %v; count defaults to the number of participants", r)
	}

	e4 := u.event(t, "e4")
	if e4["deleted"] != true || !strings.Contains(e4["body"].(string), "spoof") {
		t.Errorf("deleted message = %v; its text must stay", e4)
	}
	if e := u.event(t, "e3"); e["type"] != "join" || e["participant"] != "p-cy" {
		t.Errorf("join = %v", e)
	}
	if e := u.event(t, "e6"); e["type"] != "leave" {
		t.Errorf("leave = %v", e)
	}
	rr := u.event(t, "e1")["read_receipts"].([]any)[0].(map[string]any)
	if rr["participant"] != "p-bo" || rr["action"] != "read" || rr["timestamp"] != "2024-03-05T09:31:00Z" {
		t.Errorf("read receipt = %v", rr)
	}

	e5 := u.event(t, "e5")
	if _, ok := e5["parent"]; ok || custom(e5, "Reply to event") != "e0-earlier-day" {
		t.Errorf("reply to a parent outside the file = %v; want the link kept as a custom property", e5)
	}
	if _, ok := e5["attachments"]; ok || custom(e5, "Attachment missing at capture") != "scan.pdf" {
		t.Errorf("missing attachment = %v; want it named in a custom property, not referenced", e5)
	}
	att := u.event(t, "e1")["attachments"].([]any)[0].(map[string]any)
	if att["id"] != "a1-draft.jpg" || att["display"] != "draft.jpg" || att["size"] != float64(len(photo)) {
		t.Errorf("attachment = %v", att)
	}
	if !bytes.Equal(u.files["a1-draft.jpg"], photo) {
		t.Errorf("attachment content differs")
	}

	bo := u.manifest["participants"].([]any)[1].(map[string]any)
	if _, ok := bo["email"]; ok || custom(bo, "Email") != "not an address" {
		t.Errorf("participant with a bad address = %v; want the address in custom", bo)
	}
	ana := u.manifest["participants"].([]any)[0].(map[string]any)
	if ana["email"] != "ana@agency.gov" || ana["account_id"] != "+15550000001" || custom(ana, "Title") != "Director" {
		t.Errorf("participant = %v", ana)
	}
}

func TestWriteHeaders(t *testing.T) {
	data, _ := write(t, sample(), &rsmf.WriteOptions{Generator: "Steward 1.2"})
	u := unpack(t, data)
	var dec mime.WordDecoder
	get := func(name string) string {
		v, err := dec.DecodeHeader(u.header.Get(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}
	want := map[string]string{
		"X-RSMF-Version":           "2.0.0",
		"X-RSMF-Generator":         "Steward 1.2",
		"X-RSMF-Application":       "Signal",
		"X-RSMF-BeginDate":         "2024-03-05T09:30:00Z",
		"X-RSMF-EndDate":           "2024-03-05T09:37:00Z",
		"X-RSMF-EventCount":        "6",
		"X-RSMF-AttachmentCount":   "1",
		"X-RSMF-Custodian":         "Ana Núñez",
		"X-RSMF-Participants":      "Ana Núñez, Bo\r\nBcc: victim@example.com, +15550000003",
		"X-RSMF-EventCollectionID": "conv-1",
	}
	for name, v := range want {
		if got := get(name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	if _, ok := u.header["Bcc"]; ok {
		t.Errorf("a display name injected a Bcc header")
	}
	if d, err := u.header.Date(); err != nil || !d.Equal(t0.Add(7*time.Minute)) {
		t.Errorf("Date = %v, %v; want the last event's time", d, err)
	}
	for _, line := range strings.Split(string(data[:bytes.Index(data, []byte("\r\n\r\n"))]), "\r\n") {
		if len(line) > 998 {
			t.Errorf("header line of %d bytes", len(line))
		}
	}
	for _, s := range []string{"Ana Núñez", "| Looks fine", "EDIT 1 of 1 at 2024-03-05T09:33:00Z by Bo", "before | Looks bad",
		"DELETED by the sender", "REACTION 👍 x1: Ana Núñez", "READ by Bo", "ATTACHMENT draft.jpg (image/jpeg, 1200 bytes)",
		"ATTACHMENT MISSING AT CAPTURE: scan.pdf", "+15550000003 joined", "| --rsmf-0000"} {
		if !strings.Contains(u.preview, s) {
			t.Errorf("preview lacks %q:\n%s", s, u.preview)
		}
	}
}

func TestWriteIsReproducible(t *testing.T) {
	a, _ := write(t, sample(), nil)
	b, _ := write(t, sample(), nil)
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of the same manifest differ")
	}
	m := sample()
	m.Events[0].Body = "changed"
	c, _ := write(t, m, nil)
	if bytes.Equal(a, c) {
		t.Fatal("different content, same bytes")
	}
}

func TestWriteLongPreviewIsCut(t *testing.T) {
	m := manyEvents(3000)
	data, _ := write(t, m, &rsmf.WriteOptions{PreviewBytes: 4096})
	u := unpack(t, data)
	if len(u.preview) > 8192 || !strings.Contains(u.preview, "more events: the complete conversation is in rsmf.zip") {
		t.Errorf("preview of %d bytes, want it cut near 4 KiB with a note", len(u.preview))
	}
	if n := len(u.manifest["events"].([]any)); n != 3000 {
		t.Errorf("manifest has %d events, want all 3000", n)
	}
}

func TestWriteRejects(t *testing.T) {
	bad := func(edit func(m *rsmf.Manifest)) *rsmf.Manifest {
		m := sample()
		edit(m)
		return m
	}
	for _, tc := range []struct {
		name string
		m    *rsmf.Manifest
		opts *rsmf.WriteOptions
		kind steward.Kind
	}{
		{"undeclared participant", bad(func(m *rsmf.Manifest) { m.Events[0].Participant = "ghost" }), nil, steward.Invalid},
		{"undeclared conversation", bad(func(m *rsmf.Manifest) { m.Events[1].Conversation = "elsewhere" }), nil, steward.Invalid},
		{"message without sender", bad(func(m *rsmf.Manifest) { m.Events[1].Participant = "" }), nil, steward.Invalid},
		{"duplicate participant", bad(func(m *rsmf.Manifest) { m.Participants[2].ID = "p-ana" }), nil, steward.Invalid},
		{"unknown event type", bad(func(m *rsmf.Manifest) { m.Events[2].Type = "poke" }), nil, steward.Invalid},
		{"path in attachment id", bad(func(m *rsmf.Manifest) { m.Events[0].Attachments[0].ID = "../x.jpg" }), nil, steward.Invalid},
		{"manifest name as attachment id", bad(func(m *rsmf.Manifest) { m.Events[0].Attachments[0].ID = "rsmf_manifest.json" }), nil, steward.Invalid},
		{"one id, two files", bad(func(m *rsmf.Manifest) {
			a := m.Events[0].Attachments[0]
			a.SHA256 = make([]byte, 32)
			m.Events[1].Attachments = []rsmf.Attachment{a}
		}), nil, steward.Invalid},
		{"wrong digest", bad(func(m *rsmf.Manifest) { m.Events[0].Attachments[0].SHA256 = make([]byte, 32) }), nil, steward.Integrity},
		{"wrong size", bad(func(m *rsmf.Manifest) { m.Events[0].Attachments[0].Size = 7 }), nil, steward.Integrity},
		{"declared too large", bad(func(m *rsmf.Manifest) { m.Events[0].Attachments[0].Size = 3 << 30 }), nil, steward.TooLarge},
		{"actually too large", sample(), &rsmf.WriteOptions{MaxBytes: 2000}, steward.TooLarge},
		{"bad From", sample(), &rsmf.WriteOptions{From: "not an address"}, steward.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rsmf.Write(io.Discard, tc.m, tc.opts)
			if !steward.Is(tc.kind, err) {
				t.Fatalf("err = %v, want kind %v", err, tc.kind)
			}
		})
	}
}

func TestWriteReportsEveryInconsistency(t *testing.T) {
	m := sample()
	m.Events[0].Participant = "ghost"
	m.Events[3].Conversation = "nowhere"
	_, err := rsmf.Write(io.Discard, m, nil)
	var p rsmf.Problems
	if !errors.As(err, &p) || len(p) != 2 {
		t.Fatalf("err = %v; want Problems listing both", err)
	}
}

func TestAttachmentWriteTo(t *testing.T) {
	a := rsmf.Attachment{ID: "x"}
	if _, err := a.WriteTo(io.Discard); !steward.Is(steward.NotFound, err) {
		t.Errorf("no content: %v", err)
	}
	a.Open = func() (io.ReadCloser, error) { return nil, errors.New("disk gone") }
	if _, err := a.WriteTo(io.Discard); !steward.Is(steward.Unavailable, err) {
		t.Errorf("open failure: %v", err)
	}
}

func manyEvents(n int) *rsmf.Manifest {
	m := &rsmf.Manifest{
		Participants:  []rsmf.Participant{{ID: "a", Display: "Alice"}, {ID: "b", Display: "Bob"}},
		Conversations: []rsmf.Conversation{{ID: "c", Platform: "signal", Type: rsmf.Direct, Participants: []string{"a", "b"}}},
	}
	for i := range n {
		who := "a"
		if i%2 == 1 {
			who = "b"
		}
		m.Events = append(m.Events, rsmf.Event{
			ID: fmt.Sprintf("m%06d", i), Type: rsmf.Message, Participant: who, Conversation: "c",
			Timestamp: t0.Add(time.Duration(i) * time.Second),
			Body:      fmt.Sprintf("Message number %d about the quarterly budget review, with enough words to be typical.", i),
		})
	}
	return m
}

func TestWriteFromOption(t *testing.T) {
	data, _ := write(t, sample(), &rsmf.WriteOptions{From: "Oficina de Registros <registros@agency.gov>"})
	from, err := unpack(t, data).header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Oficina de Registros" || from[0].Address != "registros@agency.gov" {
		t.Errorf("From = %v, %v", from, err)
	}
	data, _ = write(t, sample(), &rsmf.WriteOptions{From: "Célia Núñez <celia@agency.gov>"})
	if from, err := unpack(t, data).header.AddressList("From"); err != nil || from[0].Name != "Célia Núñez" {
		t.Errorf("a non-ASCII From name must be encoded once: %v, %v", from, err)
	}
}
