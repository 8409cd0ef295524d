package oidc_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/steward-gov/steward/internal/oidc"
	"github.com/steward-gov/steward/internal/steward"
)

// idp is an OpenID provider (mockoidc) on a real listener, with a record
// of the authorization requests it received.
type idp struct {
	*mockoidc.MockOIDC
	mu        sync.Mutex
	authorize []url.Values
	rewrite   func(q url.Values) // edits the next authorization request
	// endSession, when set, is added to the discovery document as its
	// end_session_endpoint (mockoidc's has none).
	endSession string
}

func startIdP(t *testing.T) *idp {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{MockOIDC: m}
	err = m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.mu.Lock()
			end := p.endSession
			p.mu.Unlock()
			if end != "" && strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration") {
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				var doc map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
					t.Errorf("discovery: %v", err)
				}
				doc["end_session_endpoint"] = end
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(doc)
				return
			}
			if r.URL.Path == mockoidc.AuthorizationEndpoint {
				q := r.URL.Query()
				p.mu.Lock()
				p.authorize = append(p.authorize, q)
				if p.rewrite != nil {
					p.rewrite(q)
					p.rewrite = nil
					r.URL.RawQuery = q.Encode()
				}
				p.mu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
	})
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
	return p
}

func (p *idp) lastAuthorize() url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.authorize[len(p.authorize)-1]
}

// app is a relying party: /start begins a sign-in, the callback finishes
// it and answers the claim.
type app struct {
	*httptest.Server
	rp     *oidc.Provider
	client *http.Client
}

// clock is a settable test clock.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }
func newJarClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

func startApp(t *testing.T, p *idp, edit func(*oidc.Config)) *app {
	t.Helper()
	a := &app{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /start", func(w http.ResponseWriter, r *http.Request) {
		u, err := a.rp.AuthCodeURL(w, r, "/inbox/c/1")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		http.Redirect(w, r, u, http.StatusSeeOther)
	})
	mux.HandleFunc("GET /inbox/auth/callback", func(w http.ResponseWriter, r *http.Request) {
		claim, next, err := a.rp.Exchange(w, r)
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, "refused %s: %s", steward.KindOf(err), steward.PublicMessage(err))
			return
		}
		fmt.Fprintf(w, "claim=%s next=%s", claim, next)
	})
	a.Server = httptest.NewServer(mux)
	t.Cleanup(a.Close)
	cfg := p.Config()
	c := oidc.Config{Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		RedirectURL: a.URL + "/inbox/auth/callback"}
	if edit != nil {
		edit(&c)
	}
	var err error
	if a.rp, err = oidc.New(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	a.client = newJarClient(t)
	return a
}

func (a *app) get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := a.client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// startFlow begins a sign-in without following the provider's redirect
// to the callback, and returns the callback URL the provider sent.
func (a *app) startFlow(t *testing.T) string {
	t.Helper()
	c := *a.client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/inbox/auth/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, err := c.Get(a.URL + "/start")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, a.URL+"/inbox/auth/callback?") {
		t.Fatalf("provider answered %d %q", resp.StatusCode, loc)
	}
	return loc
}

func TestSignIn(t *testing.T) {
	p := startIdP(t)
	p.QueueUser(&mockoidc.MockUser{Subject: "s-1", Email: "Ada@Example.org", EmailVerified: true, PreferredUsername: "ada"})
	a := startApp(t, p, nil)

	status, body := a.get(t, a.URL+"/start")
	if status != 200 || body != "claim=Ada@Example.org next=/inbox/c/1" {
		t.Fatalf("sign-in: %d %q", status, body)
	}
	// The authorization request used PKCE S256, a state and a nonce, and
	// asked for openid plus the default scopes.
	q := p.lastAuthorize()
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) < 43 || q.Get("state") == "" ||
		q.Get("nonce") == "" || q.Get("scope") != "openid email profile" || q.Get("response_type") != "code" {
		t.Errorf("authorization request: %v", q)
	}
	if q.Get("state") == q.Get("nonce") {
		t.Error("state and nonce are the same value")
	}
}

func TestFlowCookie(t *testing.T) {
	p := startIdP(t)
	a := startApp(t, p, nil)
	w := httptest.NewRecorder()
	u, err := a.rp.AuthCodeURL(w, httptest.NewRequest("GET", "/inbox/auth/oidc", nil), "/inbox/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, p.Issuer()+"/authorize?") {
		t.Errorf("AuthCodeURL = %q", u)
	}
	cs := w.Result().Cookies()
	if len(cs) != 1 {
		t.Fatalf("cookies %v", cs)
	}
	c := cs[0]
	if c.Name != oidc.FlowCookie || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/inbox/auth/callback" ||
		c.Secure || c.MaxAge != 600 {
		t.Errorf("flow cookie = %+v", c)
	}
	// The cookie is sealed: neither the state nor the verifier shows.
	pu, _ := url.Parse(u)
	if strings.Contains(c.Value, pu.Query().Get("state")) || strings.Contains(c.Value, "/inbox/") {
		t.Error("flow cookie shows its contents")
	}

	// Over https the cookie is Secure.
	cfg := p.Config()
	rp, err := oidc.New(context.Background(), oidc.Config{Issuer: cfg.Issuer, ClientID: cfg.ClientID,
		ClientSecret: cfg.ClientSecret, RedirectURL: "https://steward.example/inbox/auth/callback"})
	if err != nil {
		t.Fatal(err)
	}
	w = httptest.NewRecorder()
	if _, err := rp.AuthCodeURL(w, httptest.NewRequest("GET", "/", nil), ""); err != nil {
		t.Fatal(err)
	}
	if c := w.Result().Cookies()[0]; !c.Secure {
		t.Errorf("https flow cookie = %+v", c)
	}
}

func TestRefused(t *testing.T) {
	p := startIdP(t)
	clk := &clock{}
	a := startApp(t, p, func(c *oidc.Config) { c.Now = clk.now })

	refused := func(what, u, want string) {
		t.Helper()
		status, body := a.get(t, u)
		if status != http.StatusUnauthorized || !strings.HasPrefix(body, "refused unauthenticated") || !strings.Contains(body, want) {
			t.Errorf("%s: %d %q, want refusal mentioning %q", what, status, body, want)
		}
	}
	setState := func(cb, state string) string {
		u, _ := url.Parse(cb)
		q := u.Query()
		q.Set("state", state)
		u.RawQuery = q.Encode()
		return u.String()
	}

	// A wrong state is refused, and the flow is spent.
	cb := a.startFlow(t)
	refused("wrong state", setState(cb, "forged"), "does not belong to this browser")
	refused("right state after a wrong one", cb, "not started in this browser")

	// The callback cannot be replayed: the flow cookie is spent...
	cb = a.startFlow(t)
	if status, body := a.get(t, cb); status != 200 {
		t.Fatalf("sign-in: %d %q", status, body)
	}
	refused("replayed callback", cb, "not started in this browser")
	// ...and the provider refuses a code used once, even inside a new flow.
	fresh := a.startFlow(t)
	u, _ := url.Parse(fresh)
	q := u.Query()
	q.Set("code", mustQuery(t, cb, "code"))
	u.RawQuery = q.Encode()
	refused("replayed code", u.String(), "did not accept")

	// Without the flow cookie (another browser), nothing happens.
	cb = a.startFlow(t)
	other := startApp(t, p, nil)
	status, body := other.get(t, strings.Replace(cb, a.URL, other.URL, 1))
	if status != http.StatusUnauthorized || !strings.Contains(body, "not started in this browser") {
		t.Errorf("another browser: %d %q", status, body)
	}

	// A flow cookie sealed by another Provider (another key) is refused.
	cb = a.startFlow(t)
	base, _ := url.Parse(a.URL)
	forged := newJarClient(t)
	forged.Jar.SetCookies(&url.URL{Scheme: "http", Host: base.Host, Path: "/inbox/auth/callback"},
		[]*http.Cookie{{Name: oidc.FlowCookie, Value: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", Path: "/inbox/auth/callback"}})
	resp, err := forged.Get(cb)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), "took too long") {
		t.Errorf("forged cookie: %d %q", resp.StatusCode, b)
	}

	// The provider's error is reported by its code only.
	cb = a.startFlow(t)
	u, _ = url.Parse(cb)
	q = u.Query()
	q.Del("code")
	q.Set("error", "access_denied")
	q.Set("error_description", "<b>evil</b>")
	u.RawQuery = q.Encode()
	refused("provider error", u.String(), "(access_denied)")
	cb = a.startFlow(t)
	q.Set("state", mustQuery(t, cb, "state"))
	q.Set("error", "<script>")
	u.RawQuery = q.Encode()
	refused("provider error that is no code", u.String(), "did not succeed (error)")

	// A flow older than its timeout is refused.
	cb = a.startFlow(t)
	clk.advance(11 * time.Minute)
	refused("slow flow", cb, "took too long")
	clk.advance(-11 * time.Minute)

	// An ID token with another nonce is refused.
	p.mu.Lock()
	p.rewrite = func(q url.Values) { q.Set("nonce", "attacker") }
	p.mu.Unlock()
	refused("wrong nonce", a.startFlow(t), "does not belong to this sign-in")
}

func mustQuery(t *testing.T, u, key string) string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil || pu.Query().Get(key) == "" {
		t.Fatalf("%q has no %s", u, key)
	}
	return pu.Query().Get(key)
}

func TestExpiredIDToken(t *testing.T) {
	p := startIdP(t)
	clk := &clock{}
	a := startApp(t, p, func(c *oidc.Config) { c.Now = clk.now; c.FlowTimeout = 24 * time.Hour })
	cb := a.startFlow(t)
	clk.advance(time.Hour) // the ID token lives 10 minutes
	status, body := a.get(t, cb)
	if status != http.StatusUnauthorized || !strings.Contains(body, "ID token is not valid") {
		t.Errorf("expired ID token: %d %q", status, body)
	}
}

func TestClaims(t *testing.T) {
	p := startIdP(t)
	a := startApp(t, p, func(c *oidc.Config) { c.Claim = "preferred_username" })
	p.QueueUser(&mockoidc.MockUser{Subject: "s-2", Email: "x@example.org", PreferredUsername: "ada@example.org"})
	if status, body := a.get(t, a.URL+"/start"); status != 200 || !strings.HasPrefix(body, "claim=ada@example.org ") {
		t.Errorf("preferred_username: %d %q", status, body)
	}

	// A claim the provider did not send.
	p.QueueUser(&mockoidc.MockUser{Subject: "s-3", Email: "x@example.org"})
	if status, body := a.get(t, a.URL+"/start"); status != 401 || !strings.Contains(body, `no "preferred_username" claim`) {
		t.Errorf("missing claim: %d %q", status, body)
	}

	// An email the provider has not verified is refused.
	b := startApp(t, p, nil)
	p.QueueUser(unverifiedUser{&mockoidc.MockUser{Subject: "s-4", Email: "ada@example.org"}})
	if status, body := b.get(t, b.URL+"/start"); status != 401 || !strings.Contains(body, "not verified") {
		t.Errorf("unverified email: %d %q", status, body)
	}

	// Only the scopes configured (plus openid) are asked for.
	c := startApp(t, p, func(c *oidc.Config) { c.Scopes = []string{"profile", "openid", " groups "} })
	c.startFlow(t)
	if got := p.lastAuthorize().Get("scope"); got != "openid profile groups" {
		t.Errorf("scope = %q", got)
	}
}

func TestNew(t *testing.T) {
	p := startIdP(t)
	cfg := p.Config()
	good := oidc.Config{Issuer: cfg.Issuer, ClientID: cfg.ClientID, RedirectURL: "http://localhost/inbox/auth/callback"}
	for name, edit := range map[string]func(*oidc.Config){
		"no issuer":        func(c *oidc.Config) { c.Issuer = "" },
		"no client":        func(c *oidc.Config) { c.ClientID = "" },
		"relative return":  func(c *oidc.Config) { c.RedirectURL = "/inbox/auth/callback" },
		"short cookie key": func(c *oidc.Config) { c.CookieKey = []byte("short") },
	} {
		c := good
		edit(&c)
		if _, err := oidc.New(context.Background(), c); !steward.Is(steward.Invalid, err) {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
	key := make([]byte, 32)
	rand.Read(key)
	c := good
	c.CookieKey = key
	if _, err := oidc.New(context.Background(), c); err != nil {
		t.Errorf("with a cookie key: %v", err)
	}

	// Discovery must succeed, and the issuer must match the document's.
	c = good
	c.Issuer = p.Issuer() + "/"
	if _, err := oidc.New(context.Background(), c); !steward.Is(steward.Unavailable, err) {
		t.Errorf("issuer mismatch: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	c.Issuer = dead
	if _, err := oidc.New(context.Background(), c); !steward.Is(steward.Unavailable, err) {
		t.Errorf("no provider: %v", err)
	}

	// A provider that cannot be reached at the token exchange is
	// Unavailable, not a refusal.
	a := startApp(t, p, nil)
	cb := a.startFlow(t)
	p.Shutdown()
	req := httptest.NewRequest("GET", cb, nil)
	for _, ck := range a.client.Jar.Cookies(mustURL(t, a.URL+"/inbox/auth/callback")) {
		req.AddCookie(ck)
	}
	_, _, err = a.rp.Exchange(httptest.NewRecorder(), req)
	if !steward.Is(steward.Unavailable, err) && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("provider down: %v", err)
	}
}

// unverifiedUser sends "email_verified": false, which mockoidc's own user
// leaves out.
type unverifiedUser struct{ *mockoidc.MockUser }

func (u unverifiedUser) Claims(scope []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &struct {
		*mockoidc.IDTokenClaims
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
	}{base, u.Email, false}, nil
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// withEndSession makes the provider's discovery document name an
// end_session_endpoint, as Entra ID's and Okta's do.
func withEndSession(t *testing.T, p *idp) string {
	t.Helper()
	end := p.Config().Issuer + "/logout"
	p.mu.Lock()
	p.endSession = end
	p.mu.Unlock()
	return end
}

// TestLogoutURL: signing out sends the browser to the provider's
// end_session_endpoint with the ID token as the hint, once; a provider
// without one gets no redirect.
func TestLogoutURL(t *testing.T) {
	p := startIdP(t)
	end := withEndSession(t, p)
	p.QueueUser(&mockoidc.MockUser{Subject: "s-1", Email: "ada@example.org", EmailVerified: true})
	a := startApp(t, p, nil)
	a.Config.Handler.(*http.ServeMux).HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, a.rp.LogoutURL(w, r, "/inbox/login"))
	})
	if status, body := a.get(t, a.URL+"/start"); status != 200 || !strings.HasPrefix(body, "claim=ada@example.org") {
		t.Fatalf("sign-in: %d %q", status, body)
	}
	_, out := a.get(t, a.URL+"/logout")
	u, err := url.Parse(out)
	if err != nil || !strings.HasPrefix(out, end+"?") {
		t.Fatalf("logout URL %q, want %s?…", out, end)
	}
	q := u.Query()
	if q.Get("client_id") != p.Config().ClientID || q.Get("post_logout_redirect_uri") != a.URL+"/inbox/login" ||
		strings.Count(q.Get("id_token_hint"), ".") != 2 {
		t.Errorf("logout query: %v", q)
	}
	// The hint is used once: the cookie is gone.
	if _, again := a.get(t, a.URL+"/logout"); strings.Contains(again, "id_token_hint") {
		t.Errorf("second logout still carries the hint: %q", again)
	}

	plain := startIdP(t)
	plain.QueueUser(&mockoidc.MockUser{Subject: "s-2", Email: "bo@example.org", EmailVerified: true})
	b := startApp(t, plain, nil)
	b.Config.Handler.(*http.ServeMux).HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, b.rp.LogoutURL(w, r, "/inbox/login"))
	})
	b.get(t, b.URL+"/start")
	if _, out := b.get(t, b.URL+"/logout"); out != "" {
		t.Errorf("a provider without end_session_endpoint: %q", out)
	}
}
