// Package metrics exposes Steward's Prometheus metrics. Its handler is
// mounted only on the separate metrics listener (loopback by default),
// never on the public API listener.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/steward-gov/steward/internal/steward"
)

// Metrics holds the collectors. It implements pipeline.Observer.
type Metrics struct {
	reg       *prometheus.Registry
	captures  *prometheus.CounterVec
	latency   prometheus.Histogram
	connected *prometheus.GaugeVec
}

// New registers Steward's collectors, plus the Go runtime and process ones,
// in a fresh registry. logSize reports the archive's current leaf count.
func New(logSize func() float64) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.captures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "steward_captures_total",
		Help: "Items submitted to the capture pipeline, by type and result (stored, replayed, or the error kind).",
	}, []string{"type", "result"})
	m.latency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "steward_capture_duration_seconds",
		Help:    "Time from submission to durable capture.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	})
	m.connected = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "steward_channel_connected",
		Help: "1 while Steward is connected to a channel's gateway (e.g. the signal-cli event stream), else 0. Alert on 0: nothing is captured.",
	}, []string{"channel"})
	m.reg.MustRegister(m.captures, m.latency, m.connected,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "steward_archive_records", Help: "Records in the archive log.",
		}, logSize))
	return m
}

// ObserveCapture counts one capture outcome.
func (m *Metrics) ObserveCapture(t steward.EventType, replayed bool, err error, d time.Duration) {
	result := "stored"
	switch {
	case err != nil:
		result = steward.KindOf(err).String()
	case replayed:
		result = "replayed"
	}
	m.captures.WithLabelValues(string(t), result).Inc()
	if err == nil {
		m.latency.Observe(d.Seconds())
	}
}

// SetConnected records whether the channel's gateway connection is up.
func (m *Metrics) SetConnected(channel string, up bool) {
	v := 0.0
	if up {
		v = 1
	}
	m.connected.WithLabelValues(channel).Set(v)
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
