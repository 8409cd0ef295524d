package chat_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/archivetest"
	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/consent"
	"github.com/steward-gov/steward/internal/outbound"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/signal"
	"github.com/steward-gov/steward/internal/sim/signalsim"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

// world is Steward's capture and chat stack built from real parts (a
// SQLite file, the sealed blob directory, the archive log) talking over
// HTTP to a simulated signal-cli daemon, the one outside service.
type world struct {
	t        *testing.T
	ctx      context.Context
	db       *sqlite.DB
	log      *archive.Log
	pipe     *pipeline.Pipeline
	consent  *consent.Service
	chat     *chat.Service
	outbox   *outbound.Worker
	sim      *signalsim.Server
	now      time.Time // consent's clock; advance with w.clock
	employee *steward.Employee
	account  string
}

const testAccount = "+12025550102"

func newWorld(t *testing.T, contacts ...signalsim.Contact) *world {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := archivetest.New(t, archivetest.LogLevel(slog.LevelWarn))
	db, logger, dirRes := s.DB, s.Logger, s.Directory
	w := &world{t: t, ctx: ctx, db: db, log: s.Log, pipe: s.Pipeline, now: time.Now().UTC()}

	w.sim = signalsim.New(signalsim.Options{Logger: logger})
	w.sim.AddAccount(testAccount)
	for _, c := range contacts {
		w.sim.AddContact(c)
	}
	srv := httptest.NewServer(w.sim.Handler())
	client := &signal.Client{BaseURL: srv.URL}
	sender := &signal.Sender{Client: client}

	w.chat = &chat.Service{Store: db, Pipeline: w.pipe, Reader: s.Reader, Hub: &chat.Hub{}, Logger: logger,
		Groups:  map[steward.Channel]steward.GroupManager{"signal": sender},
		Linkers: map[steward.Channel]chat.Linker{"signal": client}}
	w.outbox = &outbound.Worker{Store: db, Reader: s.Reader, Logger: logger, Poll: 20 * time.Millisecond,
		Senders: map[steward.Channel]steward.ChannelSender{"signal": sender},
		Capture: func(ctx context.Context, it *steward.Item) error {
			_, err := w.pipe.Capture(ctx, it)
			return err
		}, Notify: w.chat.DeliveryChanged}
	w.consent = &consent.Service{Store: db, Capture: w.pipe.Capture, Enqueue: w.outbox.Enqueue, Logger: logger,
		Config: consent.Config{Reconsent: true, Expiry: 7 * 24 * time.Hour},
		Now:    func() time.Time { return w.now },
		Changed: func(c *steward.Contact) {
			dirRes.Invalidate()
			w.chat.ContactChanged(c)
		}}
	w.chat.Consent, w.chat.Enqueue = w.consent, w.outbox.Enqueue
	w.outbox.Guard = w.chat.Guard
	w.pipe.Consent, w.pipe.Router = w.consent, w.chat
	if _, err := w.consent.SetText(ctx, "test", "v1", "This chat is recorded. Reply ACCEPT or DECLINE."); err != nil {
		t.Fatal(err)
	}
	conn := &signal.Connector{Client: client, Logger: logger,
		Capture: func(ctx context.Context, it *steward.Item) error {
			_, err := w.pipe.Capture(ctx, it)
			return err
		}}
	done := make(chan struct{}, 2)
	go func() { conn.Run(ctx); done <- struct{}{} }()
	go func() { w.outbox.Run(ctx); done <- struct{}{} }()
	// Registered after the stack's clean-up, so it runs first: the
	// goroutines stop before the log and database close.
	t.Cleanup(func() {
		cancel()
		<-done
		<-done
		w.sim.Close()
		srv.Close()
	})

	w.employee = &steward.Employee{UserName: "marcus@agency.example.gov", DisplayName: "Marcus Ortega", Active: true}
	if err := db.CreateEmployee(ctx, w.employee); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateIdentity(ctx, &steward.Identity{EmployeeID: w.employee.ID, Channel: "signal", Address: testAccount,
		Mode: steward.IdentityGoverned, Status: steward.IdentityActive}); err != nil {
		t.Fatal(err)
	}
	w.account = testAccount
	return w
}

// eventually polls cond until it holds or 10 s pass.
func (w *world) eventually(what string, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.t.Fatalf("timed out waiting until %s", what)
}

func (w *world) contactState(id string) steward.ConsentState {
	c, err := w.db.ContactByID(w.ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return c.ConsentState
}

// messages returns the employee's view of a conversation.
func (w *world) messages(convID string) []chat.MessageView {
	w.t.Helper()
	_, ms, err := w.chat.Messages(w.ctx, w.employee.ID, convID, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	return ms
}
