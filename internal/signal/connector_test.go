package signal

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// connectorDaemon serves one receive event (the data_direct fixture) on
// the event stream and answers getAttachment with size bytes, failing the
// first `fail` calls.
type connectorDaemon struct {
	mu    sync.Mutex
	event []byte
	size  int
	fail  int
	calls int
}

func (d *connectorDaemon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/api/v1/events":
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "event:receive\ndata:%s\n\n", d.event)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	case "/api/v1/rpc":
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &req)
		d.mu.Lock()
		d.calls++
		failing := d.calls <= d.fail
		d.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if req.Method != "getAttachment" || failing {
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-1,"message":"attachment not available"}}`, req.ID)
			return
		}
		data := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", d.size)))
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"data":%q}}`, req.ID, data)
	default:
		http.NotFound(w, r)
	}
}

// runConnector runs a Connector against d until it captures one item.
func runConnector(t *testing.T, d *connectorDaemon) *steward.Item {
	t.Helper()
	raw, err := os.ReadFile("testdata/data_direct.json")
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		t.Fatal(err)
	}
	d.event = compact.Bytes()
	srv := httptest.NewServer(d)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan *steward.Item, 1)
	c := &Connector{Client: &Client{BaseURL: srv.URL}, AttachmentRetries: 2,
		Capture: func(ctx context.Context, it *steward.Item) error {
			select {
			case got <- it:
			default:
			}
			cancel()
			return nil
		}}
	go c.Run(ctx)
	select {
	case it := <-got:
		return it
	case <-time.After(10 * time.Second):
		t.Fatal("nothing captured")
	}
	return nil
}

// TestConnectorFetchesAttachments: bytes are downloaded before capture,
// after retrying transient failures.
func TestConnectorFetchesAttachments(t *testing.T) {
	it := runConnector(t, &connectorDaemon{size: 48213, fail: 1})
	if len(it.Attachments) != 1 || len(it.Attachments[0].Data) != 48213 {
		t.Fatalf("attachments: %+v", it.Attachments)
	}
	if _, missing := it.Extra[ExtraAttachmentsMissing]; missing {
		t.Fatal("attachment marked missing although it was downloaded")
	}
}

// TestConnectorRecordsMissingAttachment: an attachment that cannot be
// had, or has the wrong size, is recorded as missing, not dropped silently.
func TestConnectorRecordsMissingAttachment(t *testing.T) {
	for _, d := range []*connectorDaemon{{size: 48213, fail: 10}, {size: 10}} {
		it := runConnector(t, d)
		if len(it.Attachments) != 0 {
			t.Fatalf("a missing attachment was captured: %+v", it.Attachments)
		}
		missing, ok := it.Extra[ExtraAttachmentsMissing].([]AttachmentRef)
		if !ok || len(missing) != 1 || missing[0].Filename != "antrag.pdf" {
			t.Fatalf("missing attachment not recorded: %#v", it.Extra[ExtraAttachmentsMissing])
		}
	}
}

// TestConnectorDeadLetter: an event that does not decode is kept, with its
// reason, through DeadLetter, and never reaches Capture. So is an envelope
// signal-cli itself reports it could not process.
func TestConnectorDeadLetter(t *testing.T) {
	t.Run("undecodable", func(t *testing.T) {
		testDeadLetter(t, `{"jsonrpc":"2.0","method":"receive","params":{"account":"+4930123456"}}`, "envelope")
	})
	t.Run("exception", func(t *testing.T) {
		testDeadLetter(t, `{"jsonrpc":"2.0","method":"receive","params":{"account":"+4930123456","envelope":`+
			`{"source":"+4915112345678","sourceNumber":"+4915112345678","sourceDevice":1,"timestamp":1700000000000},`+
			`"exception":{"message":"Invalid PreKey message","type":"ProtocolInvalidMessageException"}}}`,
			"ProtocolInvalidMessageException")
	})
}

func testDeadLetter(t *testing.T, event, reason string) {
	d := &connectorDaemon{event: []byte(event)}
	srv := httptest.NewServer(d)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type letter struct {
		raw    string
		reason string
	}
	got := make(chan letter, 1)
	c := &Connector{Client: &Client{BaseURL: srv.URL},
		Capture: func(context.Context, *steward.Item) error {
			t.Error("a malformed event reached Capture")
			return nil
		},
		DeadLetter: func(_ context.Context, raw []byte, reason string) error {
			select {
			case got <- letter{string(raw), reason}:
			default:
			}
			cancel()
			return nil
		}}
	go c.Run(ctx)
	select {
	case l := <-got:
		if l.raw != string(d.event) || !strings.Contains(l.reason, reason) {
			t.Fatalf("dead letter %+v", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no dead letter")
	}
}
