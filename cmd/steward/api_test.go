package main

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/httpapi"
	"github.com/steward-gov/steward/internal/metrics"
	"github.com/steward-gov/steward/internal/steward"
)

// newTestAPI wires a real app (SQLite file, blob directory, keys) behind an
// in-process HTTP server.
func newTestAPI(t *testing.T) (*app, *httptest.Server) {
	t.Helper()
	cfg, err := loadConfig("serve", []string{"--data", t.TempDir()}, serveSettings...)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := openApp(context.Background(), cfg, logger, true)
	if err != nil {
		t.Fatal(err)
	}
	api := &httpapi.Server{Store: a.db, Log: a.log, Pipeline: a.pipeline, Opener: a.envelope, Blobs: a.blobs, Logger: logger,
		DirectoryChanged: a.directory.Invalidate}
	svc, err := wireServices(context.Background(), a, "", metrics.New(func() float64 { return 0 }), logger)
	if err != nil {
		t.Fatal(err)
	}
	svc.apiExtras(api)
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(func() { srv.Close(); a.Close() })
	return a, srv
}

func issue(t *testing.T, a *app, name string, ttl time.Duration, scopes ...steward.Scope) string {
	t.Helper()
	secret, _, err := steward.IssueToken(context.Background(), a.db, steward.TokenSpec{Name: name, Scopes: scopes, TTL: ttl}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// TestRouteScopes walks every route in the table with no token, a token
// lacking the route's scope, and a token holding only that scope.
func TestRouteScopes(t *testing.T) {
	a, srv := newTestAPI(t)
	tokens := map[steward.Scope]string{}
	for _, s := range []steward.Scope{steward.ScopeCapture, steward.ScopeRead, steward.ScopeAdmin, steward.ScopeAudit} {
		tokens[s] = issue(t, a, "only-"+string(s), 0, s)
	}
	emp := &steward.Employee{UserName: "scopes@agency.example.gov", DisplayName: "Scope Test", Active: true}
	if err := a.db.CreateEmployee(context.Background(), emp); err != nil {
		t.Fatal(err)
	}
	secret, _, err := steward.IssueToken(context.Background(), a.db, steward.TokenSpec{Name: "only-inbox",
		Scopes: []steward.Scope{steward.ScopeInbox}, EmployeeID: emp.ID}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tokens[steward.ScopeInbox] = secret
	for pattern, scope := range httpapi.Routes() {
		method, path, _ := strings.Cut(pattern, " ")
		path = strings.NewReplacer("{id}", "00000000-0000-0000-0000-000000000000").Replace(path)
		t.Run(pattern, func(t *testing.T) {
			code := call(t, method, srv.URL+path, "", nil, nil)
			if scope == "" {
				if code != 200 {
					t.Fatalf("unauthenticated %s: %d, want 200", pattern, code)
				}
				return
			}
			if code != http.StatusUnauthorized {
				t.Fatalf("no token: %d, want 401", code)
			}
			if code := call(t, method, srv.URL+path, "stw_not-a-real-token", nil, nil); code != http.StatusUnauthorized {
				t.Fatalf("unknown token: %d, want 401", code)
			}
			for s, tok := range tokens {
				code := statusOnly(t, method, srv.URL+path, tok)
				switch {
				case s == scope && (code == 401 || code == 403):
					t.Errorf("token with scope %s refused: %d", s, code)
				case s != scope && code != http.StatusForbidden:
					t.Errorf("token with scope %s: %d, want 403", s, code)
				}
			}
		})
	}
}

// statusOnly makes a request and returns its status without reading the
// body, so that an event stream that stays open does not hang the test.
func statusOnly(t *testing.T, method, url, token string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestTokenLifecycle: expired and revoked tokens stop working.
func TestTokenLifecycle(t *testing.T) {
	a, srv := newTestAPI(t)
	admin := issue(t, a, "admin", 0, steward.ScopeAdmin)
	short := issue(t, a, "short", time.Millisecond, steward.ScopeRead)
	time.Sleep(5 * time.Millisecond)
	if code := call(t, "GET", srv.URL+"/api/v1/checkpoint", short, nil, nil); code != 401 {
		t.Fatalf("expired token: %d, want 401", code)
	}
	var created httpapi.TokenResponse
	// Separation of duties: an administrator cannot hand out content or audit readers.
	for _, scope := range []string{"read", "audit"} {
		var eb httpapi.ErrorBody
		if code := call(t, "POST", srv.URL+"/api/v1/tokens", admin, map[string]any{"name": "reader-" + scope,
			"scopes": []string{scope}}, &eb); code != 403 || eb.Error.Code != "permission_denied" {
			t.Fatalf("admin issuing a %s token: %d %+v, want 403", scope, code, eb)
		}
	}
	if code := call(t, "POST", srv.URL+"/api/v1/tokens", admin, map[string]any{"name": "connector", "scopes": []string{"capture"}}, &created); code != 201 {
		t.Fatalf("create token: %d", code)
	}
	if !strings.HasPrefix(created.Token, "stw_") {
		t.Fatalf("token %q lacks the stw_ prefix", created.Token)
	}
	capture := func() int {
		return call(t, "POST", srv.URL+"/api/v1/capture", created.Token, msg("lifecycle-"+randHex(4), "hello"), nil)
	}
	if code := capture(); code != 201 {
		t.Fatalf("new token: %d", code)
	}
	if code := call(t, "DELETE", srv.URL+"/api/v1/tokens/"+created.Detail.ID, admin, nil, nil); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	if code := capture(); code != 401 {
		t.Fatalf("revoked token: %d, want 401", code)
	}
	var bad httpapi.ErrorBody
	if code := call(t, "POST", srv.URL+"/api/v1/tokens", admin, map[string]any{"name": "x", "scopes": []string{"root"}}, &bad); code != 400 || bad.Error.Code != "invalid" {
		t.Fatalf("bad scope: %d %+v", code, bad)
	}
}

// TestCaptureAPI covers the capture contract over HTTP: 201 then 200 on
// replay, clear 4xx errors, the record read back decrypted and audited,
// and its inclusion proof checked against the signed checkpoint.
func TestCaptureAPI(t *testing.T) {
	a, srv := newTestAPI(t)
	tok := issue(t, a, "all", 0, steward.ScopeCapture, steward.ScopeRead)
	var first httpapi.CaptureResponse
	if code := call(t, "POST", srv.URL+"/api/v1/capture", tok, msg("c-1", "hello world"), &first); code != 201 {
		t.Fatalf("capture: %d", code)
	}
	var again httpapi.CaptureResponse
	if code := call(t, "POST", srv.URL+"/api/v1/capture", tok, msg("c-1", "hello world"), &again); code != 200 || again.RecordID != first.RecordID {
		t.Fatalf("replay: %d %+v", code, again)
	}
	for _, c := range []struct {
		body map[string]any
		code int
		text string
	}{
		{map[string]any{"channel": "api"}, 400, "channel_message_id"},
		{map[string]any{"channel": "api", "channel_message_id": "x", "direction": "up", "sender": map[string]string{"address": "a"}}, 400, "direction"},
		{map[string]any{"unknown": true}, 400, "unknown field"},
	} {
		var eb httpapi.ErrorBody
		if code := call(t, "POST", srv.URL+"/api/v1/capture", tok, c.body, &eb); code != c.code || !strings.Contains(eb.Error.Message, c.text) {
			t.Errorf("%v: %d %+v, want %d naming %q", c.body, code, eb, c.code, c.text)
		}
	}
	var rec httpapi.RecordResponse
	var eb httpapi.ErrorBody
	if code := call(t, "GET", srv.URL+"/api/v1/records/"+first.RecordID, tok, nil, &eb); code != 400 || !strings.Contains(eb.Error.Message, "purpose") {
		t.Fatalf("a content read without a purpose: %d %+v, want 400 naming the purpose", code, eb)
	}
	if code := call(t, "GET", srv.URL+"/api/v1/records/"+first.RecordID+"?purpose=test", tok, nil, &rec); code != 200 {
		t.Fatalf("read: %d", code)
	}
	if rec.Content == nil || rec.Content.Body != "hello world" || rec.Kind != steward.RecordMessage {
		t.Fatalf("read back %+v", rec)
	}
	// The read was audited: the log now ends with an audit record naming it.
	last, err := a.db.RecordAt(context.Background(), a.log.Size()-1)
	if err != nil {
		t.Fatal(err)
	}
	if last.Kind != steward.RecordAudit || !strings.Contains(string(last.Meta), first.RecordID) || !strings.Contains(string(last.Meta), "record.read") {
		t.Fatalf("last record is not the audit of the read: %s %s", last.Kind, last.Meta)
	}
	if code := call(t, "GET", srv.URL+"/api/v1/records/nope", tok, nil, nil); code != 404 {
		t.Fatalf("unknown record: %d", code)
	}
	// Shredding the key makes the content gone but keeps the record.
	if err := a.db.ShredKey(context.Background(), first.RecordID); err != nil {
		t.Fatal(err)
	}
	rec = httpapi.RecordResponse{}
	if code := call(t, "GET", srv.URL+"/api/v1/records/"+first.RecordID+"?purpose=test", tok, nil, &rec); code != 200 || !rec.Shredded || rec.Content != nil {
		t.Fatalf("shredded read: %d %+v", code, rec)
	}
}

// TestHTTPEdges: wrong methods get 405 with Allow, HEAD never reaches a
// content handler, unknown routes get 404, and oversized JSON gets 413.
func TestHTTPEdges(t *testing.T) {
	a, srv := newTestAPI(t)
	admin := issue(t, a, "admin", 0, steward.ScopeAdmin, steward.ScopeRead)
	req, _ := http.NewRequest("PUT", srv.URL+"/api/v1/capture", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("PUT capture: %d Allow=%q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	req, _ = http.NewRequest("HEAD", srv.URL+"/api/v1/checkpoint", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != 405 {
		t.Fatalf("HEAD: %v %v", resp.StatusCode, err)
	}
	if code := call(t, "GET", srv.URL+"/api/v2/nothing", admin, nil, nil); code != 404 {
		t.Fatalf("unknown route: %d", code)
	}
	big := map[string]any{"name": strings.Repeat("x", 70<<10), "scopes": []string{"read"}}
	if code := call(t, "POST", srv.URL+"/api/v1/tokens", admin, big, nil); code != 413 {
		t.Fatalf("oversized token request: %d, want 413", code)
	}
	if code := call(t, "GET", srv.URL+"/api/v1/checkpoint", "", nil, nil); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	req, _ = http.NewRequest("GET", srv.URL+"/api/v1/checkpoint", nil)
	req.Header.Set("Authorization", "bearer "+admin)
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("lower-case bearer scheme: %v %v", resp.StatusCode, err)
	}
}

// TestReplayWithAttachments: replaying an item with attachments stores no
// new blob and no new record, even if the replay carries more attachments.
func TestReplayWithAttachments(t *testing.T) {
	a, srv := newTestAPI(t)
	tok := issue(t, a, "cap", 0, steward.ScopeCapture)
	att := func(s string) map[string]string {
		return map[string]string{"filename": s + ".txt", "data": base64.StdEncoding.EncodeToString([]byte(s))}
	}
	m := msg("att-1", "with file")
	m["attachments"] = []map[string]string{att("one")}
	var first, again httpapi.CaptureResponse
	if code := call(t, "POST", srv.URL+"/api/v1/capture", tok, m, &first); code != 201 || len(first.Attachments) != 1 {
		t.Fatalf("capture: %d %+v", code, first)
	}
	size := a.log.Size()
	m["attachments"] = []map[string]string{att("one"), att("two")}
	if code := call(t, "POST", srv.URL+"/api/v1/capture", tok, m, &again); code != 200 || !reflect.DeepEqual(again, first) {
		t.Fatalf("replay: %d %+v, want 200 %+v", code, again, first)
	}
	var blobs int
	if err := a.blobs.List(context.Background(), func(string) error { blobs++; return nil }); err != nil {
		t.Fatal(err)
	}
	if blobs != 1 || a.log.Size() != size {
		t.Fatalf("replay left %d blobs and grew the log from %d to %d", blobs, size, a.log.Size())
	}
	// A replay without the attachments still answers with the original's.
	delete(m, "attachments")
	again = httpapi.CaptureResponse{}
	if code := call(t, "POST", srv.URL+"/api/v1/capture", tok, m, &again); code != 200 || !reflect.DeepEqual(again, first) {
		t.Fatalf("replay without attachments: %d %+v, want 200 %+v", code, again, first)
	}
}

// TestEmployeesAndIdentities: an admin creates an employee and gives them a
// Signal work identity; captures from that address are attributed to the
// employee from the next capture on, though the address was looked up (and
// found unknown) just before.
func TestEmployeesAndIdentities(t *testing.T) {
	a, srv := newTestAPI(t)
	admin := issue(t, a, "admin", 0, steward.ScopeAdmin)
	tok := issue(t, a, "cap", 0, steward.ScopeCapture, steward.ScopeRead)
	var e steward.Employee
	body := map[string]any{"user_name": "sam.okafor@agency.example.gov", "display_name": "Sam Okafor", "department": "Procurement"}
	if code := call(t, "POST", srv.URL+"/api/v1/employees", admin, body, &e); code != 201 || e.ID == "" || !e.Active {
		t.Fatalf("create: %d %+v", code, e)
	}
	if code := call(t, "POST", srv.URL+"/api/v1/employees", admin, body, nil); code != 409 {
		t.Fatalf("duplicate user name: %d, want 409", code)
	}
	if code := call(t, "POST", srv.URL+"/api/v1/employees", admin, map[string]any{"user_name": "x"}, nil); code != 400 {
		t.Fatalf("missing display name: %d, want 400", code)
	}
	const number = "+12025550104"
	m := msg("before-identity", "hello")
	m["channel"] = "signal"
	m["recipients"] = []map[string]string{{"address": number}}
	call(t, "POST", srv.URL+"/api/v1/capture", tok, m, nil) // caches "unknown address"

	idURL := srv.URL + "/api/v1/employees/" + e.ID + "/identities"
	var id steward.Identity
	if code := call(t, "PUT", idURL, admin, map[string]any{"channel": "signal", "address": number, "mode": "governed"}, &id); code != 201 || id.Status != steward.IdentityActive {
		t.Fatalf("put identity: %d %+v", code, id)
	}
	if code := call(t, "PUT", idURL, admin, map[string]any{"channel": "signal", "address": number, "mode": "linked"}, &id); code != 200 || id.Status != steward.IdentityPendingLink {
		t.Fatalf("change mode: %d %+v", code, id)
	}
	if code := call(t, "PUT", idURL, admin, map[string]any{"channel": "signal", "address": number, "mode": "borrowed"}, nil); code != 400 {
		t.Fatalf("bad mode: %d, want 400", code)
	}
	var other steward.Employee
	call(t, "POST", srv.URL+"/api/v1/employees", admin, map[string]any{"user_name": "o@x", "display_name": "O"}, &other)
	if code := call(t, "PUT", srv.URL+"/api/v1/employees/"+other.ID+"/identities", admin,
		map[string]any{"channel": "signal", "address": number, "mode": "governed"}, nil); code != 409 {
		t.Fatalf("someone else's address: %d, want 409", code)
	}
	var got httpapi.EmployeeResponse
	if code := call(t, "GET", srv.URL+"/api/v1/employees/"+e.ID, admin, nil, &got); code != 200 || len(got.Identities) != 1 {
		t.Fatalf("get: %d %+v", code, got)
	}

	m = msg("after-identity", "hello again")
	m["channel"] = "signal"
	m["recipients"] = []map[string]string{{"address": number}}
	var c httpapi.CaptureResponse
	call(t, "POST", srv.URL+"/api/v1/capture", tok, m, &c)
	var rec httpapi.RecordResponse
	call(t, "GET", srv.URL+"/api/v1/records/"+c.RecordID+"?purpose=test", tok, nil, &rec)
	if rec.Content == nil || len(rec.Content.Recipients) != 1 || rec.Content.Recipients[0].EmployeeID != e.ID {
		t.Fatalf("capture not attributed to the employee: %+v", rec.Content)
	}
}

// TestAuditAPI: the audit trail is read with the audit scope alone, holds
// the administrative actions and reads that happened, filters, and
// records its own reading.
func TestAuditAPI(t *testing.T) {
	a, srv := newTestAPI(t)
	admin := issue(t, a, "admin", 0, steward.ScopeAdmin)
	auditor := issue(t, a, "auditor", 0, steward.ScopeAudit)
	var emp steward.Employee
	if code := call(t, "POST", srv.URL+"/api/v1/employees", admin, map[string]string{
		"user_name": "audit.me@agency.example.gov", "display_name": "Audit Me"}, &emp); code != 201 {
		t.Fatalf("create employee: %d", code)
	}
	if code := call(t, "GET", srv.URL+"/api/v1/audit", admin, nil, nil); code != http.StatusForbidden {
		t.Fatalf("admin reading the audit trail: %d, want 403", code)
	}
	var out struct {
		Entries []httpapi.AuditEntry `json:"entries"`
	}
	if code := call(t, "GET", srv.URL+"/api/v1/audit?action=employee.", auditor, nil, &out); code != 200 {
		t.Fatalf("audit: %d", code)
	}
	if len(out.Entries) != 1 || out.Entries[0].Action != "employee.create" || out.Entries[0].Subject != emp.ID ||
		out.Entries[0].Details["user_name"] != "audit.me@agency.example.gov" {
		t.Fatalf("employee.* entries = %+v", out.Entries)
	}
	out.Entries = nil
	if code := call(t, "GET", srv.URL+"/api/v1/audit?action=audit.read", auditor, nil, &out); code != 200 || len(out.Entries) != 1 {
		t.Fatalf("the audit query was not itself audited: %d %+v", code, out.Entries)
	}
	if code := call(t, "GET", srv.URL+"/api/v1/audit?since=yesterday", auditor, nil, nil); code != 400 {
		t.Fatalf("bad since: %d, want 400", code)
	}
}

// TestSuccessorAPI: an admin names a successor; self and unknown
// employees are refused; the change is audited.
func TestSuccessorAPI(t *testing.T) {
	a, srv := newTestAPI(t)
	admin := issue(t, a, "admin", 0, steward.ScopeAdmin)
	auditor := issue(t, a, "auditor", 0, steward.ScopeAudit)
	mk := func(user string) string {
		var e steward.Employee
		if code := call(t, "POST", srv.URL+"/api/v1/employees", admin, map[string]string{"user_name": user, "display_name": user}, &e); code != 201 {
			t.Fatalf("create %s: %d", user, code)
		}
		return e.ID
	}
	dee, sam := mk("dee@agency.example.gov"), mk("sam@agency.example.gov")
	url := srv.URL + "/api/v1/employees/" + dee + "/successor"
	if code := call(t, "PUT", url, admin, map[string]string{"successor_id": sam}, nil); code != 200 {
		t.Fatalf("set successor: %d", code)
	}
	if got, _ := a.db.SuccessorOf(context.Background(), dee); got != sam {
		t.Fatalf("stored successor %q, want %q", got, sam)
	}
	if code := call(t, "PUT", url, admin, map[string]string{"successor_id": dee}, nil); code != 400 {
		t.Fatalf("self as successor: %d, want 400", code)
	}
	if code := call(t, "PUT", url, admin, map[string]string{"successor_id": "nobody"}, nil); code != 404 {
		t.Fatalf("unknown successor: %d, want 404", code)
	}
	var trail struct {
		Entries []httpapi.AuditEntry `json:"entries"`
	}
	call(t, "GET", srv.URL+"/api/v1/audit?action=employee.successor.set", auditor, nil, &trail)
	if len(trail.Entries) != 1 || trail.Entries[0].Subject != dee {
		t.Fatalf("audit: %+v", trail.Entries)
	}
}
