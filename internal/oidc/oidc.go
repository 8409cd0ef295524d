// Package oidc is the OpenID Connect relying party with which employees
// sign in to the web inbox through the organization's identity provider
// (Entra ID, Okta, or any compliant provider).
//
// It runs the authorization code flow with PKCE (S256). The flow's
// secrets (state, nonce and PKCE verifier) live in one short-lived cookie,
// sealed with AES-256-GCM so that the browser can neither read nor forge
// it, HttpOnly, and SameSite=Lax: Lax, not Strict, because the identity
// provider's redirect back to the callback is a cross-site navigation, on
// which a Strict cookie would not be sent. The callback must bring back
// the state that this cookie holds, so a sign-in finishes only in the
// browser that started it. The ID token is verified by go-oidc (signature
// against the provider's published keys, issuer, audience, expiry) and its
// nonce against the cookie's.
//
// The package knows nothing of employees: Exchange returns the configured
// claim, and the caller matches it to an employee.
package oidc

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/steward-gov/steward/internal/steward"
)

// FlowCookie is the name of the cookie that carries a sign-in in progress.
const FlowCookie = "steward_oidc"

// Config configures a Provider.
type Config struct {
	// Issuer is the identity provider's issuer URL, exactly as its
	// discovery document states it (for Entra ID
	// https://login.microsoftonline.com/<tenant>/v2.0).
	Issuer string
	// ClientID and ClientSecret are Steward's registration at the provider.
	ClientID     string
	ClientSecret string
	// RedirectURL is the inbox's callback as registered at the provider,
	// e.g. https://steward.example.org/inbox/auth/callback. Its scheme also
	// decides whether the flow cookie is Secure (https) and its path
	// where the cookie is sent.
	RedirectURL string
	// Scopes are requested besides "openid", which is always requested.
	// Empty means "email profile".
	Scopes []string
	// Claim is the ID token claim that names the employee: "email" (the
	// default), or "preferred_username" or "upn" for Entra ID, whose email
	// claim is not verified. It is matched against employees' user names
	// and emails, case-insensitively.
	Claim string
	// CookieKey is the 32-byte AES-256 key that seals the flow cookie.
	// Empty means a random key per process: sign-ins in progress then fail
	// across a restart, or between instances behind a load balancer.
	CookieKey []byte
	// FlowTimeout bounds how long a sign-in may take at the provider; 0
	// means 10 minutes.
	FlowTimeout time.Duration
	// HTTPClient is used for discovery, keys and the token exchange; nil
	// means http.DefaultClient.
	HTTPClient *http.Client
	// Now is the clock for the flow cookie and the ID token's expiry; nil
	// means time.Now.
	Now func() time.Time
}

// Provider is the relying party for one identity provider. It is safe for
// concurrent use.
type Provider struct {
	claim    string
	oauth    oauth2.Config
	verifier *gooidc.IDTokenVerifier
	aead     cipher.AEAD
	path     string // the callback's path: the flow cookie's Path
	secure   bool
	ttl      time.Duration
	client   *http.Client
	now      func() time.Time
	// endSession is the provider's end_session_endpoint (OpenID Connect
	// RP-Initiated Logout 1.0), "" when its discovery document has none.
	endSession string
	origin     string // scheme://host of the redirect URL
	clientID   string
}

// HintCookie holds the last ID token, sealed, so that signing out can
// name the session to end at the identity provider (id_token_hint, which
// Okta requires). It carries no authority of its own in Steward.
const HintCookie = "steward_oidc_hint"

// maxHintCookie bounds the hint cookie: browsers drop cookies over about
// 4 KB, and an Entra ID token with many group claims can exceed that. A
// sign-out without the hint still works at providers that accept
// client_id instead.
const maxHintCookie = 3800

// New discovers the provider at cfg.Issuer (its
// /.well-known/openid-configuration, whose issuer must match exactly) and
// returns a Provider. ctx bounds discovery only. Returns Invalid for a
// bad configuration, Unavailable if discovery fails.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	const op steward.Op = "oidc.New"
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, steward.E(op, steward.Invalid, "OIDC needs an issuer, a client id and a redirect URL")
	}
	redirect, err := url.Parse(cfg.RedirectURL)
	if err != nil || (redirect.Scheme != "https" && redirect.Scheme != "http") || redirect.Host == "" {
		return nil, steward.E(op, steward.Invalid, "the OIDC redirect URL must be an absolute http(s) URL")
	}
	p := &Provider{claim: cfg.Claim, path: redirect.EscapedPath(), secure: redirect.Scheme == "https",
		ttl: cfg.FlowTimeout, client: cfg.HTTPClient, now: cfg.Now, clientID: cfg.ClientID,
		origin: redirect.Scheme + "://" + redirect.Host}
	if p.claim == "" {
		p.claim = "email"
	}
	if p.path == "" {
		p.path = "/"
	}
	if p.ttl <= 0 {
		p.ttl = 10 * time.Minute
	}
	if p.client == nil {
		p.client = http.DefaultClient
	}
	if p.now == nil {
		p.now = time.Now
	}
	key := cfg.CookieKey
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, steward.E(op, steward.Internal, err)
		}
	} else if len(key) != 32 {
		return nil, steward.E(op, steward.Invalid, "the OIDC cookie key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, steward.E(op, steward.Internal, err)
	}
	if p.aead, err = cipher.NewGCM(block); err != nil {
		return nil, steward.E(op, steward.Internal, err)
	}

	// The provider keeps this context for fetching keys later: it must
	// carry the client and outlive the caller's deadline.
	dctx := gooidc.ClientContext(ctx, p.client)
	prov, err := gooidc.NewProvider(dctx, cfg.Issuer)
	if err != nil {
		return nil, steward.E(op, steward.Unavailable, "OIDC discovery failed at "+cfg.Issuer, err)
	}
	scopes := []string{gooidc.ScopeOpenID}
	extra := cfg.Scopes
	if len(extra) == 0 {
		extra = []string{"email", "profile"}
	}
	for _, s := range extra {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	p.oauth = oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: prov.Endpoint(),
		RedirectURL: cfg.RedirectURL, Scopes: scopes}
	p.verifier = prov.Verifier(&gooidc.Config{ClientID: cfg.ClientID, Now: p.now})
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := prov.Claims(&meta); err == nil {
		if u, err := url.Parse(meta.EndSession); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			p.endSession = meta.EndSession
		}
	}
	return p, nil
}

// LogoutURL returns where to send a browser that signs out of Steward so
// that its session at the identity provider ends too, coming back to
// returnTo (a path on Steward, such as the sign-in page); "" when the
// provider offers no end_session_endpoint. It reads and clears the hint
// cookie set at sign-in. The returnTo URL must be registered at the
// provider as a post-logout redirect URI.
func (p *Provider) LogoutURL(w http.ResponseWriter, r *http.Request, returnTo string) string {
	hint := ""
	if c, err := r.Cookie(HintCookie); err == nil {
		if b, err := p.openBytes(c.Value, hintAAD); err == nil {
			hint = string(b)
		}
	}
	http.SetCookie(w, p.hintCookie("", -1))
	if p.endSession == "" {
		return ""
	}
	u, err := url.Parse(p.endSession)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("client_id", p.clientID)
	q.Set("post_logout_redirect_uri", p.origin+returnTo)
	if hint != "" {
		q.Set("id_token_hint", hint)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

var hintAAD = []byte("steward oidc id token hint v1")

func (p *Provider) hintCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: HintCookie, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: p.secure, SameSite: http.SameSiteLaxMode}
}

// openBytes opens a value sealed by sealBytes under aad.
func (p *Provider) openBytes(v string, aad []byte) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) < p.aead.NonceSize() {
		return nil, errors.New("malformed sealed cookie")
	}
	return p.aead.Open(nil, b[:p.aead.NonceSize()], b[p.aead.NonceSize():], aad)
}

func (p *Provider) sealBytes(plain, aad []byte) (string, error) {
	nonce := make([]byte, p.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(p.aead.Seal(nonce, nonce, plain, aad)), nil
}

// flow is what the flow cookie seals.
type flow struct {
	State    string    `json:"s"`
	Nonce    string    `json:"n"`
	Verifier string    `json:"v"`
	ReturnTo string    `json:"r,omitempty"`
	Expires  time.Time `json:"e"`
}

// aad binds a sealed flow to its purpose.
var aad = []byte("steward oidc flow v1")

func (p *Provider) seal(f *flow) (string, error) {
	plain, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	return p.sealBytes(plain, aad)
}

func (p *Provider) open(v string) (*flow, error) {
	plain, err := p.openBytes(v, aad)
	if err != nil {
		return nil, err
	}
	var f flow
	if err := json.Unmarshal(plain, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

func randomString() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func (p *Provider) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: FlowCookie, Value: value, Path: p.path, MaxAge: maxAge, HttpOnly: true,
		Secure: p.secure, SameSite: http.SameSiteLaxMode}
}

// AuthCodeURL starts a sign-in: it sets the flow cookie on w and returns
// the provider's authorization URL to redirect the browser to. returnTo is
// kept in the cookie and handed back by Exchange; the caller checks it.
func (p *Provider) AuthCodeURL(w http.ResponseWriter, r *http.Request, returnTo string) (string, error) {
	const op steward.Op = "oidc.AuthCodeURL"
	state, err := randomString()
	if err != nil {
		return "", steward.E(op, steward.Internal, err)
	}
	nonce, err := randomString()
	if err != nil {
		return "", steward.E(op, steward.Internal, err)
	}
	f := &flow{State: state, Nonce: nonce, Verifier: oauth2.GenerateVerifier(), ReturnTo: returnTo,
		Expires: p.now().Add(p.ttl)}
	v, err := p.seal(f)
	if err != nil {
		return "", steward.E(op, steward.Internal, err)
	}
	http.SetCookie(w, p.cookie(v, int(p.ttl/time.Second)))
	return p.oauth.AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(f.Verifier)), nil
}

// Exchange finishes a sign-in at the callback: it checks the state against
// the flow cookie (which it clears: a flow is used once), redeems the code
// with the PKCE verifier, verifies the ID token and its nonce, and returns
// the configured claim and the returnTo given to AuthCodeURL.
//
// Returns Unauthenticated when the sign-in must start again (no or
// expired flow cookie, wrong state, the provider refused, a bad ID token,
// the claim missing), Unavailable if the provider cannot be reached.
// Messages are safe to show.
func (p *Provider) Exchange(w http.ResponseWriter, r *http.Request) (claim, returnTo string, err error) {
	const op steward.Op = "oidc.Exchange"
	again := "Start the sign-in again."
	c, cerr := r.Cookie(FlowCookie)
	http.SetCookie(w, p.cookie("", -1))
	if cerr != nil {
		return "", "", steward.E(op, steward.Unauthenticated,
			"This sign-in was not started in this browser, or it took too long. "+again)
	}
	f, err := p.open(c.Value)
	if err != nil || !p.now().Before(f.Expires) {
		return "", "", steward.E(op, steward.Unauthenticated, "This sign-in took too long. "+again, err)
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return "", "", steward.E(op, steward.Unauthenticated,
			"Your organization's sign-in did not succeed ("+errorCode(e)+"). "+again)
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		return "", "", steward.E(op, steward.Unauthenticated, "This sign-in does not belong to this browser. "+again)
	}
	code := q.Get("code")
	if code == "" {
		return "", "", steward.E(op, steward.Unauthenticated, "The identity provider sent no sign-in code. "+again)
	}
	ctx := gooidc.ClientContext(r.Context(), p.client)
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		if _, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
			return "", "", steward.E(op, steward.Unauthenticated, "The identity provider did not accept this sign-in. "+again, err)
		}
		return "", "", steward.E(op, steward.Unavailable, "The identity provider cannot be reached. Try again shortly.", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", "", steward.E(op, steward.Unauthenticated, "The identity provider sent no ID token. "+again)
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return "", "", steward.E(op, steward.Unauthenticated, "The identity provider's ID token is not valid. "+again, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return "", "", steward.E(op, steward.Unauthenticated, "The ID token does not belong to this sign-in. "+again)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return "", "", steward.E(op, steward.Unauthenticated, "The identity provider's tokens do not match. "+again, err)
		}
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return "", "", steward.E(op, steward.Unauthenticated, "The ID token's claims cannot be read. "+again, err)
	}
	v, _ := claims[p.claim].(string)
	if v = strings.TrimSpace(v); v == "" {
		return "", "", steward.Errorf(op, steward.Unauthenticated,
			"Your organization's sign-in did not say who you are (no %q claim). Ask an administrator.", p.claim)
	}
	// An email the provider says it has not verified names nobody.
	if p.claim == "email" && isFalse(claims["email_verified"]) {
		return "", "", steward.E(op, steward.Unauthenticated,
			"Your organization has not verified your email address, so it cannot sign you in. Ask an administrator.")
	}
	if p.endSession != "" {
		if hint, err := p.sealBytes([]byte(raw), hintAAD); err == nil && len(hint) <= maxHintCookie {
			http.SetCookie(w, p.hintCookie(hint, 0))
		}
	}
	return v, f.ReturnTo, nil
}

// isFalse reports whether a claim is false, as a boolean or (as some
// providers send it) a string.
func isFalse(v any) bool {
	switch b := v.(type) {
	case bool:
		return !b
	case string:
		return strings.EqualFold(b, "false")
	}
	return false
}

// errorCode returns an OAuth error code as the RFC spells them (lower
// case letters and underscores), or "error" for anything else, so that a
// crafted callback cannot put text on the page.
func errorCode(e string) string {
	if e == "" || len(e) > 40 || strings.Trim(e, "abcdefghijklmnopqrstuvwxyz_") != "" {
		return "error"
	}
	return e
}
