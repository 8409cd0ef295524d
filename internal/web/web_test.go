package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/steward"
)

// fakeBackend is a test double of the chat service for this package's
// unit tests only.
type fakeBackend struct {
	mu          sync.Mutex
	contacts    []*steward.Contact
	convs       []chat.ConversationView
	msgs        map[string][]chat.MessageView
	addErr      error
	sendErr     error
	sent        []chat.SendRequest
	reactions   []string
	deleted     []string
	confirmed   []string
	groups      []chat.GroupRequest
	updates     []chat.GroupRequest
	files       map[string]fakeFile
	linkState   string
	events      chan chat.Event
	unsubscribe chan struct{}
}

type fakeFile struct {
	view chat.AttachmentView
	data []byte
}

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

func newFake() *fakeBackend {
	t0 := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	return &fakeBackend{
		contacts: []*steward.Contact{
			{ID: "k1", EmployeeID: "e1", Channel: "signal", Address: "+15550001", DisplayName: "Jordan Lee",
				ConsentState: steward.ConsentPending, RequestedAt: &t0},
			{ID: "k2", EmployeeID: "e1", Channel: "signal", Address: "+15550002", DisplayName: "Sam Ortiz",
				ConsentState: steward.ConsentDeclined, ConsentReason: "declined by reply", ConsentChangedAt: &t1},
			{ID: "k3", EmployeeID: "e1", Channel: "signal", Address: "+15550003", DisplayName: "Alex Kim",
				ConsentState: steward.ConsentActive, ConsentChangedAt: &t1},
		},
		convs: []chat.ConversationView{
			{ID: "c1", Channel: "signal", Kind: steward.ConversationDirect, Title: "Alex Kim", CanSend: true, LastActivity: &t1,
				Members: []chat.PartyView{{Address: "+15559999", Me: true}, {Address: "+15550003", Name: "Alex Kim", ContactID: "k3", ConsentState: steward.ConsentActive}}},
			{ID: "c2", Channel: "signal", Kind: steward.ConversationDirect, Title: "Jordan Lee", CanSend: false,
				Blocked: "Waiting for Jordan to accept the recording notice",
				Members: []chat.PartyView{{Address: "+15559999", Me: true}, {Address: "+15550001", Name: "Jordan Lee", ContactID: "k1", ConsentState: steward.ConsentPending}}},
		},
		msgs: map[string][]chat.MessageView{
			"c1": {
				{RecordID: "n1", Kind: "consent", Notice: "Recording notice accepted by Alex Kim", SentAt: t0},
				{RecordID: "m1", Kind: "message", Direction: steward.DirInbound, Sender: chat.PartyView{Address: "+15550003", Name: "Alex Kim"},
					Body: "<script>alert(1)</script>", SentAt: t0,
					Reactions: []chat.ReactionView{{Emoji: "👍", Count: 2, By: []string{"You", "Alex Kim"}, Mine: true}}},
				{RecordID: "m2", Kind: "message", Direction: steward.DirOutbound, Mine: true, Sender: chat.PartyView{Address: "+15559999", Me: true},
					Body: "see you at 3", Edited: true, Revisions: []string{"see you at 2"}, Status: steward.StatusRead, SentAt: t1, ReplyTo: "m1"},
				{RecordID: "m3", Kind: "message", Mine: true, Sender: chat.PartyView{Address: "+15559999", Me: true},
					Deleted: true, Status: steward.StatusDelivered, SentAt: t1},
				{RecordID: "m4", Kind: "message", Mine: true, Sender: chat.PartyView{Address: "+15559999", Me: true},
					Body: "files", Status: steward.StatusUnregistered, SentAt: t1,
					Attachments: []chat.AttachmentView{
						{RecordID: "img1", Filename: "photo.png", ContentType: "image/png", Size: 2048},
						{RecordID: "doc1", Filename: "report.pdf", ContentType: "application/pdf", Size: 3 << 20},
					}},
				{RecordID: "m5", Kind: "message", Mine: true, Sender: chat.PartyView{Address: "+15559999", Me: true},
					Body: "later", Status: steward.StatusRateLimited, SentAt: t1},
				{RecordID: "m6", Kind: "message", Mine: true, Sender: chat.PartyView{Address: "+15559999", Me: true},
					Body: "soon", Status: steward.StatusQueued, SentAt: t1},
			},
			"c2": {{RecordID: "n2", Kind: "notice", Notice: "Recording notice sent to Jordan Lee", SentAt: t0}},
		},
		files: map[string]fakeFile{
			"img1": {chat.AttachmentView{RecordID: "img1", Filename: "photo.png", ContentType: "image/png", Size: int64(len(pngBytes))}, pngBytes},
			"doc1": {chat.AttachmentView{RecordID: "doc1", Filename: "../../etc/ré port.pdf", ContentType: "text/html", Size: 5}, []byte("<html><script>x</script>")},
			"fake": {chat.AttachmentView{RecordID: "fake", Filename: "x.png", ContentType: "image/png", Size: 5}, []byte("<html><script>x</script>")},
		},
		linkState:   "waiting",
		events:      make(chan chat.Event, 4),
		unsubscribe: make(chan struct{}, 1),
	}
}

func notFound(what string) error {
	return steward.E(steward.Op("fake"), steward.NotFound, "no such "+what)
}

func (f *fakeBackend) Employee(ctx context.Context, employeeID string) (*steward.Employee, []*steward.Identity, error) {
	if employeeID != "e1" {
		return nil, nil, notFound("employee")
	}
	return &steward.Employee{ID: "e1", UserName: "pat@example.gov", DisplayName: "Pat Doe", Active: true},
		[]*steward.Identity{
			{ID: "i1", EmployeeID: "e1", Channel: "signal", Address: "+15559999", Mode: steward.IdentityGoverned, Status: steward.IdentityActive},
			{ID: "i2", EmployeeID: "e1", Channel: "signal", Address: "+15558888", Mode: steward.IdentityLinked, Status: steward.IdentityPendingLink},
		}, nil
}

func (f *fakeBackend) Contacts(ctx context.Context, employeeID string) ([]*steward.Contact, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.contacts, nil
}

func (f *fakeBackend) AddContact(ctx context.Context, actor, employeeID string, req chat.AddContactRequest) (*steward.Contact, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.addErr != nil {
		return nil, f.addErr
	}
	c := &steward.Contact{ID: "k9", EmployeeID: employeeID, Channel: req.Channel, Address: req.Address, DisplayName: req.DisplayName, ConsentState: steward.ConsentPending}
	f.contacts = append(f.contacts, c)
	return c, nil
}

func (f *fakeBackend) Conversations(ctx context.Context, employeeID string) ([]chat.ConversationView, error) {
	return f.convs, nil
}

func (f *fakeBackend) ConversationWith(ctx context.Context, employeeID, contactID string) (*chat.ConversationView, error) {
	return &chat.ConversationView{ID: "conv-" + contactID}, nil
}

func (f *fakeBackend) conv(id string) (*chat.ConversationView, error) {
	for i := range f.convs {
		if f.convs[i].ID == id {
			c := f.convs[i]
			return &c, nil
		}
	}
	return nil, notFound("conversation")
}

func (f *fakeBackend) Messages(ctx context.Context, employeeID, conversationID string, limit int) (*chat.ConversationView, []chat.MessageView, error) {
	c, err := f.conv(conversationID)
	if err != nil {
		return nil, nil, err
	}
	return c, f.msgs[conversationID], nil
}

func (f *fakeBackend) Send(ctx context.Context, employeeID, conversationID string, req chat.SendRequest) (*chat.SendResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sendErr != nil {
		return nil, f.sendErr
	}
	f.sent = append(f.sent, req)
	return &chat.SendResponse{RecordID: "r-new", Status: steward.StatusQueued}, nil
}

func (f *fakeBackend) React(ctx context.Context, employeeID, conversationID, recordID, emoji string, remove bool) (*chat.SendResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	op := "+"
	if remove {
		op = "-"
	}
	f.reactions = append(f.reactions, recordID+op+emoji)
	return &chat.SendResponse{RecordID: "r-react"}, nil
}

func (f *fakeBackend) Delete(ctx context.Context, employeeID, conversationID, recordID string) (*chat.SendResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, recordID)
	return &chat.SendResponse{RecordID: "r-del"}, nil
}

func (f *fakeBackend) Confirm(ctx context.Context, employeeID, conversationID, recordID, justification string) (*chat.SendResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if strings.TrimSpace(justification) == "" {
		return nil, steward.E(steward.Invalid, "give a justification")
	}
	f.confirmed = append(f.confirmed, recordID+":"+justification)
	return &chat.SendResponse{RecordID: recordID, Status: steward.StatusQueued}, nil
}

func (f *fakeBackend) CreateGroup(ctx context.Context, employeeID string, req chat.GroupRequest) (*chat.ConversationView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups = append(f.groups, req)
	return &chat.ConversationView{ID: "g1"}, nil
}

func (f *fakeBackend) UpdateGroup(ctx context.Context, employeeID, conversationID string, req chat.GroupRequest) (*chat.ConversationView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, req)
	return &chat.ConversationView{ID: conversationID}, nil
}

func (f *fakeBackend) Attachment(ctx context.Context, employeeID, recordID string) (*chat.AttachmentView, []byte, error) {
	a, ok := f.files[recordID]
	if !ok {
		return nil, nil, notFound("attachment")
	}
	return &a.view, a.data, nil
}

func (f *fakeBackend) StartLink(ctx context.Context, employeeID, identityID string) (*chat.LinkSession, error) {
	return &chat.LinkSession{IdentityID: identityID, URI: "sgnl://linkdevice?uuid=abc&pub_key=def", State: "waiting"}, nil
}

func (f *fakeBackend) LinkStatus(ctx context.Context, employeeID, identityID string) (*chat.LinkSession, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &chat.LinkSession{IdentityID: identityID, State: f.linkState}, nil
}

func (f *fakeBackend) Subscribe(employeeID string) (<-chan chat.Event, func()) {
	return f.events, func() { f.unsubscribe <- struct{}{} }
}

// tokens is the fake authenticator's store.
type tokens struct {
	mu sync.Mutex
	m  map[string]*steward.Token
}

func (ts *tokens) authenticate(ctx context.Context, secret string) (*steward.Token, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t, ok := ts.m[secret]
	if !ok {
		return nil, notFound("token")
	}
	c := *t
	return &c, nil
}

func (ts *tokens) revoke(secret string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	now := time.Now()
	ts.m[secret].RevokedAt = &now
}

const (
	goodSecret  = "stw_good"
	readSecret  = "stw_readonly"
	otherSecret = "stw_other"
	// goodSession is the secret of a session that newServer starts with
	// goodSecret, as signing in with it would.
	goodSession = "stws_good"
)

func newServer(t *testing.T) (*Server, *fakeBackend, *tokens) {
	s, fb, ts, _ := newServerAccounts(t)
	return s, fb, ts
}

// newServerAccounts is newServer, with its accounts: the employee e1 and
// a token session (goodSession) for it.
func newServerAccounts(t *testing.T) (*Server, *fakeBackend, *tokens, *memAccounts) {
	t.Helper()
	fb := newFake()
	ts := &tokens{m: map[string]*steward.Token{
		goodSecret:  {ID: "t1", Name: "pat inbox", Scopes: []steward.Scope{steward.ScopeInbox}, EmployeeID: "e1"},
		readSecret:  {ID: "t2", Name: "reader", Scopes: []steward.Scope{steward.ScopeRead}},
		otherSecret: {ID: "t3", Name: "no employee", Scopes: []steward.Scope{steward.ScopeInbox}},
	}}
	acc := newAccounts(ts)
	acc.addEmployee(steward.Employee{ID: "e1", UserName: "pat@example.gov", DisplayName: "Pat Doe", Email: "pat@example.gov", Active: true})
	now := time.Now()
	must(t, acc.CreateSession(context.Background(), &steward.Session{ID: "s-good", EmployeeID: "e1", Method: steward.SessionToken,
		TokenID: "t1", Hash: steward.HashTokenSecret(goodSession), CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(defaultLifetime), IdleTimeout: defaultIdle}))
	s := &Server{Backend: fb, Accounts: acc, Authenticate: ts.authenticate, Secure: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return s, fb, ts, acc
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// request builds a same-origin browser request signed in with goodSession
// unless told otherwise.
type reqOpt func(*http.Request)

func noCookie(r *http.Request) { r.Header.Del("Cookie") }
func fromScript(r *http.Request) {
	r.Header.Set("X-Requested-With", "fetch")
	r.Header.Set("Accept", "application/json")
}
func withHeader(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }
func withCookie(secret string) reqOpt {
	return func(r *http.Request) {
		r.Header.Del("Cookie")
		r.AddCookie(&http.Cookie{Name: cookieName, Value: secret})
	}
}

func do(t *testing.T, h http.Handler, method, target string, body io.Reader, contentType string, opts ...reqOpt) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, body)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if method != http.MethodGet {
		r.Header.Set("Origin", "http://example.com")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	r.AddCookie(&http.Cookie{Name: cookieName, Value: goodSession})
	for _, o := range opts {
		o(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func postForm(t *testing.T, h http.Handler, target string, form url.Values, opts ...reqOpt) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, h, http.MethodPost, target, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", opts...)
}

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("response lacks %q", w)
		}
	}
}

func mustNotContain(t *testing.T, body string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(body, b) {
			t.Errorf("response contains %q", b)
		}
	}
}

func TestLoginFlow(t *testing.T) {
	s, _, _ := newServer(t)
	h := s.Handler()

	w := do(t, h, "GET", "/inbox/login", nil, "", noCookie)
	if w.Code != http.StatusOK {
		t.Fatalf("login page: %d", w.Code)
	}
	mustContain(t, w.Body.String(), `id="login-form"`, `id="token"`, `id="signin"`, `src="/inbox/static/inbox.js"`)
	mustNotContain(t, w.Body.String(), "<script>", "style=")

	// A good token starts a session. The cookie holds the session's
	// secret, never the token's.
	w = postForm(t, h, "/inbox/login", url.Values{"token": {" " + goodSecret + " "}}, noCookie)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/inbox/" {
		t.Fatalf("login: %d %q", w.Code, w.Header().Get("Location"))
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies: %v", cookies)
	}
	c := cookies[0]
	if c.Name != "steward_session" || !strings.HasPrefix(c.Value, "stws_") || len(c.Value) != 5+43 || strings.Contains(c.Value, goodSecret) ||
		!c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/inbox" || c.MaxAge != 0 {
		t.Errorf("cookie = %+v", c)
	}
	if w := do(t, h, "GET", "/inbox/", nil, "", withCookie(c.Value)); w.Code != 200 {
		t.Errorf("new session: %d", w.Code)
	}

	// It goes back where it was sent from, but only inside the inbox.
	w = postForm(t, h, "/inbox/login", url.Values{"token": {goodSecret}, "next": {"/inbox/c/c1"}}, noCookie)
	if got := w.Header().Get("Location"); got != "/inbox/c/c1" {
		t.Errorf("next: Location = %q", got)
	}
	for _, next := range []string{"https://evil.example/", "//evil.example/inbox/", "/inbox/..//evil", "/api/v1/tokens"} {
		w = postForm(t, h, "/inbox/login", url.Values{"token": {goodSecret}, "next": {next}}, noCookie)
		if got := w.Header().Get("Location"); got != "/inbox/" {
			t.Errorf("next %q: Location = %q", next, got)
		}
	}

	// Bad tokens are refused with the reason and no cookie.
	for _, tc := range []struct {
		secret string
		status int
		msg    string
	}{
		{"stw_nope", http.StatusUnauthorized, "not valid"},
		{"", http.StatusUnauthorized, "Paste your inbox token"},
		{readSecret, http.StatusForbidden, "cannot open an inbox"},
		{otherSecret, http.StatusForbidden, "cannot open an inbox"},
	} {
		w = postForm(t, h, "/inbox/login", url.Values{"token": {tc.secret}}, noCookie)
		if w.Code != tc.status {
			t.Errorf("login %q: %d, want %d", tc.secret, w.Code, tc.status)
		}
		mustContain(t, w.Body.String(), tc.msg, `id="login-error"`)
		if len(w.Result().Cookies()) != 0 {
			t.Errorf("login %q set a cookie", tc.secret)
		}
	}

	// Signed in, the login page forwards to the inbox.
	w = do(t, h, "GET", "/inbox/login", nil, "")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/inbox/" {
		t.Errorf("login page when signed in: %d %q", w.Code, w.Header().Get("Location"))
	}

	// Logout clears the cookie.
	w = postForm(t, h, "/inbox/logout", nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/inbox/login" {
		t.Fatalf("logout: %d %q", w.Code, w.Header().Get("Location"))
	}
	cookies = w.Result().Cookies()
	if len(cookies) != 1 || cookies[0].MaxAge >= 0 || cookies[0].Value != "" || cookies[0].Path != "/inbox" {
		t.Errorf("logout cookie: %+v", cookies)
	}
}

func TestUnauthenticated(t *testing.T) {
	s, _, ts := newServer(t)
	h := s.Handler()

	for _, tc := range []struct {
		method, path string
		opts         []reqOpt
		status       int
		location     string
	}{
		{"GET", "/inbox/", nil, 303, "/inbox/login"},
		{"GET", "/inbox/c/c1", nil, 303, "/inbox/login?next=%2Finbox%2Fc%2Fc1"},
		{"GET", "/inbox/a/img1", nil, 303, "/inbox/login?next=%2Finbox%2Fa%2Fimg1"},
		{"GET", "/inbox/nowhere", nil, 303, "/inbox/login?next=%2Finbox%2Fnowhere"},
		{"POST", "/inbox/contacts", nil, 303, "/inbox/login"},
		{"GET", "/inbox/c/c1/messages", nil, 401, ""},
		{"GET", "/inbox/lists", nil, 401, ""},
		{"GET", "/inbox/events", []reqOpt{withHeader("Accept", "text/event-stream")}, 401, ""},
		{"GET", "/inbox/a/img1/preview", nil, 401, ""},
		{"GET", "/inbox/link/i2/status", nil, 401, ""},
		{"GET", "/inbox/c/c1", []reqOpt{fromScript}, 401, ""},
		{"POST", "/inbox/c/c1/send", []reqOpt{fromScript}, 401, ""},
	} {
		opts := append([]reqOpt{noCookie}, tc.opts...)
		w := do(t, h, tc.method, tc.path, nil, "", opts...)
		if w.Code != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, w.Code, tc.status)
			continue
		}
		if tc.location != "" && w.Header().Get("Location") != tc.location {
			t.Errorf("%s %s: Location %q, want %q", tc.method, tc.path, w.Header().Get("Location"), tc.location)
		}
		if tc.status == 401 {
			var body errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != "unauthenticated" {
				t.Errorf("%s %s: body %q", tc.method, tc.path, w.Body.String())
			}
		}
	}

	// The public routes.
	if w := do(t, h, "GET", "/inbox/static/inbox.css", nil, "", noCookie); w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
		t.Errorf("static css: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if w := do(t, h, "GET", "/inbox/static/inbox.js", nil, "", noCookie); w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/javascript") {
		t.Errorf("static js: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if w := do(t, h, "GET", "/inbox/static/nope.js", nil, "", noCookie); w.Code != 404 {
		t.Errorf("missing static: %d", w.Code)
	}
	// HEAD never runs a (possibly audited) GET handler.
	if w := do(t, h, "HEAD", "/inbox/c/c1", nil, ""); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("HEAD: %d", w.Code)
	}
	// A wrong method on a known path is 405, an unknown path 404.
	if w := do(t, h, "GET", "/inbox/c/c1/send", nil, ""); w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "POST" {
		t.Errorf("GET send: %d %q", w.Code, w.Header().Get("Allow"))
	}
	if w := do(t, h, "GET", "/inbox/nowhere", nil, ""); w.Code != http.StatusNotFound {
		t.Errorf("unknown: %d", w.Code)
	}

	// A revoked token is signed out at once, and its cookie dropped.
	if w := do(t, h, "GET", "/inbox/", nil, ""); w.Code != 200 {
		t.Fatalf("home: %d", w.Code)
	}
	ts.revoke(goodSecret)
	w := do(t, h, "GET", "/inbox/", nil, "")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/inbox/login" {
		t.Errorf("revoked: %d %q", w.Code, w.Header().Get("Location"))
	}
	if cs := w.Result().Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 {
		t.Errorf("revoked: cookie not cleared: %+v", cs)
	}
	if w := do(t, h, "GET", "/inbox/c/c1/messages", nil, ""); w.Code != 401 {
		t.Errorf("revoked fragment: %d", w.Code)
	}

	// A token's secret is not a session, nor is anything else unknown.
	for _, secret := range []string{goodSecret, readSecret, "stws_forged"} {
		if w := do(t, h, "GET", "/inbox/", nil, "", withCookie(secret)); w.Code != http.StatusSeeOther {
			t.Errorf("cookie %q: %d", secret, w.Code)
		}
	}

	// A store that cannot answer is not a sign-out.
	s, _, _, acc := newServerAccounts(t)
	acc.err = steward.E(steward.Op("store"), steward.Unavailable, "store unavailable")
	w = do(t, s.Handler(), "GET", "/inbox/", nil, "")
	if w.Code != http.StatusServiceUnavailable || len(w.Result().Cookies()) != 0 {
		t.Errorf("unavailable: %d %v", w.Code, w.Result().Cookies())
	}
}

func TestCrossOriginRefused(t *testing.T) {
	s, fb, _ := newServer(t)
	h := s.Handler()
	form := url.Values{"body": {"hi"}}
	for _, tc := range []struct {
		name   string
		opts   []reqOpt
		status int
	}{
		{"same origin", nil, http.StatusSeeOther},
		{"origin only", []reqOpt{withHeader("Sec-Fetch-Site", "")}, http.StatusSeeOther},
		{"fetch metadata only", []reqOpt{withHeader("Origin", "")}, http.StatusSeeOther},
		{"other origin", []reqOpt{withHeader("Origin", "https://evil.example"), withHeader("Sec-Fetch-Site", "")}, http.StatusForbidden},
		{"other port", []reqOpt{withHeader("Origin", "http://example.com:8080"), withHeader("Sec-Fetch-Site", "")}, http.StatusForbidden},
		{"null origin", []reqOpt{withHeader("Origin", "null"), withHeader("Sec-Fetch-Site", "")}, http.StatusForbidden},
		{"null origin, same-origin fetch metadata", []reqOpt{withHeader("Origin", "null")}, http.StatusSeeOther},
		{"other origin, same-origin fetch metadata", []reqOpt{withHeader("Origin", "https://evil.example")}, http.StatusForbidden},
		{"cross-site", []reqOpt{withHeader("Sec-Fetch-Site", "cross-site")}, http.StatusForbidden},
		{"same-site", []reqOpt{withHeader("Sec-Fetch-Site", "same-site"), withHeader("Origin", "")}, http.StatusForbidden},
		{"no evidence", []reqOpt{withHeader("Sec-Fetch-Site", ""), withHeader("Origin", "")}, http.StatusForbidden},
	} {
		w := postForm(t, h, "/inbox/c/c1/send", form, tc.opts...)
		if w.Code != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, w.Code, tc.status)
		}
	}
	if len(fb.sent) != 4 {
		t.Errorf("sent %d messages, want 4", len(fb.sent))
	}
	// The sign-in form too (login CSRF), and the script gets JSON.
	w := postForm(t, h, "/inbox/login", url.Values{"token": {goodSecret}}, noCookie, withHeader("Origin", "https://evil.example"))
	if w.Code != http.StatusForbidden || len(w.Result().Cookies()) != 0 {
		t.Errorf("cross-origin login: %d", w.Code)
	}
	w = postForm(t, h, "/inbox/c/c1/react", url.Values{"record_id": {"m1"}, "emoji": {"👍"}}, fromScript, withHeader("Sec-Fetch-Site", "cross-site"))
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"permission_denied"`) {
		t.Errorf("cross-origin fetch: %d %s", w.Code, w.Body.String())
	}
}

func TestSecurityHeaders(t *testing.T) {
	s, _, _ := newServer(t)
	h := s.Handler()
	for _, tc := range []struct {
		path string
		opts []reqOpt
	}{
		{"/inbox/login", []reqOpt{noCookie}},
		{"/inbox/", nil},
		{"/inbox/", []reqOpt{noCookie}},
		{"/inbox/c/c1", nil},
		{"/inbox/c/c1/messages", nil},
		{"/inbox/static/inbox.css", nil},
		{"/inbox/nowhere", nil},
		{"/inbox/a/img1", nil},
		{"/inbox/events", []reqOpt{noCookie}},
	} {
		w := do(t, h, "GET", tc.path, nil, "", tc.opts...)
		hd := w.Header()
		if got := hd.Get("Content-Security-Policy"); !strings.HasPrefix(got, csp) {
			t.Errorf("%s: CSP %q", tc.path, got)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
			"Cache-Control": "no-store", "X-Frame-Options": "DENY"} {
			if hd.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", tc.path, k, hd.Get(k), v)
			}
		}
	}
	if csp != "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'" {
		t.Errorf("csp = %q", csp)
	}
	// The pages carry no inline script or style that the policy would block.
	for _, p := range []string{"/inbox/", "/inbox/c/c1", "/inbox/c/c2", "/inbox/link/i2"} {
		body := do(t, h, "GET", p, nil, "").Body.String()
		if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).MatchString(body) || strings.Contains(body, "<style") ||
			strings.Contains(body, " style=") || strings.Contains(body, " onclick=") || strings.Contains(body, "javascript:") {
			t.Errorf("%s has inline script or style", p)
		}
	}
}

func TestHomePage(t *testing.T) {
	s, _, _ := newServer(t)
	w := do(t, s.Handler(), "GET", "/inbox/", nil, "")
	if w.Code != 200 {
		t.Fatalf("home: %d", w.Code)
	}
	body := w.Body.String()
	mustContain(t, body,
		"Pat Doe",
		`id="add-contact"`, `name="address"`, `name="display_name"`, `id="add-contact-submit"`,
		`class="contact" data-contact-id="k1" data-state="pending"`,
		`data-contact-id="k2" data-state="declined"`,
		"Declined by reply on <time", "Consent requested on <time",
		`class="conversation" data-conversation-id="c1"`,
		"Waiting for Jordan to accept the recording notice",
		`id="start-group"`, `name="members" value="&#43;15550003"`,
		`href="/inbox/link/i2"`, "Link my phone",
		`action="/inbox/contacts/k1/open"`,
	)
	if strings.Contains(body, `href="/inbox/link/i1"`) {
		t.Error("a governed identity offers linking")
	}
}

func TestMessagesFragment(t *testing.T) {
	s, _, _ := newServer(t)
	w := do(t, s.Handler(), "GET", "/inbox/c/c1/messages", nil, "", fromScript)
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("fragment: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	body := w.Body.String()
	mustContain(t, body,
		`<ol id="messages"`, `data-can-send="true"`,
		// escaping
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		// notice
		`class="entry notice"`, "Recording notice accepted by Alex Kim",
		// sender, edits
		`data-record-id="m1"`, `<span class="sender">Alex Kim</span>`,
		`<span class="edited">edited</span>`, `<details class="revisions">`, "see you at 2",
		// reply marker
		`class="reply-marker" href="#m-m1"`,
		// deletion
		"This message was deleted",
		// reactions: yours, removable
		`class="reaction mine" aria-pressed="true"`, `<span class="count">2</span>`, `name="remove" value="1"`,
		`aria-label="React with ❤️"`,
		// status
		`data-status="read"`, `class="status status-read"`,
		`data-status="delivered"`,
		`data-status="unregistered"`, "Not on Signal",
		`data-status="rate_limited"`, "Rate limited — will retry",
		`data-status="queued"`, "◷",
		// attachments
		`<a class="file" href="/inbox/a/img1"`, `src="/inbox/a/img1/preview"`,
		`<a class="file" href="/inbox/a/doc1"`, "3.0 MB",
	)
	mustNotContain(t, body, "<script>alert(1)</script>", "/inbox/a/doc1/preview")
	// A deleted message shows neither its reactions nor any action on it.
	m3 := regexp.MustCompile(`(?s)data-record-id="m3".*?</li>`).FindString(body)
	if strings.Contains(m3, "picker") || strings.Contains(m3, "/delete") {
		t.Errorf("deleted message offers actions: %s", m3)
	}
	// Each message has exactly one body element.
	if n, m := strings.Count(body, `class="entry message`), strings.Count(body, `class="body`); n != m || n != 6 {
		t.Errorf("%d messages, %d bodies", n, m)
	}
}

func TestConversationPage(t *testing.T) {
	s, _, _ := newServer(t)
	h := s.Handler()
	body := do(t, h, "GET", "/inbox/c/c1", nil, "").Body.String()
	mustContain(t, body, `id="composer"`, `<textarea id="body" name="body"`, `type="file" id="files" name="files"`, `id="send"`,
		`enctype="multipart/form-data"`, `aria-current="page"`, `id="messages"`, `id="announcer"`)
	mustNotContain(t, body, `id="blocked"`, `<fieldset id="composer-fields" disabled`)

	// Without consent the composer is disabled and says why.
	body = do(t, h, "GET", "/inbox/c/c2", nil, "").Body.String()
	mustContain(t, body, `<p id="blocked" class="blocked" role="status">Waiting for Jordan to accept the recording notice</p>`,
		`<fieldset id="composer-fields" disabled>`, "Recording notice sent to Jordan Lee", `data-can-send="false"`)

	if w := do(t, h, "GET", "/inbox/c/nope", nil, ""); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "no such conversation") {
		t.Errorf("missing conversation: %d", w.Code)
	}
}

func multipartBody(t *testing.T, fields map[string]string, files map[string][]byte) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for name, data := range files {
		fw, err := mw.CreateFormFile("files", name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	return &buf, mw.FormDataContentType()
}

func TestSend(t *testing.T) {
	s, fb, _ := newServer(t)
	h := s.Handler()

	body, ct := multipartBody(t, map[string]string{"body": "hello\r\nthere  ", "reply_to": "m1"}, map[string][]byte{"pic.png": pngBytes})
	w := do(t, h, "POST", "/inbox/c/c1/send", body, ct, fromScript)
	if w.Code != 200 {
		t.Fatalf("send: %d %s", w.Code, w.Body.String())
	}
	var resp chat.SendResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.RecordID != "r-new" {
		t.Errorf("send response %s", w.Body.String())
	}
	got := fb.sent[0]
	if got.Body != "hello\nthere" || got.ReplyTo != "m1" || len(got.Attachments) != 1 ||
		got.Attachments[0].Filename != "pic.png" || got.Attachments[0].ContentType != "image/png" || !bytes.Equal(got.Attachments[0].Data, pngBytes) {
		t.Errorf("sent %+v", got)
	}

	// Without script: back to the conversation.
	w = postForm(t, h, "/inbox/c/c1/send", url.Values{"body": {"plain"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/inbox/c/c1#m-r-new" {
		t.Errorf("form send: %d %q", w.Code, w.Header().Get("Location"))
	}

	// Nothing to send.
	w = postForm(t, h, "/inbox/c/c1/send", url.Values{"body": {"   "}}, fromScript)
	if w.Code != http.StatusBadRequest {
		t.Errorf("empty send: %d", w.Code)
	}

	// Too large.
	s.MaxUpload = 1024
	body, ct = multipartBody(t, map[string]string{"body": "x"}, map[string][]byte{"big.bin": bytes.Repeat([]byte("x"), 4096)})
	w = do(t, h, "POST", "/inbox/c/c1/send", body, ct, fromScript)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("too large: %d %s", w.Code, w.Body.String())
	}
}

func TestSendConsentRequired(t *testing.T) {
	s, fb, _ := newServer(t)
	h := s.Handler()
	const msg = "Jordan Lee has not accepted the recording notice yet."
	fb.sendErr = steward.E(steward.Op("chat.Send"), steward.ConsentRequired, msg)

	w := postForm(t, h, "/inbox/c/c2/send", url.Values{"body": {"hi"}}, fromScript)
	if w.Code != http.StatusConflict {
		t.Fatalf("consent: %d", w.Code)
	}
	var eb errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil || eb.Error.Code != "consent_required" || eb.Error.Message != msg {
		t.Errorf("consent body %s", w.Body.String())
	}

	// Without script, the page again with the reason and the draft kept.
	w = postForm(t, h, "/inbox/c/c2/send", url.Values{"body": {"my <draft>"}})
	if w.Code != http.StatusConflict {
		t.Fatalf("consent form: %d", w.Code)
	}
	mustContain(t, w.Body.String(), `<p id="composer-error" class="form-error" role="alert">`+msg, "my &lt;draft&gt;</textarea>")

	// An internal failure shows nothing of its detail.
	fb.sendErr = steward.E(steward.Op("chat.Send"), errors.New("disk on fire at /var/lib/secret"))
	w = postForm(t, h, "/inbox/c/c2/send", url.Values{"body": {"hi"}}, fromScript)
	if w.Code != 500 || strings.Contains(w.Body.String(), "disk") || !strings.Contains(w.Body.String(), "internal error") {
		t.Errorf("internal: %d %s", w.Code, w.Body.String())
	}
}

// TestPolicyOutcomes: the sender sees why policy stopped a message, and
// confirms a warned one with a justification from the page.
func TestPolicyOutcomes(t *testing.T) {
	s, fb, _ := newServer(t)
	t0 := time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC)
	me := chat.PartyView{Address: "+15559999", Me: true}
	fb.msgs["c1"] = append(fb.msgs["c1"],
		chat.MessageView{RecordID: "p1", Kind: "message", Mine: true, Sender: me, Body: "key", SentAt: t0,
			Status: chat.StatusPolicyBlocked, StatusDetail: "Never send credentials by message."},
		chat.MessageView{RecordID: "p2", Kind: "message", Mine: true, Sender: me, Body: "routing", SentAt: t0,
			Status: chat.StatusNeedsConfirmation, StatusDetail: "This message contains bank account details."},
		chat.MessageView{RecordID: "p3", Kind: "message", Mine: true, Sender: me, Body: "cui", SentAt: t0,
			Status: chat.StatusQuarantined, StatusDetail: "Held until a compliance officer confirms."})
	h := s.Handler()
	page := do(t, h, "GET", "/inbox/c/c1", nil, "").Body.String()
	for _, want := range []string{"Not sent: Never send credentials by message.", "Not sent yet: This message contains bank account details.",
		"Held for compliance review: Held until a compliance officer confirms.", `action="/inbox/c/c1/confirm"`, `value="p2"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the conversation page lacks %q", want)
		}
	}
	if strings.Count(page, `class="confirm-form"`) != 1 {
		t.Errorf("want exactly one confirm form (for the warned message)")
	}
	if w := postForm(t, h, "/inbox/c/c1/confirm", url.Values{"record_id": {"p2"}, "justification": {"Vendor's verified account"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("confirm: %d %s", w.Code, w.Body.String())
	}
	if w := postForm(t, h, "/inbox/c/c1/confirm", url.Values{"record_id": {"p2"}, "justification": {" "}}, fromScript); w.Code != 400 {
		t.Errorf("confirm without a justification: %d", w.Code)
	}
	if len(fb.confirmed) != 1 || fb.confirmed[0] != "p2:Vendor's verified account" {
		t.Errorf("confirmed: %v", fb.confirmed)
	}
}

func TestReactDelete(t *testing.T) {
	s, fb, _ := newServer(t)
	h := s.Handler()
	w := postForm(t, h, "/inbox/c/c1/react", url.Values{"record_id": {"m1"}, "emoji": {"👍"}, "remove": {"1"}}, fromScript)
	if w.Code != 200 {
		t.Fatalf("react: %d %s", w.Code, w.Body.String())
	}
	w = postForm(t, h, "/inbox/c/c1/react", url.Values{"record_id": {"m1"}, "emoji": {"❤️"}, "remove": {"0"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/inbox/c/c1#m-m1" {
		t.Errorf("react form: %d %q", w.Code, w.Header().Get("Location"))
	}
	if strings.Join(fb.reactions, ",") != "m1-👍,m1+❤️" {
		t.Errorf("reactions %v", fb.reactions)
	}
	for _, bad := range []string{"", "abc", "<b>", strings.Repeat("👍", 10)} {
		if w := postForm(t, h, "/inbox/c/c1/react", url.Values{"record_id": {"m1"}, "emoji": {bad}}, fromScript); w.Code != 400 {
			t.Errorf("emoji %q: %d", bad, w.Code)
		}
	}
	w = postForm(t, h, "/inbox/c/c1/delete", url.Values{"record_id": {"m2"}}, fromScript)
	if w.Code != 200 || len(fb.deleted) != 1 || fb.deleted[0] != "m2" {
		t.Errorf("delete: %d %v", w.Code, fb.deleted)
	}
	if w := postForm(t, h, "/inbox/c/c1/delete", url.Values{}, fromScript); w.Code != 400 {
		t.Errorf("delete without record: %d", w.Code)
	}
}

func TestAddContact(t *testing.T) {
	s, fb, _ := newServer(t)
	h := s.Handler()
	w := postForm(t, h, "/inbox/contacts", url.Values{"address": {" +15550009 "}, "display_name": {"Riley"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/inbox/c/conv-k9" {
		t.Fatalf("add: %d %q", w.Code, w.Header().Get("Location"))
	}
	if c := fb.contacts[len(fb.contacts)-1]; c.Address != "+15550009" || c.DisplayName != "Riley" || c.Channel != "signal" {
		t.Errorf("added %+v", c)
	}

	fb.addErr = steward.E(steward.Op("chat.AddContact"), steward.Conflict, "A consent request to +15550001 is already pending.")
	w = postForm(t, h, "/inbox/contacts", url.Values{"address": {"+15550001"}, "display_name": {"Jordan <b>"}})
	if w.Code != http.StatusConflict {
		t.Fatalf("conflict: %d", w.Code)
	}
	mustContain(t, w.Body.String(), "already pending", `id="add-contact-error"`, `value="&#43;15550001"`, `value="Jordan &lt;b&gt;"`)

	if w := postForm(t, h, "/inbox/contacts/k1/open", nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/inbox/c/conv-k1" {
		t.Errorf("open: %d %q", w.Code, w.Header().Get("Location"))
	}
}

func TestGroups(t *testing.T) {
	s, fb, _ := newServer(t)
	h := s.Handler()
	w := postForm(t, h, "/inbox/groups", url.Values{"title": {"Project"}, "members": {"+15550003", "+15550001", "+15550003"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/inbox/c/g1" {
		t.Fatalf("group: %d %q", w.Code, w.Header().Get("Location"))
	}
	if g := fb.groups[0]; g.Title != "Project" || strings.Join(g.Add, ",") != "+15550003,+15550001" {
		t.Errorf("group %+v", g)
	}
	w = postForm(t, h, "/inbox/groups", url.Values{"title": {""}, "members": {"+15550003"}})
	if w.Code != 400 || !strings.Contains(w.Body.String(), "Give the group a name.") || !strings.Contains(w.Body.String(), `value="&#43;15550003" checked`) {
		t.Errorf("untitled group: %d", w.Code)
	}
	w = postForm(t, h, "/inbox/c/c1/members", url.Values{"add": {"+15550002"}, "remove": {"+15550003"}, "admins": {"+15550001"}})
	if w.Code != http.StatusSeeOther || len(fb.updates) != 1 || fb.updates[0].Add[0] != "+15550002" || fb.updates[0].Remove[0] != "+15550003" {
		t.Errorf("members: %d %+v", w.Code, fb.updates)
	}
	if w := postForm(t, h, "/inbox/c/c1/members", nil); w.Code != 400 {
		t.Errorf("empty members change: %d", w.Code)
	}
}

func TestAttachments(t *testing.T) {
	s, _, _ := newServer(t)
	h := s.Handler()

	w := do(t, h, "GET", "/inbox/a/img1", nil, "")
	if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), pngBytes) {
		t.Fatalf("download: %d", w.Code)
	}
	if got := w.Header().Get("Content-Disposition"); got != `attachment; filename=photo.png` {
		t.Errorf("disposition %q", got)
	}
	if !strings.HasSuffix(w.Header().Get("Content-Security-Policy"), "; sandbox") || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("download headers %v", w.Header())
	}

	// Active content is only ever bytes to save, with a clean name.
	w = do(t, h, "GET", "/inbox/a/doc1", nil, "")
	if ct := w.Header().Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("html download type %q", ct)
	}
	if got := w.Header().Get("Content-Disposition"); !strings.HasPrefix(got, "attachment; ") || strings.Contains(got, "..") || strings.Contains(got, "/") {
		t.Errorf("disposition %q", got)
	}

	w = do(t, h, "GET", "/inbox/a/img1/preview", nil, "")
	if w.Code != 200 || w.Header().Get("Content-Type") != "image/png" || !strings.HasPrefix(w.Header().Get("Content-Disposition"), "inline") {
		t.Errorf("preview: %d %v", w.Code, w.Header())
	}
	// Not an image type, or bytes that are not the image they claim: no preview.
	for _, id := range []string{"doc1", "fake"} {
		if w := do(t, h, "GET", "/inbox/a/"+id+"/preview", nil, ""); w.Code != 400 {
			t.Errorf("preview %s: %d", id, w.Code)
		}
	}
	if w := do(t, h, "GET", "/inbox/a/none", nil, ""); w.Code != 404 {
		t.Errorf("missing attachment: %d", w.Code)
	}
}

func TestLinkPage(t *testing.T) {
	s, fb, _ := newServer(t)
	h := s.Handler()
	w := do(t, h, "GET", "/inbox/link/i2", nil, "")
	if w.Code != 200 {
		t.Fatalf("link: %d %s", w.Code, w.Body.String())
	}
	m := regexp.MustCompile(`src="(data:image/png;base64,[^"]+)"`).FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no QR data URI in %s", w.Body.String())
	}
	png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(html.UnescapeString(m[1]), "data:image/png;base64,"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("QR is not a PNG: %v", err)
	}
	mustContain(t, w.Body.String(), `data-status-url="/inbox/link/i2/status"`, "&#43;15558888")

	if w := do(t, h, "GET", "/inbox/link/nope", nil, ""); w.Code != 404 {
		t.Errorf("unknown identity: %d", w.Code)
	}

	var st struct {
		State  string `json:"state"`
		Linked bool   `json:"linked"`
	}
	w = do(t, h, "GET", "/inbox/link/i2/status", nil, "", fromScript)
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil || st.State != "waiting" || st.Linked {
		t.Errorf("status %s", w.Body.String())
	}
	fb.linkState = "linked"
	w = do(t, h, "GET", "/inbox/link/i2/status", nil, "", fromScript)
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil || !st.Linked {
		t.Errorf("status %s", w.Body.String())
	}
}

func TestEventStream(t *testing.T) {
	s, fb, ts := newServer(t)
	s.keepAlive = 30 * time.Millisecond
	s.recheck = 20 * time.Millisecond
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/inbox/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	req.AddCookie(&http.Cookie{Name: cookieName, Value: goodSession})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("events: %d %v", resp.StatusCode, resp.Header)
	}

	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	next := func() (string, bool) {
		select {
		case l, ok := <-lines:
			return l, ok
		case <-time.After(5 * time.Second):
			t.Fatal("stream stalled")
			return "", false
		}
	}

	fb.events <- chat.Event{Type: "message", ConversationID: "c1", RecordID: "m9"}
	var sawEvent, sawData, sawKeepAlive bool
	for !(sawEvent && sawData && sawKeepAlive) {
		l, ok := next()
		if !ok {
			t.Fatal("stream ended early")
		}
		switch {
		case l == "event: message":
			sawEvent = true
		case strings.HasPrefix(l, "data: "):
			var ev chat.Event
			if err := json.Unmarshal([]byte(strings.TrimPrefix(l, "data: ")), &ev); err != nil || ev.RecordID != "m9" || ev.ConversationID != "c1" {
				t.Errorf("data line %q", l)
			}
			sawData = true
		case l == ": keep-alive":
			sawKeepAlive = true
		}
	}

	// Revoking the token ends the stream and the subscription.
	ts.revoke(goodSecret)
	for {
		if _, ok := next(); !ok {
			break
		}
	}
	select {
	case <-fb.unsubscribe:
	case <-time.After(5 * time.Second):
		t.Error("subscription not cancelled")
	}
}

func TestStatusTable(t *testing.T) {
	if statusOf(steward.E(steward.ConsentRequired, "x")) != http.StatusConflict || statusOf(errors.New("raw")) != 500 {
		t.Error("status table")
	}
}

func TestRoutes(t *testing.T) {
	public := 0
	for p, auth := range Routes() {
		if !auth {
			public++
			if !strings.HasPrefix(p, "GET /inbox/login") && !strings.HasPrefix(p, "POST /inbox/login") && !strings.HasPrefix(p, "GET /inbox/static/") &&
				!strings.HasPrefix(p, "GET /inbox/auth/") {
				t.Errorf("%s is public", p)
			}
		}
	}
	if public != 6 {
		t.Errorf("%d public routes", public)
	}
}

func TestHelpers(t *testing.T) {
	for in, want := range map[string]string{"../../etc/passwd": "passwd", `C:\x\y.doc`: "y.doc", "a\x00b.txt": "ab.txt", " .hidden. ": "hidden"} {
		if got := cleanFilename(in); got != want {
			t.Errorf("cleanFilename(%q) = %q, want %q", in, got, want)
		}
	}
	if got := disposition("attachment", "ré port.pdf"); got != "attachment; filename*=utf-8''r%C3%A9%20port.pdf" {
		t.Errorf("disposition = %q", got)
	}
	r := httptest.NewRequest("POST", "http://steward.example/inbox/x", nil)
	r.Header.Set("Origin", "https://STEWARD.example")
	if !isSameOrigin(r) {
		t.Error("origin host match is case-insensitive")
	}
}
