package main

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	sigcli "github.com/steward-gov/steward/internal/signal"
)

var simURLRE = regexp.MustCompile(`listening on (http://\S+)`)

// TestSimSignal runs `steward sim signal` as its own process and drives it
// with the Signal connector's protocol layer over real HTTP: a consent
// request to a scripted contact is answered ACCEPT on the event stream.
func TestSimSignal(t *testing.T) {
	const account, contact = "+12025550101", "+14155550123"
	_, base := startSim(t, "127.0.0.1:0", "--account", account, "--contact", contact+",accept,10ms,Hello back")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := &sigcli.Client{BaseURL: base}
	if err := client.Check(ctx); err != nil {
		t.Fatalf("check: %v", err)
	}
	res, err := client.Send(ctx, account, sigcli.SendParams{Recipients: []string{contact},
		Message: "This conversation will be recorded. Reply ACCEPT or DECLINE."})
	if err != nil || !res.AllDelivered() {
		t.Fatalf("send: %+v %v", res, err)
	}
	ev := &sigcli.Events{Client: client, Account: account}
	found := false
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	_ = ev.Stream(sctx, func(e sigcli.Event) error {
		n, err := sigcli.DecodeNotification(e.Data)
		if err != nil {
			t.Fatalf("decode %s: %v", e.Data, err)
		}
		items, err := n.Items(account)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it.Sender.Address == contact && strings.EqualFold(strings.TrimSpace(it.Body), "ACCEPT") {
				found = true
				stop() // the handler accepted the event; end the stream
			}
		}
		return nil
	})
	if !found {
		t.Fatalf("no ACCEPT on the event stream within %v", 10*time.Second)
	}
}

// TestSignalCapture runs a simulated signal-cli daemon and `steward serve
// --signal-cli-url` as two processes: a consent request sent through the
// daemon is answered by the scripted contact, and the answer and the
// receipts are captured into the archive, which then verifies.
func TestSignalCapture(t *testing.T) {
	const account, contact = "+12025550101", "+14155550123"
	_, simURL := startSim(t, "127.0.0.1:0", "--account", account, "--contact", contact+",accept,10ms,Hello back")
	data := t.TempDir()
	s := startServer(t, "serve", data, "--signal-cli-url", simURL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := &sigcli.Client{BaseURL: simURL}
	if _, err := client.Send(ctx, account, sigcli.SendParams{Recipients: []string{contact}, Message: "consent request"}); err != nil {
		t.Fatal(err)
	}
	// The reply is one message and at least a delivery receipt.
	for {
		var n int
		db, err := sql.Open("sqlite", dbPath(data))
		if err != nil {
			t.Fatal(err)
		}
		err = db.QueryRow(`SELECT count(*) FROM records WHERE json_extract(meta, '$.channel') = 'signal'
			AND json_extract(meta, '$.sender') = ?`, contact).Scan(&n)
		db.Close()
		if err == nil && n >= 2 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the contact's reply was not captured (%d records, %v):\n%s", n, err, s.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop(t)
	if out, _, code := runSteward(t, "verify", "--data", data); code != 0 {
		t.Fatalf("verify: %s", out)
	}
}

// startSim runs `steward sim signal` on addr and returns its URL.
func startSim(t *testing.T, addr string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(stewardBin, append([]string{"sim", "signal", "--listen", addr}, args...)...)
	cmd.Env = cleanEnv()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := simURLRE.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, out)
			return cmd, m[1]
		}
	}
	t.Fatal("simulator printed no URL")
	return nil, ""
}

// TestSignalOutageIsAGap kills the signal-cli daemon under a running
// server and brings it back: the outage is archived as a capture gap.
func TestSignalOutageIsAGap(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	sim, url := startSim(t, addr, "--account", "+12025550101")
	data := t.TempDir()
	s := startServer(t, "serve", data, "--signal-cli-url", url)
	time.Sleep(300 * time.Millisecond) // let the connector connect
	sim.Process.Kill()
	sim.Wait()
	time.Sleep(300 * time.Millisecond)
	startSim(t, addr, "--account", "+12025550101")
	deadline := time.Now().Add(15 * time.Second)
	for {
		db, err := sql.Open("sqlite", dbPath(data))
		if err != nil {
			t.Fatal(err)
		}
		var n int
		err = db.QueryRow(`SELECT count(*) FROM records WHERE kind = 'capture_gap'`).Scan(&n)
		db.Close()
		if err == nil && n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no capture gap recorded (%d, %v):\n%s", n, err, s.logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop(t)
	if out, _, code := runSteward(t, "verify", "--data", data); code != 0 {
		t.Fatalf("verify: %s", out)
	}
}

// TestSimScriptFlagsChecked: a scripted event naming a number the
// simulator does not know, or a malformed spec, stops it at once rather
// than failing silently later.
func TestSimScriptFlagsChecked(t *testing.T) {
	const account, contact = "+12025550101", "+14155550123"
	base := []string{"sim", "signal", "--listen", "127.0.0.1:0", "--account", account, "--contact", contact + ",accept"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--contact-writes", "+14155550999>" + account + ":hi"}, "is not a --contact"},
		{[]string{"--contact-writes", contact + ">+12025550999:hi"}, "is not an --account"},
		{[]string{"--contact-writes", contact + ">" + account}, "want [DELAY@]number>account:text"},
		{[]string{"--contact-writes", "soon@" + contact + ">" + account + ":hi"}, "bad delay"},
		{[]string{"--inject", account + ":[1]"}, "must be a JSON object"},
		{[]string{"--inject", "+12025550999:{}"}, "is not an --account"},
		{[]string{"--outage", "1s@never"}, "want [AFTER@]FOR"},
	} {
		_, stderr, code := runSteward(t, append(base[:len(base):len(base)], c.args...)...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want an error naming %q", c.args, code, stderr, c.want)
		}
	}
}
