package chat

import "sync"

// Hub fans live events out to each employee's open streams. A slow
// subscriber loses events rather than slowing capture: events carry no
// content and a client that missed one refetches anyway.
type Hub struct {
	mu     sync.Mutex
	subs   map[string]map[chan Event]struct{}
	closed bool
}

// Close ends every subscription, so open streams finish and a server can
// shut down; later subscriptions end at once.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for emp, chans := range h.subs {
		for ch := range chans {
			close(ch)
		}
		delete(h.subs, emp)
	}
}

// Subscribe returns a channel of the employee's events and a function
// that ends the subscription.
func (h *Hub) Subscribe(employeeID string) (<-chan Event, func()) {
	ch := make(chan Event, 64)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		close(ch)
		return ch, func() {}
	}
	if h.subs == nil {
		h.subs = map[string]map[chan Event]struct{}{}
	}
	if h.subs[employeeID] == nil {
		h.subs[employeeID] = map[chan Event]struct{}{}
	}
	h.subs[employeeID][ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if _, ok := h.subs[employeeID][ch]; !ok {
				return // Close got there first
			}
			delete(h.subs[employeeID], ch)
			if len(h.subs[employeeID]) == 0 {
				delete(h.subs, employeeID)
			}
			close(ch)
		})
	}
}

// Publish sends ev to every stream of the employee, dropping it for
// streams whose buffer is full.
func (h *Hub) Publish(employeeID string, ev Event) {
	if employeeID == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[employeeID] {
		select {
		case ch <- ev:
		default:
		}
	}
}
