package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/signal"
	"github.com/steward-gov/steward/internal/steward"
)

// Capture health: Steward must never be silently deaf. The monitor knows
// which work identities should be live and compares that with what the
// channel gateway reports, raising an alert (in the API and in metrics)
// and archiving a capture-gap record for every period an account was not
// being captured.

// HealthReport is the body of GET /api/v1/capture-health.
type HealthReport struct {
	Status   string          `json:"status"` // ok, degraded
	Checked  time.Time       `json:"checked_at"`
	Sources  []SourceHealth  `json:"sources"`
	Accounts []AccountHealth `json:"accounts"`
	Alerts   []Alert         `json:"alerts"`
	Gaps     []GapInfo       `json:"recent_gaps"`
}

// SourceHealth is one channel gateway's event stream.
type SourceHealth struct {
	Channel      string     `json:"channel"`
	Connected    bool       `json:"connected"`
	Since        *time.Time `json:"since,omitempty"`
	LastEvent    *time.Time `json:"last_event,omitempty"`
	LastActivity *time.Time `json:"last_activity,omitempty"`
	Reconnects   int        `json:"reconnects"`
}

// AccountHealth is one work identity as the gateway sees it.
type AccountHealth struct {
	IdentityID string                 `json:"identity_id"`
	EmployeeID string                 `json:"employee_id"`
	Address    string                 `json:"address"`
	Mode       steward.IdentityMode   `json:"mode"`
	Status     steward.IdentityStatus `json:"status"`
	OnGateway  bool                   `json:"on_gateway"` // the daemon holds the account
	LastEvent  *time.Time             `json:"last_event,omitempty"`
}

// Alert is something an operator must act on.
type Alert struct {
	Severity string `json:"severity"` // critical, warning
	Code     string `json:"code"`     // source_down, account_missing, link_idle, rate_limited
	Account  string `json:"account,omitempty"`
	Message  string `json:"message"`
}

// GapInfo is a capture-gap record's plaintext description.
type GapInfo struct {
	RecordID string     `json:"record_id"`
	Channel  string     `json:"channel"`
	Account  string     `json:"account,omitempty"`
	From     *time.Time `json:"from,omitempty"`
	To       *time.Time `json:"to,omitempty"`
}

// linkIdleWarning is when to warn that a linked device may be dropped:
// Signal unlinks a device after about 30 days without use.
const linkIdleWarning = 21 * 24 * time.Hour

// healthMonitor watches one signal-cli daemon.
type healthMonitor struct {
	app       *app
	client    *signal.Client
	connector *signal.Connector
	logger    *slog.Logger
	// onAccount, if set, reports each account's state for metrics.
	onAccount func(identityID string, up bool)

	mu       sync.Mutex
	last     map[string]time.Time // account → last captured event
	present  map[string]bool      // account → held by the daemon at the last check
	missing  map[string]time.Time // account → when it went missing
	onDaemon map[string]bool
	checked  time.Time
}

// seen notes that an event of account was captured.
func (h *healthMonitor) seen(account string, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last == nil {
		h.last = map[string]time.Time{}
	}
	if at.After(h.last[account]) {
		h.last[account] = at
	}
}

// run checks the daemon's accounts every interval until ctx ends.
func (h *healthMonitor) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		h.check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// check asks the daemon which accounts it holds. An account that
// disappears starts a gap; when it comes back the gap is archived.
func (h *healthMonitor) check(ctx context.Context) {
	accounts, err := h.client.ListAccounts(ctx)
	if err != nil {
		if ctx.Err() == nil {
			h.logger.Warn("capture health: cannot list signal-cli accounts", "err", err)
		}
		return
	}
	held := map[string]bool{}
	for _, a := range accounts {
		held[a] = true
	}
	ids, err := h.signalIdentities(ctx)
	if err != nil {
		h.logger.Warn("capture health: identities", "err", err)
		return
	}
	now := time.Now().UTC()
	h.mu.Lock()
	if h.missing == nil {
		h.missing = map[string]time.Time{}
	}
	var gaps []pipeline.Gap
	for _, id := range ids {
		if id.Status != steward.IdentityActive {
			continue
		}
		switch since, wasMissing := h.missing[id.Address]; {
		case !held[id.Address] && !wasMissing:
			h.missing[id.Address] = now
			h.logger.Error("capture health: signal-cli no longer holds a work identity's account; nothing is captured for it",
				"identity", id.ID)
		case held[id.Address] && wasMissing:
			delete(h.missing, id.Address)
			gaps = append(gaps, pipeline.Gap{Channel: signal.ChannelSignal, Account: id.Address, From: since, To: now,
				Reason: "the account was not held by signal-cli (link dropped or unregistered)"})
		}
		if h.onAccount != nil {
			h.onAccount(id.ID, held[id.Address] && h.connector.State().Connected)
		}
	}
	h.onDaemon, h.checked = held, now
	h.mu.Unlock()
	for _, g := range gaps {
		if _, err := h.app.pipeline.RecordGap(ctx, g); err != nil {
			h.logger.Error("capture health: gap not recorded", "err", err)
		}
	}
}

// healthLinker re-checks the daemon's accounts as soon as a device link
// completes. Without it the freshly linked account, absent at the last
// periodic check, would be reported missing (a critical alert) for up to
// a minute after the employee linked their phone.
type healthLinker struct {
	chat.Linker
	health *healthMonitor
}

// FinishLink finishes the link, then refreshes capture health.
func (l healthLinker) FinishLink(ctx context.Context, deviceLinkURI, deviceName string) (string, error) {
	number, err := l.Linker.FinishLink(ctx, deviceLinkURI, deviceName)
	if err == nil {
		l.health.check(ctx)
	}
	return number, err
}

func (h *healthMonitor) signalIdentities(ctx context.Context) ([]*steward.Identity, error) {
	emps, err := h.app.db.Employees(ctx)
	if err != nil {
		return nil, err
	}
	var out []*steward.Identity
	for _, e := range emps {
		ids, err := h.app.db.IdentitiesByEmployee(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if id.Channel == signal.ChannelSignal {
				out = append(out, id)
			}
		}
	}
	return out, nil
}

func tptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// report builds the capture-health answer.
func (h *healthMonitor) report(ctx context.Context) any {
	st := h.connector.State()
	r := HealthReport{Status: "ok", Checked: time.Now().UTC(), Accounts: []AccountHealth{}, Alerts: []Alert{}, Gaps: []GapInfo{}}
	r.Sources = []SourceHealth{{Channel: string(signal.ChannelSignal), Connected: st.Connected, Since: tptr(st.Since),
		LastEvent: tptr(st.LastEvent), LastActivity: tptr(st.LastActivity), Reconnects: st.Reconnects}}
	if !st.Connected {
		r.Alerts = append(r.Alerts, Alert{Severity: "critical", Code: "source_down",
			Message: "The signal-cli event stream is down: nothing is being captured. Steward keeps retrying and will record the gap."})
	}
	ids, err := h.signalIdentities(ctx)
	if err != nil {
		h.logger.Warn("capture health: identities", "err", err)
	}
	h.mu.Lock()
	for _, id := range ids {
		a := AccountHealth{IdentityID: id.ID, EmployeeID: id.EmployeeID, Address: id.Address, Mode: id.Mode, Status: id.Status,
			OnGateway: h.onDaemon[id.Address], LastEvent: tptr(h.last[id.Address])}
		r.Accounts = append(r.Accounts, a)
		if id.Status != steward.IdentityActive || h.checked.IsZero() {
			continue
		}
		if !a.OnGateway {
			r.Alerts = append(r.Alerts, Alert{Severity: "critical", Code: "account_missing", Account: id.Address,
				Message: "signal-cli does not hold this account, so nothing sent to it is captured. A linked device is dropped after about 30 idle days; relink it, or re-register a governed number."})
		} else if id.Mode == steward.IdentityLinked && !h.last[id.Address].IsZero() && time.Since(h.last[id.Address]) > linkIdleWarning {
			r.Alerts = append(r.Alerts, Alert{Severity: "warning", Code: "link_idle", Account: id.Address,
				Message: "No activity on this linked account for three weeks; Signal unlinks idle devices after about 30 days."})
		}
	}
	h.mu.Unlock()
	if ds, err := h.app.db.Deliveries(ctx, 1000, steward.DeliveryRateLimited); err == nil {
		seen := map[string]bool{}
		for _, d := range ds {
			if seen[d.Account] {
				continue
			}
			seen[d.Account] = true
			msg := "Signal is rate-limiting this account; sends are queued and retried."
			if d.Challenge != "" {
				msg = "Signal asks for a CAPTCHA before this account may send again. Solve it and POST the token to /api/v1/identities/{id}/challenge; sends wait until then."
			}
			r.Alerts = append(r.Alerts, Alert{Severity: "warning", Code: "rate_limited", Account: d.Account, Message: msg})
		}
	}
	if recs, err := h.app.db.RecordsByKind(ctx, steward.RecordCaptureGap, -1, 20); err == nil {
		for _, rec := range recs {
			var m steward.RecordMeta
			_ = json.Unmarshal(rec.Meta, &m)
			g := GapInfo{RecordID: rec.ID, Channel: m.Channel, Account: m.Subject}
			if m.SentAt != nil {
				g.From = tptr(*m.SentAt)
			}
			if m.ReceivedAt != nil {
				g.To = tptr(*m.ReceivedAt)
			}
			r.Gaps = append(r.Gaps, g)
		}
	}
	for _, a := range r.Alerts {
		if a.Severity == "critical" {
			r.Status = "degraded"
		}
	}
	return r
}
