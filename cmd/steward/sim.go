package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/steward-gov/steward/internal/sim/signalsim"
)

const simUsage = `Usage:
  steward sim signal [--listen 127.0.0.1:8081] [--account +E164 ...] [--contact SPEC ...]
                     [--contact-writes [DELAY@]number>account:text ...] [--inject [DELAY@]account:JSON ...]
                     [--expect-link +E164 ...] [--rate-limit-new-contacts N] [--rate-limit-challenge-after N]
                     [--outage [AFTER@]FOR]

sim signal runs a fake signal-cli daemon (multi-account, HTTP JSON-RPC and
server-sent events, as signal-cli's --http daemon) with scripted outside
contacts, for demos and tests where Signal's servers cannot be reached.
A --contact SPEC is number,consent[,delay[,reply|reply|...]] with consent
accept, decline or ignore. Point --signal-cli-url at the printed URL.

Scripted events happen once, DELAY (default 0) after the first event
stream connects; what an account receives while no stream follows it is
queued and delivered when one does, as signal-cli does:
  --contact-writes  a --contact writes text to an account that never wrote
                    to it (an unknown number writing first); the contact
                    then answers the account's first message as scripted.
  --inject          a raw envelope (a JSON object, e.g. a malformed one)
                    reaches the account as if Signal had delivered it.
  --outage          AFTER the first connection, every event stream is cut
                    and new ones are refused (503) for FOR.
--expect-link names the number the next device link links (in order of
the flags), so a linked identity's number can be linked.
--rate-limit-challenge-after N lets each account write to N new
recipients; further first sends fail with a CAPTCHA challenge until
submitRateLimitChallenge answers it (Signal's proof-required limit).
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
	challengeAfter := fs.Int("rate-limit-challenge-after", 0, "new recipients each account may write to before a CAPTCHA challenge (0: never)")
	outage := fs.String("outage", "", "[AFTER@]FOR: cut the event streams AFTER the first connection and refuse them for FOR")
	fs.String("data", "", "accepted for symmetry with other commands; the simulator keeps no data")
	var accounts, contacts, writes, injects, links listFlag
	fs.Var(&accounts, "account", "an account (+E164) the daemon holds; repeatable")
	fs.Var(&contacts, "contact", "a scripted contact number,consent[,delay[,reply|reply...]]; repeatable")
	fs.Var(&writes, "contact-writes", "[DELAY@]number>account:text: a contact writes first; repeatable")
	fs.Var(&injects, "inject", "[DELAY@]account:JSON: a raw envelope the account receives; repeatable")
	fs.Var(&links, "expect-link", "the number (+E164) the next device link links; repeatable, in order")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	sim := signalsim.New(signalsim.Options{KeepAlive: *keepAlive, Logger: logger, RateLimitNewContacts: *rateLimit,
		RateLimitAfter: *challengeAfter})
	defer sim.Close()
	held := map[string]bool{}
	for _, a := range accounts {
		sim.AddAccount(a)
		held[a] = true
	}
	scripted := map[string]bool{}
	for _, spec := range contacts {
		c, err := parseSimContact(spec)
		if err != nil {
			return err
		}
		sim.AddContact(c)
		scripted[c.Number] = true
	}
	for _, n := range links {
		sim.ExpectLink(n)
	}
	var script []simEvent
	for _, spec := range writes {
		ev, err := parseContactWrites(spec, scripted, held)
		if err != nil {
			return err
		}
		script = append(script, ev)
	}
	for _, spec := range injects {
		ev, err := parseInject(spec, held)
		if err != nil {
			return err
		}
		script = append(script, ev)
	}
	if *outage != "" {
		ev, err := parseOutage(*outage)
		if err != nil {
			return err
		}
		script = append(script, ev)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	srv := &http.Server{Handler: runScript(ctx, sim, script, logger), ReadHeaderTimeout: 10 * time.Second}
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

// simEvent is one scripted happening, after a delay counted from the
// first event-stream connection.
type simEvent struct {
	after time.Duration
	what  string
	run   func(*signalsim.Server) error
}

// runScript returns the simulator's handler, starting the script's clock
// when the first event-stream request arrives.
func runScript(ctx context.Context, sim *signalsim.Server, script []simEvent, logger *slog.Logger) http.Handler {
	h := sim.Handler()
	if len(script) == 0 {
		return h
	}
	var once sync.Once
	start := func() {
		for _, ev := range script {
			go func() {
				t := time.NewTimer(ev.after)
				defer t.Stop()
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				if err := ev.run(sim); err != nil {
					logger.Error("sim: scripted event failed", "event", ev.what, "err", err)
					return
				}
				logger.Info("sim: scripted event", "event", ev.what)
			}()
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/events" {
			once.Do(start)
		}
		h.ServeHTTP(w, r)
	})
}

// cutDelay splits an optional "DELAY@" prefix off spec.
func cutDelay(spec string) (time.Duration, string, error) {
	before, after, ok := strings.Cut(spec, "@")
	if !ok {
		return 0, spec, nil
	}
	d, err := time.ParseDuration(before)
	if err != nil || d < 0 {
		return 0, "", fmt.Errorf("%q: bad delay before @", spec)
	}
	return d, after, nil
}

// parseContactWrites parses [DELAY@]number>account:text; the number must
// be a --contact and the account an --account.
func parseContactWrites(spec string, contacts, accounts map[string]bool) (simEvent, error) {
	head, text, ok := strings.Cut(spec, ":")
	if !ok || text == "" {
		return simEvent{}, fmt.Errorf("contact-writes %q: want [DELAY@]number>account:text", spec)
	}
	d, head, err := cutDelay(head)
	if err != nil {
		return simEvent{}, fmt.Errorf("contact-writes %w", err)
	}
	from, to, ok := strings.Cut(head, ">")
	switch {
	case !ok:
		return simEvent{}, fmt.Errorf("contact-writes %q: want [DELAY@]number>account:text", spec)
	case !contacts[from]:
		return simEvent{}, fmt.Errorf("contact-writes %q: %s is not a --contact", spec, from)
	case !accounts[to]:
		return simEvent{}, fmt.Errorf("contact-writes %q: %s is not an --account", spec, to)
	}
	return simEvent{after: d, what: "contact " + from + " writes to " + to,
		run: func(s *signalsim.Server) error { return s.ContactWrites(from, to, text) }}, nil
}

// parseInject parses [DELAY@]account:JSON; the account must be an
// --account and JSON an object.
func parseInject(spec string, accounts map[string]bool) (simEvent, error) {
	head, raw, ok := strings.Cut(spec, ":")
	if !ok {
		return simEvent{}, fmt.Errorf("inject %q: want [DELAY@]account:JSON", spec)
	}
	d, acct, err := cutDelay(head)
	if err != nil {
		return simEvent{}, fmt.Errorf("inject %w", err)
	}
	if !accounts[acct] {
		return simEvent{}, fmt.Errorf("inject %q: %s is not an --account", spec, acct)
	}
	if raw = strings.TrimSpace(raw); !strings.HasPrefix(raw, "{") || !json.Valid([]byte(raw)) {
		return simEvent{}, fmt.Errorf("inject %q: the envelope must be a JSON object", spec)
	}
	return simEvent{after: d, what: "envelope injected for " + acct,
		run: func(s *signalsim.Server) error { return s.Inject(acct, json.RawMessage(raw)) }}, nil
}

// parseOutage parses [AFTER@]FOR.
func parseOutage(spec string) (simEvent, error) {
	d, rest, err := cutDelay(spec)
	if err != nil {
		return simEvent{}, fmt.Errorf("outage %w", err)
	}
	length, err := time.ParseDuration(rest)
	if err != nil || length <= 0 {
		return simEvent{}, fmt.Errorf("outage %q: want [AFTER@]FOR, e.g. 2s@1500ms", spec)
	}
	return simEvent{after: d, what: "event-stream outage of " + length.String(),
		run: func(s *signalsim.Server) error { s.Outage(length); return nil }}, nil
}
