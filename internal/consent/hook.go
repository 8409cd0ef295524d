package consent

import (
	"context"
	"strconv"
	"time"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// Consent is the pipeline's ConsentHook. Parties must already be resolved
// (Party.EmployeeID set for work identities). It decides per item:
//
//   - consent and delivery items, receipts and membership changes flow;
//   - outbound items (already sent: linked phones, the capture API) flow,
//     flagged FlagNoConsent when an outside recipient has not consented
//     (Steward's own send path refuses before capture, see chat.Send);
//   - an inbound direct message from an outside party is matched against
//     the consent keywords and moves the contact's state; from an unknown
//     number it creates a pending contact, sends the notice and is held;
//     while consent is pending it is held; after a decline or revocation
//     it is blocked (archived, never shown).
//
// State changes are archived before the item that caused them is, so a
// reply acknowledged to the channel always finds its effect in the log.
func (s *Service) Consent(ctx context.Context, it *steward.Item) (pipeline.Hold, error) {
	switch it.Type {
	case steward.EventConsent, steward.EventDelivery, steward.EventReceipt, steward.EventMembership:
		return pipeline.Deliver, nil
	}
	switch it.Direction {
	case steward.DirOutbound:
		return s.outbound(ctx, it)
	case steward.DirInbound:
		return s.inbound(ctx, it)
	}
	return pipeline.Deliver, nil
}

func (s *Service) outbound(ctx context.Context, it *steward.Item) (pipeline.Hold, error) {
	emp := it.Sender.EmployeeID
	if emp == "" {
		return pipeline.Deliver, nil
	}
	for _, r := range it.Recipients {
		if r.EmployeeID != "" {
			continue
		}
		c, err := s.Store.ContactByAddress(ctx, emp, it.Channel, r.Address)
		if steward.Is(steward.NotFound, err) || err == nil && c.ConsentState != steward.ConsentActive {
			return FlagNoConsent, nil
		} else if err != nil {
			return "", err
		}
	}
	return pipeline.Deliver, nil
}

// recipientEmployee returns the work identity an inbound item reached.
func recipientEmployee(it *steward.Item) (steward.Party, bool) {
	for _, r := range it.Recipients {
		if r.EmployeeID != "" {
			return r, true
		}
	}
	return steward.Party{}, false
}

func (s *Service) inbound(ctx context.Context, it *steward.Item) (pipeline.Hold, error) {
	if it.Sender.EmployeeID != "" {
		return pipeline.Deliver, nil // a colleague
	}
	me, ok := recipientEmployee(it)
	if !ok {
		return pipeline.Deliver, nil // reached no one we govern; captured as is
	}
	group := it.Conversation.ID != "" && it.Conversation.Kind != steward.ConversationDirect
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.Store.ContactByAddress(ctx, me.EmployeeID, it.Channel, it.Sender.Address)
	if err != nil && !steward.Is(steward.NotFound, err) {
		return "", err
	}
	if group {
		// Groups carry no consent dialogue: an outside member speaks only
		// once they have consented one to one with this employee.
		if c != nil && c.ConsentState == steward.ConsentActive {
			return pipeline.Deliver, nil
		}
		return pipeline.HoldItem, nil
	}
	reply := steward.ReplyOther
	if it.Type == steward.EventMessage {
		reply = steward.MatchReply(it.Body, s.keywords())
	}
	if c == nil {
		if it.Type != steward.EventMessage {
			return pipeline.HoldItem, nil
		}
		return s.unknown(ctx, it, me)
	}
	switch c.ConsentState {
	case steward.ConsentPending:
		switch reply {
		case steward.ReplyAccept:
			return pipeline.Deliver, s.transition(ctx, c, me.Address, steward.ConsentActive, "Accepted by reply", it.ChannelMessageID)
		case steward.ReplyDecline:
			return pipeline.Blocked, s.transition(ctx, c, me.Address, steward.ConsentDeclined, "Declined by reply", it.ChannelMessageID)
		case steward.ReplyStop:
			return pipeline.Blocked, s.transition(ctx, c, me.Address, steward.ConsentRevoked, "STOP received", it.ChannelMessageID)
		}
		return pipeline.HoldItem, nil
	case steward.ConsentActive:
		if reply == steward.ReplyStop {
			return pipeline.Deliver, s.transition(ctx, c, me.Address, steward.ConsentRevoked, "STOP received", it.ChannelMessageID)
		}
		if s.Config.Reconsent && it.Type == steward.EventMessage {
			cur, err := s.Store.CurrentConsentText(ctx)
			if err == nil && cur.Version != c.ConsentVersion {
				id, err := s.identityAt(ctx, it.Channel, me)
				if err != nil {
					return "", err
				}
				if err := s.request(ctx, c, id, "again: the recording notice changed"); err != nil {
					return "", err
				}
				return pipeline.HoldItem, nil
			}
		}
		return pipeline.Deliver, nil
	case steward.ConsentExpired:
		if it.Type != steward.EventMessage {
			return pipeline.HoldItem, nil
		}
		if reply == steward.ReplyAccept { // a late yes still counts
			return pipeline.Deliver, s.transition(ctx, c, me.Address, steward.ConsentActive, "Accepted by reply", it.ChannelMessageID)
		}
		id, err := s.identityAt(ctx, it.Channel, me)
		if err != nil {
			return "", err
		}
		if err := s.request(ctx, c, id, "again: they wrote after the last request expired"); err != nil {
			return "", err
		}
		return pipeline.HoldItem, nil
	default: // declined, revoked: only an explicit yes re-opens
		if reply == steward.ReplyAccept {
			return pipeline.Deliver, s.transition(ctx, c, me.Address, steward.ConsentActive, "Opted in again by reply", it.ChannelMessageID)
		}
		return pipeline.Blocked, nil
	}
}

// unknown handles a first message from a number the employee has never
// added: the number becomes a pending contact and is sent the notice; the
// message waits for the answer.
func (s *Service) unknown(ctx context.Context, it *steward.Item, me steward.Party) (pipeline.Hold, error) {
	id, err := s.identityAt(ctx, it.Channel, me)
	if err != nil {
		return "", err
	}
	c := &steward.Contact{EmployeeID: me.EmployeeID, Channel: it.Channel, Address: it.Sender.Address,
		DisplayName: it.Sender.Name, ConsentState: steward.ConsentPending}
	if err := s.Store.CreateContact(ctx, c); err != nil {
		return "", err
	}
	if err := s.request(ctx, c, id, "automatically: they wrote first"); err != nil {
		return "", err
	}
	it.Sender.ContactID = c.ID
	return pipeline.HoldItem, nil
}

// identityAt returns the identity an item reached.
func (s *Service) identityAt(ctx context.Context, ch steward.Channel, me steward.Party) (*steward.Identity, error) {
	return s.Store.IdentityByAddress(ctx, ch, me.Address)
}

// Sweep expires every pending request older than the configured expiry and
// returns how many it expired. Run calls it periodically.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	const op steward.Op = "consent.Sweep"
	cutoff := s.now().Add(-s.expiry())
	n := 0
	for {
		cs, err := s.Store.PendingContactsBefore(ctx, cutoff, 100)
		if err != nil {
			return n, steward.E(op, err)
		}
		if len(cs) == 0 {
			return n, nil
		}
		for _, c := range cs {
			if err := s.expire(ctx, c.ID, cutoff); err != nil {
				return n, steward.E(op, err)
			}
			n++
		}
	}
}

func (s *Service) expire(ctx context.Context, id string, cutoff time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.Store.ContactByID(ctx, id)
	if err != nil {
		return err
	}
	if c.ConsentState != steward.ConsentPending || c.RequestedAt == nil || !c.RequestedAt.Before(cutoff) {
		return nil // answered meanwhile
	}
	ids, err := s.Store.IdentitiesByEmployee(ctx, c.EmployeeID)
	if err != nil {
		return err
	}
	account := ""
	for _, id := range ids {
		if id.Channel == c.Channel {
			account = id.Address
		}
	}
	days := int(s.expiry().Hours() / 24)
	reason := "No reply within " + strconv.Itoa(days) + " days"
	if days < 1 {
		reason = "No reply within " + s.expiry().String()
	}
	return s.transition(ctx, c, account, steward.ConsentExpired, reason, "")
}

// Run sweeps for expired requests every interval until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.logger().Error("consent: expiry sweep failed", "err", err)
		} else if n > 0 {
			s.logger().Info("consent: requests expired", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
