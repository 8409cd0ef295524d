package signal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

func TestReadEvents(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Event
	}{
		{"signal-cli style with keep-alives", ":\n\nevent:receive\ndata:{\"a\":1}\n\n:\n\n",
			[]Event{{Type: "receive", Data: []byte(`{"a":1}`)}}},
		{"multi-line data and space after colon", "event: receive\ndata: line1\ndata:line2\ndata\n\n",
			[]Event{{Type: "receive", Data: []byte("line1\nline2\n")}}},
		{"default type, comments inside", "data:x\n: comment\nid: 7\n\ndata:y\n\n",
			[]Event{{Type: "message", Data: []byte("x"), ID: "7"}, {Type: "message", Data: []byte("y"), ID: "7"}}},
		{"CRLF and lone CR", "event:receive\r\ndata:a\r\rdata:b\r\n\r\n",
			[]Event{{Type: "receive", Data: []byte("a")}, {Type: "message", Data: []byte("b")}}},
		{"event without data is not dispatched", "event:receive\n\ndata:z\n\n",
			[]Event{{Type: "message", Data: []byte("z")}}},
		{"unterminated event discarded", "data:whole\n\nevent:receive\ndata:{\"cut", []Event{{Type: "message", Data: []byte("whole")}}},
		{"id with NUL ignored, unknown field ignored", "id:a\x00b\nfoo:bar\ndata:q\n\n", []Event{{Type: "message", Data: []byte("q")}}},
		{"empty id resets", "id:5\ndata:a\n\nid\ndata:b\n\n",
			[]Event{{Type: "message", Data: []byte("a"), ID: "5"}, {Type: "message", Data: []byte("b")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Event
			err := ReadEvents(strings.NewReader(tt.in), func(e Event) error { got = append(got, e); return nil })
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
	var p sseParser
	p.line([]byte("retry: 1500"))
	if p.retry != 1500*time.Millisecond {
		t.Errorf("retry = %v", p.retry)
	}
}

// sseDaemon emulates signal-cli's event stream, extended with ids and
// replay from Last-Event-ID so that resumption can be tested. Each
// connection gets script(conn, lastEventID) written to it, then the
// connection is dropped.
type sseDaemon struct {
	mu      sync.Mutex
	lastIDs []string // Last-Event-ID header of each connection
	script  func(conn int, lastID string) string
	hold    bool // keep the connection open after the script
}

func (d *sseDaemon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v1/events" || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	if a := r.URL.Query().Get("account"); a != "" && a != acct {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	d.mu.Lock()
	conn := len(d.lastIDs)
	d.lastIDs = append(d.lastIDs, r.Header.Get("Last-Event-ID"))
	d.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, d.script(conn, r.Header.Get("Last-Event-ID")))
	w.(http.Flusher).Flush()
	if d.hold {
		<-r.Context().Done()
	}
}

func (d *sseDaemon) connections() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.lastIDs...)
}

func receiveEvent(id int) string {
	return fmt.Sprintf("id:%d\nevent:receive\ndata:{\"account\":%q,\"envelope\":{\"sourceNumber\":%q,\"timestamp\":%d,\"dataMessage\":{\"message\":\"m%d\"}}}\n\n",
		id, acct, other, 1767225600000+id, id)
}

// replayFrom emits events after lastID up to total, cut mid-event after
// perConn events.
func replayFrom(lastID string, total, perConn int) string {
	start, _ := strconv.Atoi(lastID)
	var b strings.Builder
	b.WriteString(":\n\n")
	for id := start + 1; id <= total && id <= start+perConn; id++ {
		b.WriteString(receiveEvent(id))
	}
	if start+perConn < total {
		ev := receiveEvent(start + perConn + 1)
		b.WriteString(ev[:len(ev)/2]) // dropped mid-event
	}
	return b.String()
}

func newStream(t *testing.T, d *sseDaemon) *Events {
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return &Events{Client: &Client{BaseURL: srv.URL, HTTP: srv.Client()}, Account: acct,
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
}

func TestStreamResumesAfterDrop(t *testing.T) {
	d := &sseDaemon{script: func(_ int, lastID string) string { return replayFrom(lastID, 5, 2) }}
	s := newStream(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got []string
	err := s.Stream(ctx, func(e Event) error {
		n, err := DecodeNotification(e.Data)
		if err != nil {
			t.Fatalf("event %s: %v", e.ID, err)
		}
		got = append(got, n.Envelope.DataMessage.Message)
		if len(got) == 5 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Stream = %v", err)
	}
	if want := []string{"m1", "m2", "m3", "m4", "m5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("handled %v, want %v", got, want)
	}
	if conns := d.connections(); !reflect.DeepEqual(conns[:3], []string{"", "2", "4"}) {
		t.Errorf("Last-Event-ID per connection = %q", conns)
	}
	st := s.State()
	if st.Connected || st.LastEventID != "5" || st.Reconnects < 2 || st.LastEvent.IsZero() || st.Since.IsZero() {
		t.Errorf("state = %+v", st)
	}
}

func TestStreamHandlerErrorDoesNotAdvance(t *testing.T) {
	d := &sseDaemon{script: func(_ int, lastID string) string { return replayFrom(lastID, 3, 3) }}
	s := newStream(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got []string
	failed := false
	err := s.Stream(ctx, func(e Event) error {
		if e.ID == "2" && !failed {
			failed = true
			return errors.New("store unavailable")
		}
		got = append(got, e.ID)
		if e.ID == "3" {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Stream = %v", err)
	}
	if want := []string{"1", "2", "3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("handled %v, want %v", got, want)
	}
	if conns := d.connections(); len(conns) < 2 || conns[1] != "1" {
		t.Errorf("Last-Event-ID per connection = %q, want the second to resume after 1", conns)
	}
}

// Real signal-cli sends no ids and cannot replay: a failed event must be
// retried in place, never skipped.
func TestStreamIDLessEventRetriedInPlace(t *testing.T) {
	d := &sseDaemon{hold: true, script: func(conn int, _ string) string {
		if conn > 0 {
			return ":\n\n"
		}
		return ":\n\nevent:receive\ndata:{\"n\":1}\n\nevent:receive\ndata:{\"n\":2}\n\n"
	}}
	s := newStream(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got []string
	fails := 0
	err := s.Stream(ctx, func(e Event) error {
		if string(e.Data) == `{"n":1}` && fails < 3 {
			fails++
			return errors.New("disk full")
		}
		got = append(got, string(e.Data))
		if len(got) == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Stream = %v", err)
	}
	if want := []string{`{"n":1}`, `{"n":2}`}; !reflect.DeepEqual(got, want) {
		t.Errorf("handled %v, want %v", got, want)
	}
	if n := len(d.connections()); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestStreamUnknownAccount(t *testing.T) {
	s := newStream(t, &sseDaemon{script: func(int, string) string { return "" }})
	s.Account = "+490000"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Stream(ctx, func(Event) error { return nil }); !steward.Is(steward.Invalid, err) {
		t.Fatalf("err = %v, want Invalid", err)
	}
}

func TestStreamIdleTimeoutReconnects(t *testing.T) {
	d := &sseDaemon{hold: true, script: func(int, string) string { return ":\n\n" }}
	s := newStream(t, d)
	s.IdleTimeout = 20 * time.Millisecond
	var mu sync.Mutex
	var states []bool
	s.OnState = func(st State) {
		mu.Lock()
		states = append(states, st.Connected)
		mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		for len(d.connections()) < 3 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	s.Stream(ctx, func(Event) error { return nil })
	if n := len(d.connections()); n < 3 {
		t.Fatalf("%d connections; a silent stream must be dropped", n)
	}
	if !strings.Contains(s.State().LastError, "no data") {
		t.Errorf("LastError = %q", s.State().LastError)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(states) == 0 || !states[0] {
		t.Errorf("states = %v", states)
	}
}

func TestBackoffBounds(t *testing.T) {
	for attempt := 0; attempt < 40; attempt++ {
		d := backoff(100*time.Millisecond, time.Second, attempt)
		if d < 50*time.Millisecond || d > time.Second {
			t.Fatalf("attempt %d: %v out of bounds", attempt, d)
		}
	}
}

// A handler slower than the idle timeout must not get the connection
// dropped under it: signal-cli does not replay what it already wrote.
func TestStreamSlowHandlerKeepsConnection(t *testing.T) {
	d := &sseDaemon{hold: true, script: func(conn int, _ string) string {
		return "event:receive\ndata:a\n\nevent:receive\ndata:b\n\n"
	}}
	s := newStream(t, d)
	s.IdleTimeout = 10 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got []string
	s.Stream(ctx, func(e Event) error {
		time.Sleep(40 * time.Millisecond)
		got = append(got, string(e.Data))
		if len(got) == 2 {
			cancel()
		}
		return nil
	})
	if len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("handled %q", got)
	}
	if n := len(d.connections()); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}
