package chat

import (
	"context"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// Route is the pipeline's inbox router: after durable capture it tells
// every employee in the conversation that something arrived. Held and
// blocked items reach no one; the employee hears about the contact
// instead (see ContactChanged).
func (s *Service) Route(ctx context.Context, c *pipeline.Captured) {
	if c.Conversation == nil || c.Hold == pipeline.HoldItem || c.Hold == pipeline.Blocked {
		return
	}
	ev := Event{Type: "message", ConversationID: c.Conversation.ID, RecordID: c.Ref.ID}
	if c.Item.Type != steward.EventMessage {
		ev.Type = string(c.Item.Type)
	}
	members, err := s.Store.Members(ctx, c.Conversation.ID)
	if err != nil {
		s.logger().Error("chat: route: members", "conversation", c.Conversation.ID, "err", err)
		return
	}
	seen := map[string]bool{}
	for _, m := range members {
		id, err := s.Store.IdentityByAddress(ctx, c.Conversation.Channel, m.Address)
		if err != nil || seen[id.EmployeeID] {
			continue
		}
		seen[id.EmployeeID] = true
		s.Hub.Publish(id.EmployeeID, ev)
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
