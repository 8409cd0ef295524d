package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/scim"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

// harness is a SCIM server on a real SQLite store, reached over real HTTP
// with a real scim-scoped token, recording every audit entry and change.
type harness struct {
	t     *testing.T
	db    *sqlite.DB
	srv   *scim.Server
	http  *httptest.Server
	token string

	mu       sync.Mutex
	audits   []audit
	changes  []scim.Change
	auditErr error // returned by Audit when set
}

type audit struct {
	action, subject string
	details         map[string]any
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := &harness{t: t, db: db}
	h.token = h.issue("entra", steward.ScopeScim)
	h.srv = &scim.Server{
		Store:  db,
		Logger: slog.New(slog.DiscardHandler),
		Authenticate: func(ctx context.Context, secret string) (*steward.Token, error) {
			return steward.Authenticate(ctx, db, secret, time.Now())
		},
		Audit: func(ctx context.Context, action, subject string, details map[string]any) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.audits = append(h.audits, audit{action, subject, details})
			return h.auditErr
		},
		OnChange: func(ctx context.Context, ev scim.Change) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.changes = append(h.changes, ev)
		},
	}
	mux := http.NewServeMux()
	mux.Handle(scim.Prefix+"/", h.srv.Handler())
	h.http = httptest.NewServer(mux)
	t.Cleanup(h.http.Close)
	return h
}

// issue makes a token with the given scopes and returns its secret.
func (h *harness) issue(name string, scopes ...steward.Scope) string {
	h.t.Helper()
	secret, _, err := steward.IssueToken(context.Background(), h.db, steward.TokenSpec{Name: name, Scopes: scopes}, time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	return secret
}

// response is an answer, with its body decoded if it is JSON.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// call sends a request with the harness's token. body is a JSON string,
// or nil.
func (h *harness) call(method, path string, body any) *response {
	h.t.Helper()
	return h.callAs(h.token, method, path, body)
}

func (h *harness) callAs(token, method, path string, body any) *response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, h.http.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	r := &response{status: resp.StatusCode, header: resp.Header}
	r.raw, err = io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(r.raw) > 0 {
		if err := json.Unmarshal(r.raw, &r.body); err != nil {
			h.t.Fatalf("%s %s: body is not a JSON object: %s", method, path, r.raw)
		}
	}
	return r
}

// must fails unless the response has the status.
func (r *response) must(t *testing.T, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	if status != http.StatusNoContent {
		if ct := r.header.Get("Content-Type"); ct != "application/scim+json" {
			t.Fatalf("Content-Type %q, want application/scim+json", ct)
		}
	}
	return r
}

// scimError fails unless the response is a SCIM error with the status and
// scimType ("" for none).
func (r *response) scimError(t *testing.T, status int, scimType string) {
	t.Helper()
	r.must(t, status)
	want := map[string]any{"schemas": []any{"urn:ietf:params:scim:api:messages:2.0:Error"}, "status": itoa(status)}
	for k, v := range want {
		if !equalJSON(r.body[k], v) {
			t.Fatalf("error %s = %v, want %v: %s", k, r.body[k], v, r.raw)
		}
	}
	if got, _ := r.body["scimType"].(string); got != scimType {
		t.Fatalf("scimType %q, want %q: %s", got, scimType, r.raw)
	}
	if d, _ := r.body["detail"].(string); d == "" {
		t.Fatalf("error without detail: %s", r.raw)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// list returns a ListResponse's Resources, checking its envelope.
func (r *response) list(t *testing.T, total int) []map[string]any {
	t.Helper()
	r.must(t, http.StatusOK)
	if !equalJSON(r.body["schemas"], []any{"urn:ietf:params:scim:api:messages:2.0:ListResponse"}) {
		t.Fatalf("not a ListResponse: %s", r.raw)
	}
	if got := int(r.body["totalResults"].(float64)); got != total {
		t.Fatalf("totalResults %d, want %d: %s", got, total, r.raw)
	}
	res, ok := r.body["Resources"].([]any)
	if !ok {
		t.Fatalf("Resources missing: %s", r.raw)
	}
	if got := int(r.body["itemsPerPage"].(float64)); got != len(res) {
		t.Fatalf("itemsPerPage %d for %d resources", got, len(res))
	}
	out := make([]map[string]any, len(res))
	for i, x := range res {
		out[i] = x.(map[string]any)
	}
	return out
}

// changesSince returns the changes reported after the first n.
func (h *harness) changesSince(n int) []scim.Change {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]scim.Change(nil), h.changes[n:]...)
}

func (h *harness) nChanges() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.changes)
}

func (h *harness) nAudits() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.audits)
}

func (h *harness) lastAudit() audit {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.audits[len(h.audits)-1]
}

// employee reads an employee straight from the store.
func (h *harness) employee(id string) *steward.Employee {
	h.t.Helper()
	e, err := h.db.EmployeeByID(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

func (h *harness) group(id string) *steward.Group {
	h.t.Helper()
	g, err := h.db.GroupByID(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return g
}

// wantChanges fails unless the changes are of the kinds given, in order.
func wantChanges(t *testing.T, got []scim.Change, kinds ...scim.ChangeKind) {
	t.Helper()
	var have []scim.ChangeKind
	for _, c := range got {
		have = append(have, c.Kind)
	}
	if !equalJSON(have, kinds) {
		t.Fatalf("changes %v, want %v", have, kinds)
	}
}

// equalJSON compares two values by their JSON encodings.
func equalJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// get walks a decoded JSON object by keys.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

const (
	enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	governance = "urn:steward:params:scim:schemas:extension:governance:2.0:User"
)

var errAudit = errors.New("audit log unavailable")
