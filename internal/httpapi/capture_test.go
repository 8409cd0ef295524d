package httpapi

import (
	"strings"
	"testing"

	"github.com/steward-gov/steward/internal/steward"
)

func TestDecodeCapture(t *testing.T) {
	it, err := DecodeCapture(strings.NewReader(`{"channel":"api","channel_message_id":"1","direction":"inbound",
		"sender":{"address":"+1"},"recipients":[{"address":"+2","name":"B"}],"body":"hi",
		"attachments":[{"filename":"a.txt","data":"aGVsbG8="}],"sent_at":"2026-11-25T10:00:00Z"}`), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if it.Channel != "api" || it.Recipients[0].Name != "B" || string(it.Attachments[0].Data) != "hello" || it.SentAt.Year() != 2026 {
		t.Fatalf("decoded %+v", it)
	}
	for _, c := range []struct {
		body string
		kind steward.Kind
	}{
		{`{"channel":"api","bogus":1}`, steward.Invalid},
		{`{"channel":"api"} {"channel":"api"}`, steward.Invalid},
		{`{"channel":`, steward.Invalid},
		{`{"attachments":[{"data":"***"}]}`, steward.Invalid},
		{`{"sent_at":"yesterday"}`, steward.Invalid},
		{`{"body":"` + strings.Repeat("x", 2000) + `"}`, steward.TooLarge},
		{`[]`, steward.Invalid},
	} {
		_, err := DecodeCapture(strings.NewReader(c.body), 1000)
		if steward.KindOf(err) != c.kind {
			t.Errorf("%.40s: kind %v (%v), want %v", c.body, steward.KindOf(err), err, c.kind)
		}
	}
}

// FuzzDecodeCapture: the decoder never panics, and anything it accepts
// carries no attachment larger than the body it came from.
func FuzzDecodeCapture(f *testing.F) {
	f.Add([]byte(`{"channel":"api","channel_message_id":"1","direction":"inbound","sender":{"address":"+1"},"recipients":[{"address":"+2"}],"body":"hi"}`))
	f.Add([]byte(`{"type":"reaction","channel":"signal","channel_message_id":"2","target":"1","emoji":"👍","direction":"outbound","sender":{"address":"+2"}}`))
	f.Add([]byte(`{"attachments":[{"filename":"x","content_type":"text/plain","data":"aGk="}],"extra":{"a":[1,{"b":null}]}}`))
	f.Add([]byte(`{"conversation":{"id":"g1","kind":"group"},"members_added":[{"address":"+3"}],"sent_at":"2026-01-02T03:04:05.123+01:00"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		it, err := DecodeCapture(strings.NewReader(string(b)), 1<<16)
		if err != nil {
			if k := steward.KindOf(err); k != steward.Invalid && k != steward.TooLarge {
				t.Fatalf("decode error of kind %v: %v", k, err)
			}
			return
		}
		for _, a := range it.Attachments {
			if len(a.Data) > len(b) || a.Size != int64(len(a.Data)) {
				t.Fatalf("attachment of %d bytes from a %d-byte body", len(a.Data), len(b))
			}
		}
	})
}
