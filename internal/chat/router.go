package chat

import (
	"context"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// Route is the pipeline's inbox router: after durable capture it tells
// every employee in the conversation that something arrived. Held,
// blocked and quarantined items reach no one: the employee hears about
// the contact instead (see ContactChanged), and a sender learns of a
// policy hold from the answer to their send.
func (s *Service) Route(ctx context.Context, c *pipeline.Captured) {
	switch {
	case c.Conversation == nil, c.Hold == pipeline.HoldItem, c.Hold == pipeline.Blocked,
		c.Hold == pipeline.Quarantined, c.Hold == pipeline.Confirm:
		return
	}
	ev := Event{Type: "message", ConversationID: c.Conversation.ID, RecordID: c.Ref.ID}
	if c.Item.Type != steward.EventMessage {
		ev.Type = string(c.Item.Type)
	}
	s.publishMembers(ctx, c.Conversation, ev)
}

// publishMembers tells every employee in the conversation (and the
// successor of any who departed) about ev.
func (s *Service) publishMembers(ctx context.Context, conv *steward.Conversation, ev Event) {
	members, err := s.Store.Members(ctx, conv.ID)
	if err != nil {
		s.logger().Error("chat: route: members", "conversation", conv.ID, "err", err)
		return
	}
	seen := map[string]bool{}
	for _, m := range members {
		id, err := s.Store.IdentityByAddress(ctx, conv.Channel, m.Address)
		if err != nil || seen[id.EmployeeID] {
			continue
		}
		seen[id.EmployeeID] = true
		s.Hub.Publish(id.EmployeeID, ev)
		// A departed employee's conversations pass to their manager.
		if e, err := s.Store.EmployeeByID(ctx, id.EmployeeID); err == nil && !e.Active {
			if mgr, err := steward.SuccessorID(ctx, s.Store, e); err == nil && mgr != "" && !seen[mgr] {
				seen[mgr] = true
				s.Hub.Publish(mgr, ev)
			}
		}
	}
}

// ContactChanged tells the contact's employee that its consent state
// changed. consent.Service calls it.
func (s *Service) ContactChanged(c *steward.Contact) {
	s.Hub.Publish(c.EmployeeID, Event{Type: "contact", ContactID: c.ID})
}

// DeliveryChanged tells the sender that a delivery moved. The outbox
// calls it.
func (s *Service) DeliveryChanged(d *steward.Delivery) {
	ctx := context.Background()
	id, err := s.Store.IdentityByAddress(ctx, d.Channel, d.Account)
	if err != nil {
		return
	}
	s.Hub.Publish(id.EmployeeID, Event{Type: "delivery", ConversationID: d.ConversationID, RecordID: d.RecordID})
}

// Guard is the outbox's last check before an item leaves: every outside
// recipient must still have active consent, since a contact may decline
// or send STOP while a message waits in the queue, and the sender must
// still be allowed to send. Consent requests themselves always go (unless
// the sender was offboarded). Returns ConsentRequired or Permission to
// cancel the delivery.
func (s *Service) Guard(ctx context.Context, d *steward.Delivery, rec *steward.Record, c *steward.Content) error {
	id, err := s.Store.IdentityByAddress(ctx, d.Channel, d.Account)
	if err != nil {
		return err
	}
	// An offboarded employee's identities are suspended at once; what they
	// queued before leaving does not go out after.
	if id.Status == steward.IdentitySuspended {
		return steward.E(steward.Permission, "not sent: the sender's work identity is suspended")
	}
	if rec.Kind == steward.RecordConsent {
		return nil
	}
	addrs := make([]string, 0, len(c.Recipients))
	for _, r := range c.Recipients {
		addrs = append(addrs, r.Address)
	}
	if c.Conversation.ID != "" && c.Conversation.Kind != steward.ConversationDirect && rec.ConversationID != "" {
		ms, err := s.Store.Members(ctx, rec.ConversationID)
		if err != nil {
			return err
		}
		addrs = addrs[:0]
		for _, m := range ms {
			addrs = append(addrs, m.Address)
		}
	}
	for _, a := range addrs {
		if a == d.Account {
			continue
		}
		if _, err := s.Store.IdentityByAddress(ctx, d.Channel, a); err == nil {
			continue // a colleague
		}
		ct, err := s.Store.ContactByAddress(ctx, id.EmployeeID, d.Channel, a)
		if steward.Is(steward.NotFound, err) || err == nil && ct.ConsentState != steward.ConsentActive {
			return steward.E(steward.ConsentRequired, "not sent: the recipient's consent ended while the message waited")
		} else if err != nil {
			return err
		}
	}
	return nil
}
