package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"time"

	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/compliance"
	"github.com/steward-gov/steward/internal/consent"
	"github.com/steward-gov/steward/internal/discovery"
	"github.com/steward-gov/steward/internal/foiasvc"
	"github.com/steward-gov/steward/internal/httpapi"
	"github.com/steward-gov/steward/internal/indexer"
	"github.com/steward-gov/steward/internal/metrics"
	"github.com/steward-gov/steward/internal/outbound"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/recordkeeping"
	"github.com/steward-gov/steward/internal/search"
	"github.com/steward-gov/steward/internal/signal"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
	"github.com/steward-gov/steward/internal/transfer"
)

// services are the long-running parts behind the API and the inbox.
type services struct {
	reader  *pipeline.Reader
	outbox  *outbound.Worker
	consent *consent.Service
	chat    *chat.Service
	// signal is nil when no signal-cli daemon is configured.
	signal    *signal.Client
	connector *signal.Connector
	health    *healthMonitor
	// compliance judges every message and group change and keeps the
	// review queue.
	compliance *compliance.Service
	// exports serves the FRA report and NARA transfer packages.
	exports *httpapi.Exports
	// records puts every captured item on a retention schedule and runs
	// holds and disposition.
	records *recordkeeping.Service
	// search keeps DATA/index.db current; nil when search-index is false.
	search      *indexer.Indexer
	searchIndex *sqlite.Index
	// discovery keeps eDiscovery cases and searches under them.
	discovery *discovery.Service
	// foia keeps FOIA requests and their clocks.
	foia *foiasvc.Service
}

// wireServices builds the outbox, the consent lifecycle and the chat
// service around the pipeline, with signal-cli at signalURL as the Signal
// channel when it is set, and hooks them into the pipeline.
func wireServices(ctx context.Context, a *app, signalURL string, m *metrics.Metrics, logger *slog.Logger) (*services, error) {
	s := &services{reader: &pipeline.Reader{Records: a.db, Opener: a.envelope, Blobs: a.blobs}}
	hub := &chat.Hub{}
	s.chat = &chat.Service{Store: a.db, Pipeline: a.pipeline, Reader: s.reader, Hub: hub, Logger: logger,
		Groups: map[steward.Channel]steward.GroupManager{}, Linkers: map[steward.Channel]chat.Linker{}}
	s.outbox = &outbound.Worker{Store: a.db, Reader: s.reader, Senders: map[steward.Channel]steward.ChannelSender{},
		Capture: func(ctx context.Context, it *steward.Item) error {
			_, err := a.pipeline.Capture(ctx, it)
			return err
		},
		Notify: s.chat.DeliveryChanged, Logger: logger}
	cc, err := consentConfig(a.cfg)
	if err != nil {
		return nil, err
	}
	s.consent = &consent.Service{Store: a.db, Capture: a.pipeline.Capture, Enqueue: s.outbox.Enqueue, Config: cc, Logger: logger,
		Changed: func(c *steward.Contact) {
			a.directory.Invalidate()
			s.chat.ContactChanged(c)
		}}
	s.chat.Consent, s.chat.Enqueue = s.consent, s.outbox.Enqueue
	s.outbox.Guard = s.chat.Guard
	s.compliance = &compliance.Service{Store: a.db, Pipeline: a.pipeline, Reader: s.reader, Released: s.chat.Released,
		Groups: s.chat, EDMKey: a.keyring.DeriveKey("dlp exact data match v1"), Logger: logger}
	if err := wireCompliance(ctx, a, s.compliance); err != nil {
		return nil, err
	}
	s.records = &recordkeeping.Service{Store: a.db, Pipeline: a.pipeline, Blobs: a.blobs, Signer: a.signer,
		Open: s.reader.OpenRecord, Logger: logger}
	if err := wireRecords(ctx, a, s.records); err != nil {
		return nil, err
	}
	if err := wireSearch(a, s, logger); err != nil {
		return nil, err
	}
	s.discovery = &discovery.Service{Store: a.db, Pipeline: a.pipeline, Reader: s.reader, Holds: s.records, Logger: logger}
	if s.searchIndex != nil {
		// Without an index, searches answer Unavailable; cases still work.
		s.discovery.Index = s.searchIndex
	}
	cal, err := foiasvc.Calendar(a.cfg.String("foia-time-zone"), a.cfg.String("foia-closures"), a.cfg.String("foia-cutoff"))
	if err != nil {
		return nil, fmt.Errorf("foia-time-zone, foia-closures, foia-cutoff: %w", err)
	}
	s.foia = &foiasvc.Service{Store: a.db, Pipeline: a.pipeline, Calendar: cal}
	// Permanent records go to NARA as packages under DATA/transfers: an
	// executed transfer batch builds its package there.
	vkey, err := publicKeyText("", logPubPath(a.dataDir))
	if err != nil {
		return nil, err
	}
	s.exports = &httpapi.Exports{Signer: a.signer, PublicKey: vkey, Dir: filepath.Join(a.dataDir, "transfers")}
	s.records.Transfer = transfer.BatchHook(transfer.Deps{Store: a.db, Log: a.log, Reader: s.reader,
		Audit: a.pipeline, Signer: a.signer, PublicKey: vkey}, s.exports.Dir)
	s.chat.Rule = s.compliance
	a.directory.Also = func() {
		s.compliance.Forget()
		s.records.Forget()
	}
	a.pipeline.Consent, a.pipeline.Policy, a.pipeline.Records = s.consent, s.compliance, s.records
	a.pipeline.Router = pipeline.Routers{s.chat, s.compliance, s.records}
	if err := ensureConsentText(ctx, a, s.consent); err != nil {
		return nil, err
	}
	if signalURL != "" {
		s.signal = &signal.Client{BaseURL: signalURL}
		sender := &signal.Sender{Client: s.signal}
		s.outbox.Senders[signal.ChannelSignal] = sender
		s.chat.Groups[signal.ChannelSignal] = sender
		s.connector = newConnector(a, s.signal, m, logger)
		s.health = &healthMonitor{app: a, client: s.signal, connector: s.connector, logger: logger,
			onAccount: func(identityID string, up bool) { m.SetConnected("signal/"+identityID, up) }}
		s.chat.Linkers[signal.ChannelSignal] = healthLinker{Linker: s.signal, health: s.health}
		inner := s.connector.Capture
		s.connector.Capture = func(ctx context.Context, it *steward.Item) error {
			if err := inner(ctx, it); err != nil {
				return err
			}
			acct, _ := it.Extra["account"].(string)
			if acct != "" {
				s.health.seen(acct, it.ReceivedAt)
			}
			if _, ok := it.Extra["group_update"]; ok && acct != "" && it.Conversation.ID != "" {
				reconcileGroup(ctx, a, s.signal, acct, it, logger)
			}
			return nil
		}
	}
	return s, nil
}

// apiExtras fills the API server's fields that the services provide.
func (s *services) apiExtras(api *httpapi.Server) {
	api.Chat, api.Consent, api.Outbox, api.Compliance, api.Records = s.chat, s.consent, s.outbox, s.compliance, s.records
	api.Exports, api.Discovery, api.FOIA = s.exports, s.discovery, s.foia
	api.Challengers = map[steward.Channel]httpapi.Challenger{}
	if s.signal != nil {
		api.Challengers[signal.ChannelSignal] = s.signal
		api.Health = s.health.report
	}
}

// run starts every background loop; they stop when ctx ends.
func (s *services) run(ctx context.Context, logger *slog.Logger) {
	go func() {
		if err := s.outbox.Run(ctx); err != nil && ctx.Err() == nil {
			logger.Error("outbox stopped", "err", err)
		}
	}()
	go s.consent.Run(ctx, time.Minute)
	go s.compliance.Run(ctx, 30*time.Second)
	// Schedule assignments are indexed in batches, off the capture path.
	go s.records.Run(ctx, 200*time.Millisecond)
	if s.search != nil {
		go func() {
			_ = s.search.Run(ctx, 200*time.Millisecond)
			if err := s.searchIndex.Close(); err != nil {
				logger.Error("closing the search index", "err", err)
			}
		}()
	}
	if s.connector != nil {
		go func() {
			logger.Info("capturing from signal-cli", "url", s.signal.BaseURL)
			if err := s.connector.Run(ctx); err != nil && ctx.Err() == nil {
				logger.Error("signal connector stopped", "err", err)
			}
		}()
		go s.health.run(ctx, time.Minute)
	}
}

// wireSearch opens the blind search index DATA/index.db under the key
// derived from the keyring's oldest KEK (so KEK rotation keeps it), and
// builds the indexer that keeps it current off the capture path, unless
// search-index is false. Disposition removes destroyed records from it.
func wireSearch(a *app, s *services, logger *slog.Logger) error {
	on, err := strconv.ParseBool(a.cfg.String("search-index"))
	if err != nil {
		return fmt.Errorf("search-index: %q is not true or false", a.cfg.String("search-index"))
	}
	if !on {
		return nil
	}
	key := a.keyring.DeriveKey(search.KeyInfo)
	idx, err := sqlite.OpenIndex(filepath.Join(a.dataDir, "index.db"), key)
	if err != nil {
		return err
	}
	s.searchIndex = idx
	s.search = &indexer.Indexer{Store: a.db, Index: idx, Reader: s.reader, Logger: logger}
	s.records.Disposed = s.search.Remove
	return nil
}

// wireCompliance loads policies and detectors, installing the default
// policy set on an installation that has never had a policy (unless
// default-policies is false), and queues any review the last run left
// unqueued.
func wireCompliance(ctx context.Context, a *app, c *compliance.Service) error {
	ps, version, err := a.db.Policies(ctx)
	if err != nil {
		return err
	}
	install, err := strconv.ParseBool(a.cfg.String("default-policies"))
	if err != nil {
		return fmt.Errorf("default-policies: %q is not true or false", a.cfg.String("default-policies"))
	}
	if err := c.Reload(ctx); err != nil {
		return fmt.Errorf("policies: %w", err)
	}
	if version == 0 && len(ps) == 0 && install {
		n, err := c.InstallDefaults(ctx, "system")
		if err != nil {
			return fmt.Errorf("default policies: %w", err)
		}
		a.logger.Info("installed the default policy set", "policies", n)
	}
	if n, err := c.Reconcile(ctx); err != nil {
		return fmt.Errorf("review queue: %w", err)
	} else if n > 0 {
		a.logger.Warn("queued review items a previous run left unqueued", "items", n)
	}
	return nil
}

// wireRecords loads the retention schedules and assignment rules,
// installing the built-in schedules and default rules on an installation
// that has never had any (unless default-schedules is false), and repairs
// what the last run left half done: unindexed assignments, unsent hold
// notices, executed batches without a certificate.
func wireRecords(ctx context.Context, a *app, r *recordkeeping.Service) error {
	install, err := strconv.ParseBool(a.cfg.String("default-schedules"))
	if err != nil {
		return fmt.Errorf("default-schedules: %q is not true or false", a.cfg.String("default-schedules"))
	}
	n, err := strconv.Atoi(a.cfg.String("disposition-approvals"))
	if err != nil || n < 1 || n > 10 {
		return fmt.Errorf("disposition-approvals: %q is not a number of approvers from 1 to 10", a.cfg.String("disposition-approvals"))
	}
	r.RequiredApprovals = n
	if err := r.Reload(ctx); err != nil {
		return fmt.Errorf("retention schedules: %w", err)
	}
	if install {
		items, rules, err := r.InstallDefaults(ctx, "system")
		if err != nil {
			return fmt.Errorf("default schedules: %w", err)
		}
		if items+rules > 0 {
			a.logger.Info("installed the built-in retention schedules", "items", items, "rules", rules)
		}
	}
	if n, err := r.Reconcile(ctx); err != nil {
		return fmt.Errorf("records: %w", err)
	} else if n > 0 {
		a.logger.Warn("repaired records work a previous run left unfinished", "items", n)
	}
	return nil
}

// consentConfig reads the consent-* settings.
func consentConfig(cfg *Config) (consent.Config, error) {
	var c consent.Config
	exp, err := cfg.Duration("consent-expiry")
	if err != nil {
		return c, err
	}
	c.Expiry = exp
	if c.Reconsent, err = strconv.ParseBool(cfg.String("consent-reconsent")); err != nil {
		return c, fmt.Errorf("consent-reconsent: %q is not true or false", cfg.String("consent-reconsent"))
	}
	if kw := cfg.String("consent-keywords"); kw != "" {
		if err := json.Unmarshal([]byte(kw), &c.Keywords); err != nil || len(c.Keywords) == 0 {
			return c, fmt.Errorf("consent-keywords: not a JSON object of languages, each {\"accept\":[…],\"decline\":[…],\"stop\":[…]}")
		}
		for lang, k := range c.Keywords {
			if len(k.Accept) == 0 || len(k.Decline) == 0 {
				return c, fmt.Errorf("consent-keywords: language %q needs accept and decline words", lang)
			}
		}
	}
	return c, nil
}

// ensureConsentText makes the configured notice current on first start,
// and whenever the operator configured a text or version of their own.
// A text set later through the API is otherwise left alone.
func ensureConsentText(ctx context.Context, a *app, cs *consent.Service) error {
	_, err := a.db.CurrentConsentText(ctx)
	explicit := a.cfg.String("consent-text") != defaultConsentText || a.cfg.String("consent-version") != ""
	if err == nil && !explicit {
		return nil
	}
	if err != nil && !steward.Is(steward.NotFound, err) {
		return err
	}
	t, err := cs.SetText(ctx, "config", a.cfg.String("consent-version"), a.cfg.String("consent-text"))
	if err != nil {
		return fmt.Errorf("consent text: %w", err)
	}
	a.logger.Info("consent text in force", "version", t.Version, "sha256", t.SHA256)
	return nil
}

// newConnector builds the signal-cli connector: everything it receives
// goes through the pipeline; outages become capture-gap records and
// undecodable input dead letters.
func newConnector(a *app, client *signal.Client, m *metrics.Metrics, logger *slog.Logger) *signal.Connector {
	m.SetConnected("signal", false)
	return &signal.Connector{
		Client: client,
		Logger: logger,
		Capture: func(ctx context.Context, it *steward.Item) error {
			_, err := a.pipeline.Capture(ctx, it)
			return err
		},
		Gap: func(ctx context.Context, from, to time.Time, reason string) error {
			logger.Warn("signal-cli event stream was down; recording a capture gap", "from", from, "to", to)
			_, err := a.pipeline.RecordGap(ctx, pipeline.Gap{Channel: signal.ChannelSignal, From: from, To: to, Reason: reason})
			return err
		},
		OnState: func(st signal.State) { m.SetConnected("signal", st.Connected) },
		DeadLetter: func(ctx context.Context, raw []byte, reason string) error {
			_, err := a.pipeline.RecordDeadLetter(ctx, signal.ChannelSignal, raw, reason)
			return err
		},
	}
}

// reconcileGroup captures the membership change behind a group update
// envelope, which names only the group and its revision: it compares the
// members Steward knows with the daemon's listGroups and archives the
// difference as a membership event (added or removed from a phone, say).
// A failure is logged, never fails the capture of the update itself.
func reconcileGroup(ctx context.Context, a *app, client *signal.Client, account string, it *steward.Item, logger *slog.Logger) {
	gs, err := client.ListGroups(ctx, account, it.Conversation.ID)
	if err != nil || len(gs) != 1 {
		logger.Warn("signal: group update not reconciled", "err", err)
		return
	}
	conv, err := a.db.EnsureConversation(ctx, &steward.Conversation{Channel: signal.ChannelSignal,
		Kind: steward.ConversationGroup, Key: "group:" + it.Conversation.ID})
	if err != nil {
		logger.Warn("signal: group update not reconciled", "err", err)
		return
	}
	known, err := a.db.Members(ctx, conv.ID)
	if err != nil {
		logger.Warn("signal: group update not reconciled", "err", err)
		return
	}
	// Compare by address alone: Steward keeps members by the address they
	// were seen under, the number when there is one.
	var before, after []signal.GroupMember
	for _, m := range known {
		before = append(before, signal.GroupMember{Number: m.Address})
	}
	for _, m := range gs[0].Members {
		addr := m.Number
		if addr == "" {
			addr = m.UUID
		}
		after = append(after, signal.GroupMember{Number: addr})
	}
	rev, _ := it.Extra["group_revision"].(int64)
	mi, changed := signal.MembershipItem(account, gs[0], rev, it.Sender.Address, before, after, it.SentAt)
	if !changed {
		return
	}
	if _, err := a.pipeline.Capture(ctx, &mi); err != nil {
		logger.Warn("signal: group membership change not captured", "err", err)
	}
}
