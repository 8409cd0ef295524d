package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/sim/signalsim"
)

const simUsage = `Usage:
  steward sim signal [--listen 127.0.0.1:8081] [--account +E164 ...] [--contact SPEC ...]

sim signal runs a fake signal-cli daemon (multi-account, HTTP JSON-RPC and
server-sent events, as signal-cli's --http daemon) with scripted outside
contacts, for demos and tests where Signal's servers cannot be reached.
A --contact SPEC is number,consent[,delay[,reply|reply|...]] with consent
accept, decline or ignore. Point --signal-cli-url at the printed URL.
`

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// simCmd runs `steward sim signal`.
func simCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "signal" {
		fmt.Fprint(stderr, simUsage)
		return fmt.Errorf("sim: want a simulator name (signal)")
	}
	fs := flag.NewFlagSet("steward sim signal", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8081", "listen address")
	keepAlive := fs.Duration("keepalive", signalsim.DefaultKeepAlive, "event-stream keep-alive interval")
	rateLimit := fs.Int("rate-limit-new-contacts", 0, "first sends to new recipients allowed per minute (0: no limit)")
	fs.String("data", "", "accepted for symmetry with other commands; the simulator keeps no data")
	var accounts, contacts listFlag
	fs.Var(&accounts, "account", "an account (+E164) the daemon holds; repeatable")
	fs.Var(&contacts, "contact", "a scripted contact number,consent[,delay[,reply|reply...]]; repeatable")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	sim := signalsim.New(signalsim.Options{KeepAlive: *keepAlive, Logger: logger, RateLimitNewContacts: *rateLimit})
	defer sim.Close()
	for _, a := range accounts {
		sim.AddAccount(a)
	}
	for _, spec := range contacts {
		c, err := parseSimContact(spec)
		if err != nil {
			return err
		}
		sim.AddContact(c)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	srv := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "signal-cli simulator listening on http://%s (%d accounts, %d contacts)\n", ln.Addr(), len(accounts), len(contacts))
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	sim.Close() // ends the event streams, so Shutdown need not wait for them
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// parseSimContact parses number,consent[,delay[,reply|reply...]].
func parseSimContact(spec string) (signalsim.Contact, error) {
	parts := strings.SplitN(spec, ",", 4)
	if len(parts) < 2 || parts[0] == "" {
		return signalsim.Contact{}, fmt.Errorf("contact %q: want number,consent[,delay[,replies]]", spec)
	}
	c := signalsim.Contact{Number: parts[0], Consent: parts[1]}
	switch c.Consent {
	case signalsim.ConsentAccept, signalsim.ConsentDecline, signalsim.ConsentIgnore:
	default:
		return c, fmt.Errorf("contact %q: consent must be accept, decline or ignore", spec)
	}
	if len(parts) > 2 && parts[2] != "" {
		d, err := time.ParseDuration(parts[2])
		if err != nil {
			return c, fmt.Errorf("contact %q: bad delay: %w", spec, err)
		}
		c.ReplyDelay = d
	}
	if len(parts) > 3 && parts[3] != "" {
		c.Replies = strings.Split(parts[3], "|")
	}
	return c, nil
}
