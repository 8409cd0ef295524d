package main

import (
	"bytes"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
)

// TestLocalPassword: `steward password set` reads the password from
// stdin, and `serve --local-login true` then signs the employee in with
// it; a wrong password is refused.
func TestLocalPassword(t *testing.T) {
	data := t.TempDir()
	admin := mustToken(t, data, "admin", "admin")
	s := startServer(t, "serve", data)
	if code := call(t, "POST", s.base+"/api/v1/employees", admin, map[string]string{
		"user_name": "local.user@agency.example.gov", "display_name": "Local User"}, nil); code != 201 {
		t.Fatalf("create employee: %d", code)
	}
	s.stop(t)

	set := func(pw string) (string, int) {
		cmd := exec.Command(stewardBin, "password", "set", "--employee", "local.user@agency.example.gov", "--data", data)
		cmd.Env = cleanEnv()
		cmd.Stdin = strings.NewReader(pw + "\n")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return out.String(), ee.ExitCode()
		}
		return out.String(), 0
	}
	if out, code := set("short"); code == 0 {
		t.Fatalf("a 5-character password was accepted: %s", out)
	}
	if out, code := set("correct horse battery staple"); code != 0 {
		t.Fatalf("password set: %d %s", code, out)
	}

	s = startServer(t, "serve", data, "--local-login", "true")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	login := func(pw string) *http.Response {
		form := url.Values{"user": {"local.user@agency.example.gov"}, "password": {pw}}
		req, _ := http.NewRequest("POST", s.base+"/inbox/login/local", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := login("wrong horse battery staple"); len(resp.Cookies()) != 0 && resp.Cookies()[0].Value != "" {
		t.Fatalf("a wrong password got a session: %d %v", resp.StatusCode, resp.Cookies())
	}
	resp := login("correct horse battery staple")
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "steward_session" && c.Value != "" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly {
		t.Fatalf("no HttpOnly session cookie after a correct password: %d %v", resp.StatusCode, resp.Cookies())
	}
	req, _ := http.NewRequest("GET", s.base+"/inbox/", nil)
	req.AddCookie(session)
	home, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	home.Body.Close()
	if home.StatusCode != 200 {
		t.Fatalf("inbox with the session: %d, want 200", home.StatusCode)
	}
}
