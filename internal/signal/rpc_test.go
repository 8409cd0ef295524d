package signal

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/steward-gov/steward/internal/steward"
)

// fakeDaemon emulates signal-cli's documented HTTP surface for JSON-RPC:
// POST /api/v1/rpc only (405 otherwise), Content-Type application/json
// (415 otherwise), 201 for a notification-only request, and GET
// /api/v1/check. reply computes the result or error of each call.
type fakeDaemon struct {
	t     *testing.T
	reply func(method string, params map[string]json.RawMessage) (result any, rpcErr *RPCError)

	mu    sync.Mutex
	calls []rpcCall
}

type rpcCall struct {
	Method string
	Params map[string]json.RawMessage
}

func (d *fakeDaemon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/api/v1/check":
		w.WriteHeader(http.StatusOK)
		return
	case "/api/v1/rpc":
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		w.WriteHeader(http.StatusUnsupportedMediaType)
		return
	}
	var req struct {
		JSONRPC string                     `json:"jsonrpc"`
		Method  string                     `json:"method"`
		Params  map[string]json.RawMessage `json:"params"`
		ID      json.RawMessage            `json:"id"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &req); err != nil || req.JSONRPC != "2.0" {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"jsonrpc":"2.0","error":{"code":-32700,"message":"parse error"},"id":null}`)
		return
	}
	d.mu.Lock()
	d.calls = append(d.calls, rpcCall{req.Method, req.Params})
	d.mu.Unlock()
	if len(req.ID) == 0 {
		w.WriteHeader(http.StatusCreated)
		return
	}
	res, rerr := d.reply(req.Method, req.Params)
	out := map[string]any{"jsonrpc": "2.0", "id": req.ID}
	if rerr != nil {
		out["error"] = rerr
	} else {
		out["result"] = res
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (d *fakeDaemon) last() rpcCall {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.calls) == 0 {
		d.t.Fatal("no call made")
	}
	return d.calls[len(d.calls)-1]
}

func newFake(t *testing.T, reply func(string, map[string]json.RawMessage) (any, *RPCError)) (*fakeDaemon, *Client) {
	d := &fakeDaemon{t: t, reply: reply}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return d, &Client{BaseURL: srv.URL + "/", HTTP: srv.Client()}
}

func keys(m map[string]json.RawMessage) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestSendRequestAndStatuses(t *testing.T) {
	d, c := newFake(t, func(string, map[string]json.RawMessage) (any, *RPCError) {
		return json.RawMessage(`{"timestamp":1767225800000,"results":[
			{"recipientAddress":{"uuid":"u1","number":"+491"},"type":"SUCCESS"},
			{"recipientAddress":{"uuid":"u2","number":"+492"},"type":"UNREGISTERED_FAILURE"},
			{"recipientAddress":{"uuid":"u3","number":"+493"},"type":"RATE_LIMIT_FAILURE"},
			{"recipientAddress":{"uuid":"u4","number":"+494"},"type":"NETWORK_FAILURE"},
			{"recipientAddress":{"uuid":"u5","number":"+495"},"type":"IDENTITY_FAILURE"},
			{"recipientAddress":{"uuid":"u6","number":"+496"},"type":"PROOF_REQUIRED_FAILURE"}]}`), nil
	})
	res, err := c.Send(context.Background(), acct, SendParams{
		Recipients: []string{"+491", "+492"}, Message: "Antwort", Attachments: []string{"data:text/plain;filename=a.txt;base64,YQ=="},
		QuoteTimestamp: 1767225600123, QuoteAuthor: other, EditTimestamp: 1767225700000,
	})
	if err != nil {
		t.Fatal(err)
	}
	call := d.last()
	if call.Method != "send" {
		t.Errorf("method = %q", call.Method)
	}
	wantKeys := []string{"account", "attachments", "editTimestamp", "message", "quoteAuthor", "quoteTimestamp", "recipient"}
	if got := keys(call.Params); !reflect.DeepEqual(got, wantKeys) {
		t.Errorf("params = %v, want %v", got, wantKeys)
	}
	if string(call.Params["account"]) != `"`+acct+`"` || string(call.Params["recipient"]) != `["+491","+492"]` {
		t.Errorf("account/recipient = %s %s", call.Params["account"], call.Params["recipient"])
	}
	want := []DeliveryStatus{StatusDelivered, StatusUnregistered, StatusRateLimited, StatusNetworkFailure, StatusIdentityChanged, StatusFailed}
	if res.Timestamp != 1767225800000 || len(res.Results) != len(want) {
		t.Fatalf("result = %+v", res)
	}
	for i, w := range want {
		if res.Results[i].Status != w {
			t.Errorf("result %d (%s) = %s, want %s", i, res.Results[i].Type, res.Results[i].Status, w)
		}
	}
	if res.AllDelivered() {
		t.Error("AllDelivered with failures")
	}
}

func TestSendNeedsOneTarget(t *testing.T) {
	c := &Client{BaseURL: "http://127.0.0.1:1"}
	for _, p := range []SendParams{{Message: "x"}, {Recipients: []string{"+1"}, GroupID: "g", Message: "x"}} {
		if _, err := c.Send(context.Background(), acct, p); !steward.Is(steward.Invalid, err) {
			t.Errorf("%+v: err = %v, want Invalid", p, err)
		}
	}
	if _, err := c.Send(context.Background(), "", SendParams{GroupID: "g"}); !steward.Is(steward.Invalid, err) {
		t.Errorf("missing account: err = %v", err)
	}
}

func TestHelperParamNames(t *testing.T) {
	d, c := newFake(t, func(method string, _ map[string]json.RawMessage) (any, *RPCError) {
		switch method {
		case "listGroups":
			return json.RawMessage(`[{"id":"` + groupID + `","name":"Bauamt Team","isMember":true,"isBlocked":false,
				"members":[{"number":"+491","uuid":"u1","isAdmin":true}],"pendingMembers":[],"requestingMembers":[],
				"admins":[],"banned":[],"permissionAddMember":"ONLY_ADMINS","groupInviteLink":null}]`), nil
		case "getAttachment":
			return map[string]string{"data": base64.StdEncoding.EncodeToString([]byte("%PDF-1.7"))}, nil
		case "startLink":
			return map[string]string{"deviceLinkUri": "sgnl://linkdevice?uuid=abc&pub_key=def"}, nil
		case "finishLink":
			return map[string]string{"number": acct}, nil
		case "updateGroup":
			return map[string]any{"groupId": groupID, "timestamp": 5}, nil
		}
		return map[string]any{"timestamp": 5, "results": []any{}}, nil
	})
	ctx := context.Background()
	exp := int64(0)
	tests := []struct {
		name     string
		call     func() error
		method   string
		wantKeys []string
	}{
		{"updateGroup", func() error {
			_, err := c.UpdateGroup(ctx, acct, UpdateGroupParams{GroupID: groupID, Members: []string{"+493"},
				RemoveMembers: []string{"+494"}, Admins: []string{"+493"}, Expiration: &exp})
			return err
		}, "updateGroup", []string{"account", "admins", "expiration", "groupId", "members", "removeMembers"}},
		{"sendReaction", func() error {
			_, err := c.SendReaction(ctx, acct, ReactionParams{GroupID: groupID, Emoji: "👍", TargetAuthor: other, TargetTimestamp: 9, Remove: true})
			return err
		}, "sendReaction", []string{"account", "emoji", "groupId", "remove", "targetAuthor", "targetTimestamp"}},
		{"remoteDelete", func() error {
			_, err := c.RemoteDelete(ctx, acct, RemoteDeleteParams{Recipients: []string{other}, TargetTimestamp: 9})
			return err
		}, "remoteDelete", []string{"account", "recipient", "targetTimestamp"}},
		{"listGroups", func() error {
			gs, err := c.ListGroups(ctx, acct)
			if err == nil && (len(gs) != 1 || gs[0].Name != "Bauamt Team" || !gs[0].Members[0].IsAdmin) {
				t.Errorf("groups = %+v", gs)
			}
			return err
		}, "listGroups", []string{"account", "detailed"}},
		{"getAttachment", func() error {
			b, err := c.GetAttachment(ctx, acct, "kQ3b.pdf", "", groupID)
			if err == nil && string(b) != "%PDF-1.7" {
				t.Errorf("data = %q", b)
			}
			return err
		}, "getAttachment", []string{"account", "groupId", "id"}},
		{"startLink", func() error {
			uri, err := c.StartLink(ctx)
			if err == nil && !strings.HasPrefix(uri, "sgnl://linkdevice") {
				t.Errorf("uri = %q", uri)
			}
			return err
		}, "startLink", nil},
		{"finishLink", func() error {
			num, err := c.FinishLink(ctx, "sgnl://linkdevice?uuid=abc&pub_key=def", "Steward Archiv")
			if err == nil && num != acct {
				t.Errorf("number = %q", num)
			}
			return err
		}, "finishLink", []string{"deviceLinkUri", "deviceName"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			call := d.last()
			if call.Method != tt.method {
				t.Errorf("method = %q, want %q", call.Method, tt.method)
			}
			got := keys(call.Params)
			want := append([]string(nil), tt.wantKeys...)
			sort.Strings(want)
			if len(got) != 0 || len(want) != 0 {
				if !reflect.DeepEqual(got, want) {
					t.Errorf("params = %v, want %v", got, want)
				}
			}
			if _, ok := call.Params["addMembers"]; ok {
				t.Error("addMembers is not a signal-cli parameter")
			}
		})
	}
}

func TestCallErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		kind    steward.Kind
	}{
		{"invalid params", rpcErrorHandler(-32602, "Invalid params"), steward.Invalid},
		{"method not found", rpcErrorHandler(-32601, "Method not implemented"), steward.Invalid},
		{"user error", rpcErrorHandler(-1, "Invalid group id"), steward.Invalid},
		{"rate limit code", rpcErrorHandler(-5, "Rate limit exceeded"), steward.Unavailable},
		{"rate limit message", rpcErrorHandler(-32603, "Failed to send message: [413] Rate limit exceeded"), steward.Unavailable},
		{"io error", rpcErrorHandler(-3, "Failed to connect"), steward.Unavailable},
		{"untrusted key", rpcErrorHandler(-4, "Untrusted identity"), steward.Conflict},
		{"internal", rpcErrorHandler(-32603, "NullPointerException"), steward.Internal},
		{"http 500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, steward.Unavailable},
		{"http 503", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }, steward.Unavailable},
		{"http 421", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(421) }, steward.Unavailable},
		{"http 415", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(415) }, steward.Internal},
		{"http 201", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) }, steward.Internal},
		{"not json", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>") }, steward.Internal},
		{"id mismatch", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"jsonrpc":"2.0","result":{},"id":999999}`)
		}, steward.Internal},
		{"dropped connection", func(w http.ResponseWriter, r *http.Request) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, steward.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			c := &Client{BaseURL: srv.URL}
			_, err := c.Send(context.Background(), acct, SendParams{GroupID: groupID, Message: "x"})
			if !steward.Is(tt.kind, err) {
				t.Fatalf("err = %v (kind %v), want %v", err, steward.KindOf(err), tt.kind)
			}
		})
	}
	c := &Client{BaseURL: "http://127.0.0.1:1"}
	if err := c.Call(context.Background(), "listGroups", nil, nil); !steward.Is(steward.Unavailable, err) {
		t.Errorf("unreachable: %v", err)
	}
}

func rpcErrorHandler(code int, msg string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID json.RawMessage `json:"id"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": req.ID, "error": RPCError{Code: code, Message: msg}})
	}
}

func TestCheck(t *testing.T) {
	_, c := newFake(t, nil)
	if err := c.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer srv.Close()
	if err := (&Client{BaseURL: srv.URL}).Check(context.Background()); !steward.Is(steward.Unavailable, err) {
		t.Errorf("err = %v", err)
	}
}
