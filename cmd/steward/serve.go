package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/httpapi"
	"github.com/steward-gov/steward/internal/metrics"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/scim"
	"github.com/steward-gov/steward/internal/steward"
)

var serveSettings = []string{"data", "addr", "metrics-addr", "signal-cli-url", "kek-file", "kek", "log-key-file", "log-key",
	"log-origin", "checkpoint-every", "checkpoint-interval", "max-body", "log-level", "log-format",
	"consent-text", "consent-version", "consent-expiry", "consent-reconsent", "consent-keywords", "secure-cookies", "default-policies",
	"default-schedules", "disposition-approvals", "search-index",
	"foia-time-zone", "foia-closures", "foia-cutoff",
	"oidc-issuer", "oidc-client-id", "oidc-client-secret", "oidc-redirect-url", "oidc-claim", "oidc-scopes",
	"oidc-cookie-key", "local-login", "session-idle-timeout", "session-lifetime", "public-url"}

// serveCmd runs `steward serve` and, with demo set, `steward demo`.
func serveCmd(ctx context.Context, args []string, stdout io.Writer, demo bool) error {
	name := "serve"
	if demo {
		name = "demo"
	}
	names := serveSettings
	if demo {
		names = append(names[:len(names):len(names)], "demo-interval")
	}
	cfg, err := loadConfig(name, args, names...)
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg)
	if err != nil {
		return err
	}
	maxBody, err := cfg.Int("max-body")
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, logger, true)
	if err != nil {
		return err
	}
	defer func() {
		if err := a.Close(); err != nil {
			logger.Error("shutdown", "err", err)
		}
	}()

	m := metrics.New(func() float64 { return float64(a.log.Size()) })
	a.pipeline.Observer = m
	secure, err := strconv.ParseBool(cfg.String("secure-cookies"))
	if err != nil {
		return fmt.Errorf("secure-cookies: %q is not true or false", cfg.String("secure-cookies"))
	}

	// The demo's simulated signal-cli daemon must be up before the
	// services are wired to it.
	signalURL := cfg.String("signal-cli-url")
	var d *demoRun
	if demo {
		d = &demoRun{app: a, out: stdout, logger: logger, signalURL: signalURL}
		if err := d.prepare(ctx); err != nil {
			return err
		}
		signalURL = d.signalURL
	}
	svc, err := wireServices(ctx, a, signalURL, m, logger)
	if err != nil {
		return err
	}
	api := &httpapi.Server{Store: a.db, Log: a.log, Pipeline: a.pipeline, Opener: a.envelope, Blobs: a.blobs,
		Logger: logger, MaxCaptureBody: maxBody, DirectoryChanged: a.directory.Invalidate}
	svc.apiExtras(api)
	inbox, err := newInbox(ctx, cfg, a, svc, logger, secure, maxBody)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.String("addr"))
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.String("addr"), err)
	}
	off := &offboarder{app: a, logger: logger, groups: svc.chat.Groups, sessions: func(ctx context.Context, employeeID string) error {
		_, err := a.db.DeleteEmployeeSessions(ctx, employeeID)
		return err
	}}
	prov := &scim.Server{Store: a.db, Logger: logger, OnChange: off.change,
		BaseURL: publicSCIM(cfg.String("public-url")),
		Authenticate: func(ctx context.Context, secret string) (*steward.Token, error) {
			return steward.Authenticate(ctx, a.db, secret, time.Now())
		},
		Audit: func(ctx context.Context, action, subject string, details map[string]any) error {
			actor := "scim"
			if who, ok := details["actor"].(string); ok && who != "" {
				actor = who
			}
			_, err := a.pipeline.Audit(ctx, pipeline.AuditEntry{Actor: actor, Action: action, Subject: subject, Details: details})
			return err
		}}
	srv := newHTTPServer(rootHandler(api.Handler(), inbox.Handler(), prov.Handler()), logger)
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()

	var msrv *http.Server
	if ma := cfg.String("metrics-addr"); ma != "" && ma != "off" {
		mln, err := net.Listen("tcp", ma)
		if err != nil {
			return fmt.Errorf("listen on %s for metrics: %w", ma, err)
		}
		if !isLoopback(mln.Addr()) {
			logger.Warn("the metrics listener is not on loopback; protect it with a firewall", "addr", mln.Addr().String())
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		msrv = newHTTPServer(mux, logger)
		go func() { errc <- msrv.Serve(mln) }()
		logger.Info("metrics listening", "addr", mln.Addr().String())
	}
	base := "http://" + ln.Addr().String()
	logger.Info("steward listening", "addr", ln.Addr().String(), "version", version, "data", a.dataDir,
		"log_origin", a.log.Origin(), "log_size", a.log.Size())

	fmt.Fprintf(stdout, "Steward %s listening on %s\n", version, base)
	svc.run(ctx, logger)
	if demo {
		d.base = base
		if err := d.start(ctx, svc); err != nil && ctx.Err() == nil {
			return err
		}
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	logger.Info("shutting down")
	svc.chat.Hub.Close() // live streams end, so Shutdown need not wait for them
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if msrv != nil {
		_ = msrv.Shutdown(sctx)
	}
	return err
}

// publicSCIM is the SCIM root under the configured public URL, or "" to
// take it from each request.
func publicSCIM(public string) string {
	if public == "" {
		return ""
	}
	return strings.TrimSuffix(public, "/") + scim.Prefix
}

// rootHandler serves the inbox under /inbox/, SCIM provisioning under
// /scim/v2/, sends the bare root to the inbox, and everything else to the API (whose own table answers 404 and 405).
func rootHandler(api, inbox, provisioning http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/inbox/", inbox)
	mux.Handle(scim.Prefix+"/", provisioning)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/inbox/", http.StatusSeeOther)
	})
	mux.Handle("/", api)
	return mux
}

func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // large attachments over slow links
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}
