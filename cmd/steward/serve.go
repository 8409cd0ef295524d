package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/steward-gov/steward/internal/httpapi"
	"github.com/steward-gov/steward/internal/metrics"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/signal"
	"github.com/steward-gov/steward/internal/steward"
)

var serveSettings = []string{"data", "addr", "metrics-addr", "signal-cli-url", "kek-file", "kek", "log-key-file", "log-key",
	"log-origin", "checkpoint-every", "checkpoint-interval", "max-body", "log-level", "log-format"}

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
	api := &httpapi.Server{Store: a.db, Log: a.log, Pipeline: a.pipeline, Opener: a.envelope, Blobs: a.blobs,
		Logger: logger, MaxCaptureBody: maxBody, DirectoryChanged: a.directory.Invalidate}

	ln, err := net.Listen("tcp", cfg.String("addr"))
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.String("addr"), err)
	}
	srv := newHTTPServer(api.Handler(), logger)
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
	signalURL := cfg.String("signal-cli-url")
	if demo {
		d := &demoRun{app: a, base: base, out: stdout, logger: logger, signalURL: signalURL}
		if err := d.start(ctx); err != nil && ctx.Err() == nil {
			return err
		}
		signalURL = d.signalURL
	}
	if signalURL != "" {
		go runSignal(ctx, a, signalURL, m, logger)
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if msrv != nil {
		_ = msrv.Shutdown(sctx)
	}
	return err
}

// runSignal captures everything the signal-cli daemon at url receives,
// through the pipeline, until ctx ends.
func runSignal(ctx context.Context, a *app, url string, m *metrics.Metrics, logger *slog.Logger) {
	m.SetConnected("signal", false)
	c := &signal.Connector{
		Client: &signal.Client{BaseURL: url},
		Logger: logger,
		Capture: func(ctx context.Context, it *steward.Item) error {
			_, err := a.pipeline.Capture(ctx, it)
			return err
		},
		// Every outage of the event stream becomes a capture-gap record.
		Gap: func(ctx context.Context, from, to time.Time, reason string) error {
			logger.Warn("signal-cli event stream was down; recording a capture gap", "from", from, "to", to)
			_, err := a.pipeline.RecordGap(ctx, pipeline.Gap{Channel: signal.ChannelSignal, From: from, To: to, Reason: reason})
			return err
		},
		OnState: func(s signal.State) { m.SetConnected("signal", s.Connected) },
		DeadLetter: func(ctx context.Context, raw []byte, reason string) error {
			_, err := a.pipeline.RecordDeadLetter(ctx, signal.ChannelSignal, raw, reason)
			return err
		},
	}
	logger.Info("capturing from signal-cli", "url", url)
	if err := c.Run(ctx); err != nil && ctx.Err() == nil {
		logger.Error("signal connector stopped", "err", err)
	}
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
