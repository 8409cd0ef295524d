package main

import (
	"bufio"
	"context"
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
	cmd := exec.Command(stewardBin, "sim", "signal", "--listen", "127.0.0.1:0",
		"--account", account, "--contact", contact+",accept,10ms,Hello back")
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
	var base string
	for sc.Scan() {
		if m := simURLRE.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		t.Fatal("simulator printed no URL")
	}
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
