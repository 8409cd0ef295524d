package web

import (
	"context"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/steward-gov/steward/internal/oidc"
	"github.com/steward-gov/steward/internal/steward"
)

// auditLog records what Server.Audit is given.
type auditLog struct {
	mu      sync.Mutex
	entries []auditEntry
	fail    error
}

type auditEntry struct {
	actor, action, subject string
	details                map[string]any
}

func (a *auditLog) record(ctx context.Context, actor, action, subject string, details map[string]any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail != nil {
		return a.fail
	}
	a.entries = append(a.entries, auditEntry{actor, action, subject, details})
	return nil
}

// last returns the newest entry with this action.
func (a *auditLog) last(t *testing.T, action string) auditEntry {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.entries) - 1; i >= 0; i-- {
		if a.entries[i].action == action {
			return a.entries[i]
		}
	}
	t.Fatalf("no %s audit entry in %+v", action, a.entries)
	return auditEntry{}
}

func (a *auditLog) count(action string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, e := range a.entries {
		if e.action == action {
			n++
		}
	}
	return n
}

// testClock is a settable clock for Server.now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock { return &testClock{t: time.Now()} }

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// browser is an http.Client with a cookie jar that follows redirects, and
// remembers every Set-Cookie it received.
type browser struct {
	*http.Client
	t       *testing.T
	origin  string
	mu      sync.Mutex
	cookies []*http.Cookie
}

type recordingTransport struct{ b *browser }

func (rt recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		rt.b.mu.Lock()
		rt.b.cookies = append(rt.b.cookies, resp.Cookies()...)
		rt.b.mu.Unlock()
	}
	return resp, err
}

func newBrowser(t *testing.T, origin string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, origin: origin}
	b.Client = &http.Client{Jar: jar, Transport: recordingTransport{b}, Timeout: 10 * time.Second}
	return b
}

// setCookie returns the last Set-Cookie for name.
func (b *browser) setCookie(name string) *http.Cookie {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.cookies) - 1; i >= 0; i-- {
		if b.cookies[i].Name == name {
			return b.cookies[i]
		}
	}
	return nil
}

func (b *browser) session() string {
	c := b.setCookie(cookieName)
	if c == nil || c.MaxAge < 0 {
		return ""
	}
	return c.Value
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = b.origin + path
	}
	resp, err := b.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.origin+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "null")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// refresh follows the page's meta refresh, as a browser does.
func (b *browser) refresh(body string) (*http.Response, string) {
	b.t.Helper()
	m := regexp.MustCompile(`<meta http-equiv="refresh" content="0;url=([^"]+)">`).FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no meta refresh in %s", body)
	}
	return b.get(html.UnescapeString(m[1]))
}

// oidcFixture is an inbox on a real listener with an in-process OpenID
// provider (mockoidc) configured as its identity provider.
type oidcFixture struct {
	srv   *httptest.Server
	s     *Server
	idp   *mockoidc.MockOIDC
	acc   *memAccounts
	audit *auditLog
	fb    *fakeBackend
}

func newOIDCFixture(t *testing.T) *oidcFixture {
	t.Helper()
	s, fb, _, acc := newServerAccounts(t)
	f := &oidcFixture{s: s, acc: acc, fb: fb, audit: &auditLog{}}
	s.Secure = false // plain http in this test
	s.LocalLogin = true
	s.Audit = f.audit.record
	acc.addEmployee(steward.Employee{ID: "e2", UserName: "lee", Email: "lee@example.gov", Active: false})
	acc.addEmployee(steward.Employee{ID: "e3", UserName: "sam", Email: "Sam.Ortiz@Example.gov", Active: true})

	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	f.idp = m

	mux := http.NewServeMux()
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	cfg := m.Config()
	rp, err := oidc.New(context.Background(), oidc.Config{Issuer: cfg.Issuer, ClientID: cfg.ClientID,
		ClientSecret: cfg.ClientSecret, RedirectURL: f.srv.URL + "/inbox/auth/callback"})
	if err != nil {
		t.Fatal(err)
	}
	s.OIDC = rp
	mux.Handle("/inbox/", s.Handler())
	return f
}

func (f *oidcFixture) user(email string) {
	f.idp.QueueUser(&mockoidc.MockUser{Subject: "sub-" + email, Email: email, EmailVerified: true})
}

// signIn runs the whole browser flow: the sign-in page, the button, the
// provider, the callback, and the page that continues to the inbox.
func (f *oidcFixture) signIn(t *testing.T, b *browser, next string) (*http.Response, string) {
	t.Helper()
	resp, body := b.get("/inbox/login?next=" + url.QueryEscape(next))
	if resp.StatusCode != 200 {
		t.Fatalf("login page: %d", resp.StatusCode)
	}
	m := regexp.MustCompile(`id="signin-oidc" class="[^"]*" href="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no organization sign-in button in %s", body)
	}
	return b.get(html.UnescapeString(m[1]))
}

func TestOIDCSignIn(t *testing.T) {
	f := newOIDCFixture(t)
	b := newBrowser(t, f.srv.URL)

	// The sign-in page offers the organization; local sign-in is off
	// because an identity provider is configured, whatever LocalLogin says.
	resp, body := b.get("/inbox/login")
	mustContain(t, body, "Sign in with your organization", `id="signin-oidc"`, `id="login-form"`)
	mustNotContain(t, body, `id="local-form"`, "Local sign-in")
	resp, body = b.post("/inbox/login/local", url.Values{"user": {"pat@example.gov"}, "password": {"correct horse battery"}})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("local sign-in with OIDC configured: %d", resp.StatusCode)
	}

	// The whole flow, matching the claim to the employee whatever its case.
	f.user("PAT@Example.GOV")
	resp, body = f.signIn(t, b, "/inbox/c/c1")
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/inbox/auth/callback" {
		t.Fatalf("callback: %d %s", resp.StatusCode, resp.Request.URL)
	}
	mustContain(t, body, "You are signed in", `href="/inbox/c/c1"`)
	c := b.setCookie(cookieName)
	if c == nil || !strings.HasPrefix(c.Value, "stws_") || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/inbox" || c.Secure {
		t.Fatalf("session cookie = %+v", c)
	}
	if fc := b.setCookie(oidc.FlowCookie); fc == nil || fc.MaxAge >= 0 {
		t.Errorf("flow cookie not cleared: %+v", fc)
	}
	resp, body = b.refresh(body)
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/inbox/c/c1" {
		t.Fatalf("inbox: %d %s", resp.StatusCode, resp.Request.URL)
	}
	mustContain(t, body, "Pat Doe", `id="messages"`)

	sess, err := f.acc.SessionByHash(context.Background(), steward.HashTokenSecret(b.session()))
	if err != nil || sess.Method != steward.SessionOIDC || sess.EmployeeID != "e1" || sess.TokenID != "" ||
		sess.IdleTimeout != 30*time.Minute || sess.ExpiresAt.Sub(sess.CreatedAt) != 12*time.Hour {
		t.Fatalf("session = %+v, %v", sess, err)
	}
	e := f.audit.last(t, "inbox.signin")
	if e.actor != "employee:e1" || e.subject != "employee:e1" || e.details["method"] != "oidc" ||
		e.details["claim"] != "PAT@Example.GOV" || e.details["session_id"] != sess.ID {
		t.Errorf("sign-in audit = %+v", e)
	}

	// Signed in, the login page goes straight on.
	resp, _ = b.get("/inbox/login")
	if resp.Request.URL.Path != "/inbox/" {
		t.Errorf("login page when signed in ended at %s", resp.Request.URL)
	}

	// Sign-out ends the session on the server: the old cookie is worthless.
	old := b.session()
	resp, body = b.post("/inbox/logout", nil)
	if resp.Request.URL.Path != "/inbox/login" {
		t.Fatalf("logout ended at %s", resp.Request.URL)
	}
	if _, err := f.acc.SessionByHash(context.Background(), steward.HashTokenSecret(old)); !steward.Is(steward.NotFound, err) {
		t.Errorf("session after logout: %v", err)
	}
	w := do(t, f.s.Handler(), "GET", "/inbox/", nil, "", withCookie(old))
	if w.Code != http.StatusSeeOther {
		t.Errorf("old cookie after logout: %d", w.Code)
	}
	if e := f.audit.last(t, "inbox.signout"); e.actor != "employee:e1" || e.details["session_id"] != sess.ID {
		t.Errorf("sign-out audit = %+v", e)
	}

	// An employee matched by email rather than user name.
	f.user("sam.ortiz@example.gov")
	resp, body = f.signIn(t, b, "/inbox/")
	if resp.StatusCode != 200 {
		t.Fatalf("sign-in by email: %d %s", resp.StatusCode, body)
	}
	sess, err = f.acc.SessionByHash(context.Background(), steward.HashTokenSecret(b.session()))
	if err != nil || sess.EmployeeID != "e3" {
		t.Errorf("session by email = %+v, %v", sess, err)
	}
}

func TestOIDCRefused(t *testing.T) {
	f := newOIDCFixture(t)
	ctx := context.Background()
	before := f.acc.count("")

	// Unknown and inactive people signed in at the provider, but have no
	// inbox here.
	for _, email := range []string{"nobody@example.gov", "lee@example.gov"} {
		b := newBrowser(t, f.srv.URL)
		f.user(email)
		resp, body := f.signIn(t, b, "/inbox/")
		if resp.StatusCode != http.StatusUnauthorized || b.session() != "" {
			t.Errorf("%s: %d, session %q", email, resp.StatusCode, b.session())
		}
		mustContain(t, body, "has no active Steward inbox", `id="login-error"`)
		e := f.audit.last(t, "inbox.signin.failed")
		if e.actor != "anonymous" || e.subject != "oidc:"+email || e.details["method"] != "oidc" {
			t.Errorf("%s: failure audit = %+v", email, e)
		}
	}

	// A callback with another state, or a code used before, is refused.
	b := newBrowser(t, f.srv.URL)
	noCallback := *b.Client
	var callback string
	noCallback.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/inbox/auth/callback" {
			callback = req.URL.String()
			return http.ErrUseLastResponse
		}
		return nil
	}
	start := func() string {
		callback = ""
		resp, err := noCallback.Get(f.srv.URL + "/inbox/auth/oidc")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if callback == "" {
			t.Fatalf("the provider did not redirect back: %d", resp.StatusCode)
		}
		return callback
	}
	f.user("pat@example.gov")
	cb := start()
	u, _ := url.Parse(cb)
	q := u.Query()
	q.Set("state", "forged")
	u.RawQuery = q.Encode()
	resp, body := b.get(u.String())
	if resp.StatusCode != http.StatusUnauthorized || b.session() != "" {
		t.Errorf("wrong state: %d", resp.StatusCode)
	}
	mustContain(t, body, "does not belong to this browser")

	f.user("pat@example.gov")
	cb = start()
	if resp, _ := b.get(cb); resp.StatusCode != 200 || b.session() == "" {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	first := b.session()
	resp, _ = b.get(cb) // the same callback again
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("replayed callback: %d", resp.StatusCode)
	}
	fresh, _ := url.Parse(start())
	q = fresh.Query()
	q.Set("code", mustParam(t, cb, "code"))
	fresh.RawQuery = q.Encode()
	resp, body = b.get(fresh.String()) // the used code inside a new flow
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("replayed code: %d", resp.StatusCode)
	}
	mustContain(t, body, "did not accept this sign-in")
	if got := f.acc.count(""); got != before+1 {
		t.Errorf("%d sessions, want %d: only the one good sign-in made one", got, before+1)
	}
	if _, err := f.acc.SessionByHash(ctx, steward.HashTokenSecret(first)); err != nil {
		t.Errorf("a refused sign-in ended the earlier session: %v", err)
	}
	if n := f.audit.count("inbox.signin.failed"); n != 5 {
		t.Errorf("%d failure audits, want 5", n)
	}

	// Without an identity provider the routes are not there.
	f.s.OIDC = nil
	h := f.s.Handler()
	for _, p := range []string{"/inbox/auth/oidc", "/inbox/auth/callback?code=x&state=y"} {
		if w := do(t, h, "GET", p, nil, "", noCookie); w.Code != http.StatusNotFound {
			t.Errorf("%s without OIDC: %d", p, w.Code)
		}
	}
	w := do(t, h, "GET", "/inbox/login", nil, "", noCookie)
	mustNotContain(t, w.Body.String(), "Sign in with your organization")
}

func mustParam(t *testing.T, u, key string) string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil || pu.Query().Get(key) == "" {
		t.Fatalf("%q has no %s", u, key)
	}
	return pu.Query().Get(key)
}

// signInToken signs in with goodSecret and returns the session's secret.
func signInToken(t *testing.T, h http.Handler) string {
	t.Helper()
	w := postForm(t, h, "/inbox/login", url.Values{"token": {goodSecret}}, noCookie)
	cs := w.Result().Cookies()
	if w.Code != http.StatusSeeOther || len(cs) != 1 || cs[0].Name != cookieName {
		t.Fatalf("token sign-in: %d %v", w.Code, cs)
	}
	return cs[0].Value
}

func TestTokenSession(t *testing.T) {
	s, _, ts, acc := newServerAccounts(t)
	audit := &auditLog{}
	s.Audit = audit.record
	h := s.Handler()
	secret := signInToken(t, h)
	sess, err := acc.SessionByHash(context.Background(), steward.HashTokenSecret(secret))
	if err != nil || sess.Method != steward.SessionToken || sess.TokenID != "t1" || sess.EmployeeID != "e1" {
		t.Fatalf("token session = %+v, %v", sess, err)
	}
	if e := audit.last(t, "inbox.signin"); e.details["method"] != "token" || e.details["token_id"] != "t1" {
		t.Errorf("audit = %+v", e)
	}
	if w := do(t, h, "GET", "/inbox/", nil, "", withCookie(secret)); w.Code != 200 {
		t.Fatalf("home: %d", w.Code)
	}
	// A failed token sign-in is audited without the secret.
	postForm(t, h, "/inbox/login", url.Values{"token": {"stw_wrong"}}, noCookie)
	if e := audit.last(t, "inbox.signin.failed"); e.details["method"] != "token" || strings.Contains(strings.ToLower(fmtDetails(e)), "stw_wrong") {
		t.Errorf("failure audit = %+v", e)
	}

	// Revoking the token ends the session on the next request, and the
	// session is gone from the store.
	ts.revoke(goodSecret)
	w := do(t, h, "GET", "/inbox/", nil, "", withCookie(secret))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/inbox/login" {
		t.Errorf("after revocation: %d %q", w.Code, w.Header().Get("Location"))
	}
	if _, err := acc.SessionByHash(context.Background(), steward.HashTokenSecret(secret)); !steward.Is(steward.NotFound, err) {
		t.Errorf("session after revocation: %v", err)
	}
}

func fmtDetails(e auditEntry) string {
	var b strings.Builder
	b.WriteString(e.actor + " " + e.subject)
	for k, v := range e.details {
		b.WriteString(" " + k + "=")
		if s, ok := v.(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

func TestSignInAuditRequired(t *testing.T) {
	s, _, _, acc := newServerAccounts(t)
	audit := &auditLog{fail: errors.New("log is full")}
	s.Audit = audit.record
	before := acc.count("e1")
	w := postForm(t, s.Handler(), "/inbox/login", url.Values{"token": {goodSecret}}, noCookie)
	if w.Code != http.StatusServiceUnavailable || len(w.Result().Cookies()) != 0 {
		t.Errorf("sign-in without audit: %d %v", w.Code, w.Result().Cookies())
	}
	mustContain(t, w.Body.String(), "could not be recorded")
	if acc.count("e1") != before {
		t.Error("a session was left behind")
	}
	// Sign-out still works when its audit fails.
	w = postForm(t, s.Handler(), "/inbox/logout", nil)
	if w.Code != http.StatusSeeOther || acc.count("e1") != before-1 {
		t.Errorf("logout without audit: %d, %d sessions", w.Code, acc.count("e1"))
	}
}

func TestSessionTimeouts(t *testing.T) {
	s, _, _, acc := newServerAccounts(t)
	clk := newClock()
	s.now = clk.now
	h := s.Handler()
	home := func(secret string) int { return do(t, h, "GET", "/inbox/", nil, "", withCookie(secret)).Code }

	// Idle: each request keeps the session alive for another 30 minutes.
	secret := signInToken(t, h)
	for range 4 {
		clk.advance(29 * time.Minute)
		if c := home(secret); c != 200 {
			t.Fatalf("active session: %d", c)
		}
	}
	clk.advance(30 * time.Minute)
	if c := home(secret); c != http.StatusSeeOther {
		t.Errorf("idle session: %d", c)
	}
	if _, err := acc.SessionByHash(context.Background(), steward.HashTokenSecret(secret)); !steward.Is(steward.NotFound, err) {
		t.Errorf("idle session left in the store: %v", err)
	}
	// Requests closer together than a minute are not written.
	secret = signInToken(t, h)
	touches := acc.touches
	for range 5 {
		clk.advance(10 * time.Second)
		home(secret)
	}
	if acc.touches != touches {
		t.Errorf("%d touches for requests within a minute", acc.touches-touches)
	}

	// Absolute: however active, the session ends 12 hours after sign-in.
	secret = signInToken(t, h)
	for i := 1; i <= 35; i++ {
		clk.advance(20 * time.Minute) // 11 h 40 min
		if c := home(secret); c != 200 {
			t.Fatalf("after %d min: %d", 20*i, c)
		}
	}
	clk.advance(20 * time.Minute)
	if c := home(secret); c != http.StatusSeeOther {
		t.Errorf("after 12 h: %d", c)
	}

	// Both are configurable.
	s.IdleTimeout, s.SessionLifetime = 5*time.Minute, time.Hour
	secret = signInToken(t, h)
	clk.advance(4 * time.Minute)
	if c := home(secret); c != 200 {
		t.Fatalf("4 min: %d", c)
	}
	clk.advance(5 * time.Minute)
	if c := home(secret); c != http.StatusSeeOther {
		t.Errorf("5 min idle: %d", c)
	}
	secret = signInToken(t, h)
	for range 15 {
		clk.advance(4 * time.Minute)
		home(secret)
	}
	if c := home(secret); c != http.StatusSeeOther {
		t.Errorf("an hour: %d", c)
	}
	// A data request of a timed-out session gets 401.
	if w := do(t, h, "GET", "/inbox/lists", nil, "", withCookie(secret)); w.Code != http.StatusUnauthorized {
		t.Errorf("lists: %d", w.Code)
	}
}

func TestDeactivationSignsOut(t *testing.T) {
	s, _, _, acc := newServerAccounts(t)
	h := s.Handler()
	a, b := signInToken(t, h), signInToken(t, h)
	if c := do(t, h, "GET", "/inbox/", nil, "", withCookie(a)).Code; c != 200 {
		t.Fatalf("home: %d", c)
	}
	acc.setActive("e1", false)
	w := do(t, h, "GET", "/inbox/", nil, "", withCookie(a))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/inbox/login" {
		t.Errorf("deactivated: %d %q", w.Code, w.Header().Get("Location"))
	}
	// Every session of the employee went at once, not only the one used.
	if n := acc.count("e1"); n != 0 {
		t.Errorf("%d sessions left", n)
	}
	// Reactivation restores access, not the old sessions.
	acc.setActive("e1", true)
	if c := do(t, h, "GET", "/inbox/", nil, "", withCookie(b)).Code; c != http.StatusSeeOther {
		t.Errorf("old session after reactivation: %d", c)
	}
	if c := do(t, h, "GET", "/inbox/", nil, "", withCookie(signInToken(t, h))).Code; c != 200 {
		t.Errorf("new sign-in after reactivation: %d", c)
	}

	// A deleted employee likewise.
	secret := signInToken(t, h)
	acc.mu.Lock()
	now := time.Now()
	acc.employees["e1"].DeletedAt = &now
	acc.mu.Unlock()
	if c := do(t, h, "GET", "/inbox/c/c1/messages", nil, "", withCookie(secret)).Code; c != http.StatusUnauthorized {
		t.Errorf("deleted: %d", c)
	}
}

func TestEventStreamEndsOnDeactivation(t *testing.T) {
	s, fb, _, acc := newServerAccounts(t)
	s.recheck = 10 * time.Millisecond
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
	if resp.StatusCode != 200 {
		t.Fatalf("events: %d", resp.StatusCode)
	}
	acc.setActive("e1", false)
	start := time.Now()
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, resp.Body); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("stream outlived the deactivation")
	}
	select {
	case <-fb.unsubscribe:
	case <-time.After(5 * time.Second):
		t.Error("subscription not cancelled")
	}
	t.Logf("stream ended %v after deactivation", time.Since(start))
}

func TestLocalSignIn(t *testing.T) {
	s, _, _, acc := newServerAccounts(t)
	audit := &auditLog{}
	s.Audit, s.LocalLogin = audit.record, true
	clk := newClock()
	s.now = clk.now
	h := s.Handler()
	ctx := context.Background()
	const password = "correct horse battery staple"
	must(t, steward.SetLocalPassword(ctx, acc, "e1", password, clk.now()))
	acc.addEmployee(steward.Employee{ID: "e2", UserName: "lee@example.gov", Active: false})
	must(t, steward.SetLocalPassword(ctx, acc, "e2", password, clk.now()))

	w := do(t, h, "GET", "/inbox/login", nil, "", noCookie)
	mustContain(t, w.Body.String(), `id="local-form"`, "Local sign-in", "(for demos and small installations without an identity provider)",
		`autocomplete="current-password"`, `id="token-signin"`)
	mustNotContain(t, w.Body.String(), "Sign in with your organization")

	from := func(ip string) reqOpt { return func(r *http.Request) { r.RemoteAddr = ip + ":5555" } }
	try := func(user, pw string, opts ...reqOpt) *httptest.ResponseRecorder {
		return postForm(t, h, "/inbox/login/local", url.Values{"user": {user}, "password": {pw}, "next": {"/inbox/c/c1"}},
			append([]reqOpt{noCookie}, opts...)...)
	}

	// Success, with the user name in any case.
	w = try("PAT@example.gov", password)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/inbox/c/c1" {
		t.Fatalf("local sign-in: %d %q %s", w.Code, w.Header().Get("Location"), w.Body.String())
	}
	cs := w.Result().Cookies()
	sess, err := acc.SessionByHash(ctx, steward.HashTokenSecret(cs[0].Value))
	if err != nil || sess.Method != steward.SessionLocal || sess.EmployeeID != "e1" {
		t.Fatalf("local session = %+v, %v", sess, err)
	}
	if e := audit.last(t, "inbox.signin"); e.details["method"] != "local" || e.details["user"] != "PAT@example.gov" {
		t.Errorf("audit = %+v", e)
	}

	// A wrong password, an unknown user, an inactive employee and an
	// employee without a password all read the same.
	acc.addEmployee(steward.Employee{ID: "e3", UserName: "sam@example.gov", Active: true})
	var msgs []string
	for _, tc := range [][2]string{{"pat@example.gov", "wrong password!"}, {"nobody@example.gov", password},
		{"lee@example.gov", password}, {"sam@example.gov", password}, {"", ""}} {
		w := try(tc[0], tc[1], from("192.0.2.1"))
		if w.Code != http.StatusUnauthorized || len(w.Result().Cookies()) != 0 {
			t.Errorf("%v: %d", tc, w.Code)
		}
		m := regexp.MustCompile(`id="login-error">([^<]*)<`).FindStringSubmatch(w.Body.String())
		if m == nil {
			t.Fatalf("%v: no error shown", tc)
		}
		msgs = append(msgs, m[1])
		if e := audit.last(t, "inbox.signin.failed"); strings.Contains(fmtDetails(e), tc[1]) && tc[1] != "" {
			t.Errorf("the password is in the audit record: %+v", e)
		}
	}
	// A name that is nobody's (perhaps a password typed in the wrong
	// field) is not recorded; an employee's is.
	try("correct horse battery staple", "x", from("192.0.2.2"))
	if e := audit.last(t, "inbox.signin.failed"); e.subject != "user:unknown" || strings.Contains(fmtDetails(e), "horse") {
		t.Errorf("unknown name recorded: %+v", e)
	}
	try("pat@example.gov", "x", from("192.0.2.2"))
	if e := audit.last(t, "inbox.signin.failed"); e.subject != "employee:e1" || e.details["user"] != "pat@example.gov" {
		t.Errorf("known name: %+v", e)
	}
	for _, m := range msgs {
		if m != msgs[0] {
			t.Errorf("refusals differ: %q", msgs)
			break
		}
	}

	// Five failures for one user from one address: the sixth try is
	// refused even with the right password, until 15 minutes pass. Other
	// addresses are not affected, and success clears the count.
	for i := range 5 {
		if w := try("pat@example.gov", "wrong password!", from("198.51.100.7")); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, w.Code)
		}
	}
	w = try("pat@example.gov", password, from("198.51.100.7"))
	if w.Code != http.StatusTooManyRequests || len(w.Result().Cookies()) != 0 {
		t.Errorf("sixth try: %d", w.Code)
	}
	mustContain(t, w.Body.String(), "Too many failed sign-ins")
	if e := audit.last(t, "inbox.signin.failed"); e.details["limited"] != true {
		t.Errorf("limited audit = %+v", e)
	}
	if w := try("pat@example.gov", password, from("203.0.113.9")); w.Code != http.StatusSeeOther {
		t.Errorf("another address: %d", w.Code)
	}
	clk.advance(15 * time.Minute)
	if w := try("pat@example.gov", password, from("198.51.100.7")); w.Code != http.StatusSeeOther {
		t.Errorf("after the window: %d", w.Code)
	}
	for range 4 {
		try("pat@example.gov", "wrong password!", from("198.51.100.8"))
	}
	try("pat@example.gov", password, from("198.51.100.8"))
	for range 4 {
		try("pat@example.gov", "wrong password!", from("198.51.100.8"))
	}
	if w := try("pat@example.gov", password, from("198.51.100.8")); w.Code != http.StatusSeeOther {
		t.Errorf("success did not clear the count: %d", w.Code)
	}

	// Off unless enabled.
	s.LocalLogin = false
	h = s.Handler()
	if w := postForm(t, h, "/inbox/login/local", url.Values{"user": {"pat@example.gov"}, "password": {password}}, noCookie); w.Code != http.StatusNotFound {
		t.Errorf("disabled: %d", w.Code)
	}
	w = do(t, h, "GET", "/inbox/login", nil, "", noCookie)
	mustNotContain(t, w.Body.String(), `id="local-form"`, `id="token-signin"`)
	mustContain(t, w.Body.String(), `id="login-form"`)
}

func TestLimiterMemory(t *testing.T) {
	l := &attemptLimiter{failures: map[string][]time.Time{}}
	t0 := time.Now()
	for i := range maxTracked {
		l.fail("k"+string(rune(i)), t0)
	}
	l.fail("last", t0.Add(failureWindow))
	if len(l.failures) != 1 {
		t.Errorf("%d keys kept after the window", len(l.failures))
	}
}
