package signal

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steward-gov/steward/internal/steward"
)

func TestDecodeNotificationErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		kind steward.Kind
	}{
		{"empty", ``, steward.Invalid},
		{"not json", `hello`, steward.Invalid},
		{"array", `[{"account":"+1","envelope":{}}]`, steward.Invalid},
		{"truncated", `{"jsonrpc":"2.0","method":"receive","params":{"account":"+1","envelope":{`, steward.Invalid},
		{"wrong method", `{"jsonrpc":"2.0","method":"send","params":{"account":"+1","envelope":{}}}`, steward.Invalid},
		{"no jsonrpc version", `{"method":"receive","params":{"account":"+1","envelope":{}}}`, steward.Invalid},
		{"response not notification", `{"jsonrpc":"2.0","method":"receive","id":3,"params":{"account":"+1","envelope":{}}}`, steward.Invalid},
		{"missing account", `{"jsonrpc":"2.0","method":"receive","params":{"envelope":{"timestamp":1}}}`, steward.Invalid},
		{"missing envelope", `{"jsonrpc":"2.0","method":"receive","params":{"account":"+1"}}`, steward.Invalid},
		{"envelope not object", `{"account":"+1","envelope":"x"}`, steward.Invalid},
		{"params not object", `{"jsonrpc":"2.0","method":"receive","params":[1]}`, steward.Invalid},
		{"bad field type", `{"account":"+1","envelope":{"timestamp":"yesterday"}}`, steward.Invalid},
		{"too large", `{"account":"+1","envelope":{"dataMessage":{"message":"` + strings.Repeat("a", MaxNotificationSize) + `"}}}`, steward.TooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := DecodeNotification([]byte(tt.in))
			if n != nil || !steward.Is(tt.kind, err) {
				t.Fatalf("got %v, %v; want kind %v", n, err, tt.kind)
			}
			if steward.PublicMessage(err) == "" {
				t.Error("no public message")
			}
		})
	}
}

func TestDecodeNotificationShapes(t *testing.T) {
	// The same envelope as a JSON-RPC notification, as bare params (the
	// HTTP event stream's data), and in manual receive mode.
	env := `{"sourceNumber":"+2","timestamp":7,"dataMessage":{"message":"hi"}}`
	for _, in := range []string{
		`{"jsonrpc":"2.0","method":"receive","params":{"account":"+1","envelope":` + env + `}}`,
		`{"account":"+1","envelope":` + env + `}`,
		`{"jsonrpc":"2.0","method":"receive","params":{"subscription":0,"result":{"account":"+1","envelope":` + env + `}}}`,
	} {
		n, err := DecodeNotification([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if n.Account != "+1" || n.Envelope.DataMessage == nil || n.Envelope.DataMessage.Message != "hi" || string(n.RawEnvelope) != env {
			t.Errorf("%s: got %+v", in, n)
		}
	}
}

func TestDecodeKeepsUnknownFields(t *testing.T) {
	n := loadFixture(t, "data_direct")
	if !bytes.Contains(n.RawEnvelope, []byte(`"unknownFutureField"`)) {
		t.Error("raw envelope lost an unknown field")
	}
	var m map[string]any
	if err := json.Unmarshal(n.RawEnvelope, &m); err != nil {
		t.Fatal(err)
	}
	if n.Exception != nil {
		t.Error("unexpected exception")
	}
	if e := loadFixture(t, "exception").Exception; e == nil || e.Type != "ProtocolInvalidMessageException" {
		t.Errorf("exception = %+v", e)
	}
}

func FuzzDecodeNotification(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := DecodeNotification(b)
		if err != nil {
			if n != nil {
				t.Fatal("notification and error both returned")
			}
			return
		}
		if n.Account == "" || len(n.RawEnvelope) == 0 {
			t.Fatal("decoded notification lacks account or envelope")
		}
		items, err := n.Items("")
		if err != nil {
			return
		}
		for _, it := range items {
			if it.ChannelMessageID == "" || it.Channel != ChannelSignal || !steward.ValidEventType(it.Type) {
				t.Fatalf("bad item %+v", it)
			}
			if len(AttachmentRefs(&it)) != len(it.Attachments) {
				t.Fatal("attachment refs misaligned")
			}
		}
	})
}
