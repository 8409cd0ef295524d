package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds the Debian chromium that .ci/run installs.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("STEWARD_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("STEWARD_SKIP_BROWSER") != "" {
		t.Skip("no chromium; STEWARD_SKIP_BROWSER is set")
	}
	t.Fatal("the browser test needs Debian's chromium (apt-get install chromium; .ci/run installs it); set STEWARD_SKIP_BROWSER=1 to skip")
	return ""
}

// TestInboxInBrowser is the consent-to-chat story in a real browser, with
// Steward and the simulated signal-cli daemon as separate processes: an
// employee signs in, adds a contact, the contact accepts the recording
// notice, and the two exchange a message and an attachment.
func TestInboxInBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	const account, contact = "+12025550102", "+12025550199"
	_, simURL := startSim(t, "127.0.0.1:0", "--account", account,
		"--contact", contact+",accept,100ms,Got it, thanks.")
	data := t.TempDir()
	admin := mustToken(t, data, "browser-admin", "admin")
	s := startServer(t, "serve", data, "--signal-cli-url", simURL)

	var emp struct{ ID string }
	if code := call(t, "POST", s.base+"/api/v1/employees", admin, map[string]string{
		"user_name": "marcus@agency.example.gov", "display_name": "Marcus Ortega"}, &emp); code != 201 {
		t.Fatalf("create employee: %d", code)
	}
	if code := call(t, "PUT", s.base+"/api/v1/employees/"+emp.ID+"/identities", admin, map[string]string{
		"channel": "signal", "address": account, "mode": "governed"}, nil); code != 201 {
		t.Fatalf("identity: %d", code)
	}
	var tok struct{ Token string }
	if code := call(t, "POST", s.base+"/api/v1/tokens", admin, map[string]any{
		"name": "marcus-inbox", "scopes": []string{"inbox"}, "employee_id": emp.ID}, &tok); code != 201 {
		t.Fatalf("inbox token: %d", code)
	}

	file := filepath.Join(t.TempDir(), "agenda.txt")
	if err := os.WriteFile(file, []byte("1. Budget\n2. Flood relief\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
			t.Fatalf("%s: %v\npage:\n%s\nserver log:\n%s", what, err, html, s.logs())
		}
	}
	get := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatalf("%s: %v\nserver log:\n%s", what, err, s.logs())
		}
		return v
	}
	// Sign in: the token travels in the URL fragment, which the page posts.
	run("sign in", chromedp.Navigate(s.base+"/inbox/login#token="+tok.Token), chromedp.WaitVisible(chromedp.CSS("#add-contact")))

	// Add the contact; the inbox opens the conversation, blocked until consent.
	run("add contact",
		chromedp.SendKeys(chromedp.CSS(`#add-contact input[name=address]`), contact),
		chromedp.SendKeys(chromedp.CSS(`#add-contact input[name=display_name]`), "Taylor Brooks"),
		chromedp.Click(chromedp.CSS("#add-contact-submit")),
		chromedp.WaitVisible(chromedp.CSS("#messages")))
	convURL := get("conversation url", chromedp.Location())

	// The simulated contact accepts; the composer unlocks.
	deadline := time.Now().Add(30 * time.Second)
	for {
		run("reload", chromedp.Navigate(convURL), chromedp.WaitVisible(chromedp.CSS("#messages")))
		blocked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#blocked') !== null`))
		if err != nil {
			t.Fatal(err)
		}
		if !blocked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the contact never accepted:\n%s", s.logs())
		}
		time.Sleep(300 * time.Millisecond)
	}
	notices := get("consent shown", chromedp.Text(chromedp.CSS("#messages")))
	if !strings.Contains(notices, "accepted the recording notice") {
		t.Fatalf("no acceptance notice in the conversation: %q", notices)
	}

	// Send a message with an attachment; the contact answers with it back.
	run("send",
		chromedp.SendKeys(chromedp.CSS(`#composer textarea[name=body]`), "Here is the agenda."),
		chromedp.SetUploadFiles(chromedp.CSS(`#composer input[type=file][name=files]`), []string{file}),
		chromedp.Click(chromedp.CSS("#send")))
	// No reload from here on: the reply must arrive through the live stream.
	run("reply arrives live",
		chromedp.WaitVisible(chromedp.Search(`//*[contains(@class,"message")]//*[contains(@class,"body") and contains(., "Got it, thanks.")]`)))
	deadline = time.Now().Add(20 * time.Second)
	var links []string
	for {
		var err error
		links, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.message .attachment a')].map(a => a.textContent)`))
		if err != nil {
			t.Fatal(err)
		}
		if len(links) >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(links) < 2 || !strings.Contains(strings.Join(links, " "), "agenda.txt") {
		t.Fatalf("attachments shown: %v, want ours and the contact's copy of agenda.txt", links)
	}
	// Our message reaches "read": the contact's receipts came back through the connector.
	run("read receipt", chromedp.WaitVisible(chromedp.CSS(`.message .status[data-status="read"]`)))

	// Nothing of this is readable at rest, and the archive verifies.
	s.stop(t)
	out, stderr, code := runSteward(t, "verify", "--data", data)
	if code != 0 {
		t.Fatalf("verify failed: %s\n%s", out, stderr)
	}
}
