// Package consent runs the consent lifecycle: nothing flows between an
// employee and an outside contact until the contact has accepted a
// recording notice.
//
//	                 ACCEPT/YES                STOP
//	(add or first ─▶ pending ──────────▶ active ──────▶ revoked
//	  message in)       │  DECLINE/NO                      │ ACCEPT
//	                    ├──────────▶ declined ◀────────────┘ (re-opts in)
//	                    │  no reply in Expiry
//	                    └──────────▶ expired ──(next message)──▶ pending
//
// Every request, reply and change of state is archived through the
// pipeline in the conversation it concerns, so a records officer can show
// for any contact what they agreed to (text version and hash) and when.
// The Service is also the pipeline's ConsentHook: it decides whether an
// item may reach its recipient (Deliver), waits for consent (HoldItem), or
// must never be shown (Blocked). It never prevents capture.
package consent

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// Config is the organization's consent policy.
type Config struct {
	// Keywords per language; nil means steward.DefaultKeywords.
	Keywords map[string]steward.Keywords
	// Expiry is how long a request waits for a reply (default 7 days).
	Expiry time.Duration
	// Reconsent asks active contacts again, on their next message, when
	// the consent text has changed since they accepted.
	Reconsent bool
}

// FlagNoConsent marks an outbound item captured after the fact (sent from
// a linked phone, or reported through the capture API) to a party who had
// not consented. Steward could not stop it; it records it and says so.
const FlagNoConsent pipeline.Hold = "no_consent"

// Item.Extra keys of consent items.
const (
	ExtraAction  = "consent_action" // request, state
	ExtraVersion = "consent_version"
	ExtraSHA256  = "consent_text_sha256"
	ExtraFrom    = "consent_from"
	ExtraTo      = "consent_to"
	ExtraReason  = "consent_reason"
	ExtraReply   = "consent_reply_channel_message_id"
	ExtraContact = "contact_id"
)

// Service runs the lifecycle. cmd/steward sets every field but Logger and
// Now before use.
type Service struct {
	Store steward.Store
	// Capture archives an item through the pipeline and returns once it
	// is durable.
	Capture func(ctx context.Context, it *steward.Item) (*pipeline.Captured, error)
	// Enqueue hands an archived outbound record to the outbox.
	Enqueue func(ctx context.Context, d *steward.Delivery) error
	// Changed, if set, is told of every contact whose state changed, after
	// the change is archived (the inbox pushes it live; the directory
	// cache drops stale lookups).
	Changed func(c *steward.Contact)
	Config  Config
	Logger  *slog.Logger
	Now     func() time.Time

	mu sync.Mutex // serializes state changes, so two replies cannot race one contact
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Service) expiry() time.Duration {
	if s.Config.Expiry > 0 {
		return s.Config.Expiry
	}
	return 7 * 24 * time.Hour
}

func (s *Service) keywords() map[string]steward.Keywords {
	if len(s.Config.Keywords) > 0 {
		return s.Config.Keywords
	}
	return steward.DefaultKeywords
}

// SetText makes text the current consent notice under version (derived
// from the text's hash when empty). Callers audit the change. Returns
// Invalid for an empty or over-long text, Conflict if version names a
// different text.
func (s *Service) SetText(ctx context.Context, actor, version, text string) (*steward.ConsentText, error) {
	const op steward.Op = "consent.SetText"
	text = strings.TrimSpace(text)
	if text == "" || len(text) > 2000 {
		return nil, steward.E(op, steward.Invalid, "the consent text must be 1-2000 bytes")
	}
	digest := steward.TextDigest(text)
	if version = strings.TrimSpace(version); version == "" {
		version = "sha256-" + digest[:12]
	}
	if len(version) > 64 {
		return nil, steward.E(op, steward.Invalid, "the version is limited to 64 bytes")
	}
	t := &steward.ConsentText{Version: version, Text: text, SHA256: digest, CreatedAt: s.now(), CreatedBy: actor}
	if err := s.Store.AddConsentText(ctx, t); err != nil {
		return nil, steward.E(op, err)
	}
	return s.Store.ConsentTextByVersion(ctx, version)
}

// Request adds an outside contact for an employee in state pending and
// sends them the current consent notice from the employee's work identity
// on that channel. An expired contact is asked again. Returns Invalid for
// a bad address, NotFound for an unknown employee, Permission if the
// employee is inactive or has no usable identity on the channel, Conflict
// if the contact is already pending or active, or has declined or revoked
// (only they can re-open it, by writing in), Unavailable if no consent
// text is configured.
func (s *Service) Request(ctx context.Context, employeeID string, ch steward.Channel, address, name string) (*steward.Contact, error) {
	const op steward.Op = "consent.Request"
	address = strings.TrimSpace(address)
	name = strings.TrimSpace(name)
	if !validAddress(ch, address) {
		return nil, steward.E(op, steward.Invalid, "the address must be a phone number in international format, e.g. +14155550123")
	}
	if len(name) > 256 {
		return nil, steward.E(op, steward.Invalid, "the display name is limited to 256 bytes")
	}
	emp, err := s.Store.EmployeeByID(ctx, employeeID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if !emp.Active {
		return nil, steward.E(op, steward.Permission, "the employee is not active")
	}
	id, err := s.identity(ctx, employeeID, ch)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if _, err := s.Store.IdentityByAddress(ctx, ch, address); err == nil {
		return nil, steward.E(op, steward.Invalid, "that address is a colleague's work identity, not an outside contact")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.Store.ContactByAddress(ctx, employeeID, ch, address)
	switch {
	case steward.Is(steward.NotFound, err):
		c = &steward.Contact{EmployeeID: employeeID, Channel: ch, Address: address, DisplayName: name,
			ConsentState: steward.ConsentPending}
		if err := s.Store.CreateContact(ctx, c); err != nil {
			return nil, steward.E(op, err)
		}
	case err != nil:
		return nil, steward.E(op, err)
	case c.ConsentState == steward.ConsentPending:
		return nil, steward.E(op, steward.Conflict, "a consent request to this contact is already waiting for a reply")
	case c.ConsentState == steward.ConsentActive:
		return nil, steward.E(op, steward.Conflict, "this contact is already added and has consented")
	case c.ConsentState == steward.ConsentDeclined || c.ConsentState == steward.ConsentRevoked:
		return nil, steward.Errorf(op, steward.Conflict, "this contact %s; they can opt in again by writing to you", reasonOr(c))
	default: // expired: ask again
		if name != "" {
			c.DisplayName = name
		}
	}
	if err := s.request(ctx, c, id, "by the employee"); err != nil {
		return nil, steward.E(op, err)
	}
	return c, nil
}

func reasonOr(c *steward.Contact) string {
	if c.ConsentReason != "" {
		return strings.ToLower(c.ConsentReason[:1]) + c.ConsentReason[1:]
	}
	return string(c.ConsentState)
}

// identity returns the employee's usable work identity on ch.
func (s *Service) identity(ctx context.Context, employeeID string, ch steward.Channel) (*steward.Identity, error) {
	ids, err := s.Store.IdentitiesByEmployee(ctx, employeeID)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if id.Channel == ch && id.Status == steward.IdentityActive {
			return id, nil
		}
	}
	return nil, steward.Errorf("", steward.Permission, "the employee has no active %s work identity", ch)
}

// request moves c to pending, archives the notice as an outbound consent
// item from the identity, and queues it for sending. Caller holds s.mu.
func (s *Service) request(ctx context.Context, c *steward.Contact, id *steward.Identity, reason string) error {
	text, err := s.Store.CurrentConsentText(ctx)
	if steward.Is(steward.NotFound, err) {
		return steward.E(steward.Conflict, "no consent text is configured; an administrator must set one", err)
	} else if err != nil {
		return err
	}
	now := s.now()
	from := c.ConsentState
	c.ConsentState, c.ConsentVersion, c.ConsentReason = steward.ConsentPending, text.Version, "Consent requested "+reason
	c.RequestedAt, c.ConsentChangedAt, c.UpdatedAt = &now, &now, now
	it := &steward.Item{
		Type: steward.EventConsent, Channel: c.Channel, Direction: steward.DirOutbound,
		ChannelMessageID: "consent:" + c.ID + ":request:" + steward.NewID(),
		Sender:           steward.Party{Address: id.Address, EmployeeID: c.EmployeeID},
		Recipients:       []steward.Party{{Address: c.Address, Name: c.DisplayName, ContactID: c.ID}},
		Conversation:     steward.ConversationRef{Kind: steward.ConversationDirect},
		Body:             text.Text,
		SentAt:           now,
		Extra: map[string]any{ExtraAction: "request", ExtraVersion: text.Version, ExtraSHA256: text.SHA256,
			ExtraContact: c.ID, ExtraFrom: string(from), ExtraTo: string(steward.ConsentPending), ExtraReason: c.ConsentReason},
	}
	cap, err := s.Capture(ctx, it)
	if err != nil {
		return err
	}
	// The request is archived; only now does the contact's state say so.
	if err := s.Store.UpdateContact(ctx, c); err != nil {
		return err
	}
	if err := s.Store.AddConsentEvent(ctx, &steward.ConsentEvent{ContactID: c.ID, RecordID: cap.Ref.ID,
		Action: "request", State: steward.ConsentPending, Version: text.Version, At: now}); err != nil {
		return err
	}
	if err := s.Enqueue(ctx, &steward.Delivery{RecordID: cap.Ref.ID, Channel: c.Channel, Account: id.Address,
		Op: steward.SendMessage}); err != nil && !steward.Is(steward.Conflict, err) {
		return err
	}
	s.changed(c)
	return nil
}

func (s *Service) changed(c *steward.Contact) {
	if s.Changed != nil {
		s.Changed(c)
	}
}

// transition archives a change of c's state and stores it. reply is the
// channel id of the message that caused it, if any. Caller holds s.mu.
func (s *Service) transition(ctx context.Context, c *steward.Contact, account string, to steward.ConsentState, reason, reply string) error {
	now := s.now()
	from := c.ConsentState
	it := &steward.Item{
		Type: steward.EventConsent, Channel: c.Channel,
		ChannelMessageID: "consent:" + c.ID + ":" + string(to) + ":" + steward.NewID(),
		Conversation:     steward.ConversationRef{Kind: steward.ConversationDirect},
		SentAt:           now,
		Extra: map[string]any{ExtraAction: "state", ExtraFrom: string(from), ExtraTo: string(to),
			ExtraVersion: c.ConsentVersion, ExtraReason: reason, ExtraContact: c.ID},
	}
	employee := steward.Party{Address: account, EmployeeID: c.EmployeeID}
	contact := steward.Party{Address: c.Address, Name: c.DisplayName, ContactID: c.ID}
	if reply != "" { // the contact decided
		it.Direction, it.Sender, it.Recipients = steward.DirInbound, contact, []steward.Party{employee}
		it.Extra[ExtraReply] = reply
	} else { // Steward decided (expiry)
		it.Direction, it.Sender, it.Recipients = steward.DirOutbound, employee, []steward.Party{contact}
	}
	if t, err := s.Store.ConsentTextByVersion(ctx, c.ConsentVersion); err == nil {
		it.Extra[ExtraSHA256] = t.SHA256
	}
	cap, err := s.Capture(ctx, it)
	if err != nil {
		return err
	}
	c.ConsentState, c.ConsentReason, c.ConsentChangedAt, c.UpdatedAt = to, reason, &now, now
	if err := s.Store.UpdateContact(ctx, c); err != nil {
		return err
	}
	if err := s.Store.AddConsentEvent(ctx, &steward.ConsentEvent{ContactID: c.ID, RecordID: cap.Ref.ID,
		Action: "state", State: to, Version: c.ConsentVersion, At: now}); err != nil {
		return err
	}
	s.changed(c)
	return nil
}

// validAddress checks the address form a channel uses. Signal contacts are
// added by phone number; other channels accept any printable address.
func validAddress(ch steward.Channel, a string) bool {
	if a == "" || len(a) > 64 || strings.ContainsAny(a, " \t\r\n") {
		return false
	}
	if ch != "signal" {
		return true
	}
	if len(a) < 8 || len(a) > 16 || a[0] != '+' || a[1] == '0' {
		return false
	}
	for _, r := range a[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
