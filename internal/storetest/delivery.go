package storetest

import (
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

func testDeliveries(t *testing.T, open func(t *testing.T) steward.Store) {
	t.Run("Enqueue", func(t *testing.T) {
		s := open(t)
		d := &steward.Delivery{RecordID: steward.NewID(), Channel: "signal", Account: "+15550100",
			Op: steward.SendMessage, ConversationID: steward.NewID()}
		before := time.Now().Add(-time.Second)
		must(t, "EnqueueDelivery", s.EnqueueDelivery(ctx, d))
		if d.ID == "" || d.CreatedAt.Before(before) || d.UpdatedAt.IsZero() {
			t.Fatalf("EnqueueDelivery left ID %q, CreatedAt %v, UpdatedAt %v", d.ID, d.CreatedAt, d.UpdatedAt)
		}
		if !d.NextAttemptAt.Equal(d.CreatedAt) || d.State != steward.DeliveryQueued {
			t.Fatalf("EnqueueDelivery left NextAttemptAt %v (CreatedAt %v), State %q; want due now and queued",
				d.NextAttemptAt, d.CreatedAt, d.State)
		}
		got, err := s.DeliveryByRecord(ctx, d.RecordID)
		must(t, "DeliveryByRecord", err)
		same(t, "DeliveryByRecord", normDelivery(got), normDelivery(d))

		// Every field, given.
		t0 := time.Date(2025, 7, 1, 9, 0, 0, 123456000, time.UTC)
		full := &steward.Delivery{ID: steward.NewID(), RecordID: steward.NewID(), Channel: "signal",
			Account: "+15550100", Op: steward.SendReaction, State: steward.DeliveryRateLimited, Attempts: 3,
			NextAttemptAt: t0.Add(time.Hour), LastError: "rate limited", Challenge: "captcha-token",
			ChannelMessageID: "1751360400123",
			Results:          []steward.RecipientStatus{{Address: "+15550200", Status: steward.StatusRateLimited, Detail: "413"}},
			CreatedAt:        t0, UpdatedAt: t0.Add(time.Minute)}
		must(t, "EnqueueDelivery", s.EnqueueDelivery(ctx, full))
		got, err = s.DeliveryByRecord(ctx, full.RecordID)
		must(t, "DeliveryByRecord", err)
		same(t, "delivery with every field", normDelivery(got), normDelivery(full))

		wantKind(t, "EnqueueDelivery for a record with one", s.EnqueueDelivery(ctx, &steward.Delivery{
			RecordID: d.RecordID, Channel: "signal", Account: "+15550100", Op: steward.SendMessage}), steward.Conflict)
		_, err = s.DeliveryByRecord(ctx, steward.NewID())
		wantKind(t, "DeliveryByRecord unknown", err, steward.NotFound)
		_, err = s.DeliveryByChannelID(ctx, "signal", "no-such-id")
		wantKind(t, "DeliveryByChannelID unknown", err, steward.NotFound)
	})

	t.Run("DueAndUpdate", func(t *testing.T) {
		s := open(t)
		t0 := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
		n := 0
		enqueue := func(state steward.DeliveryState, next time.Duration) *steward.Delivery {
			t.Helper()
			n++
			d := &steward.Delivery{RecordID: steward.NewID(), Channel: "signal", Account: "+15550100",
				Op: steward.SendMessage, State: state, NextAttemptAt: t0.Add(next),
				CreatedAt: t0.Add(time.Duration(n) * time.Second)}
			must(t, "EnqueueDelivery", s.EnqueueDelivery(ctx, d))
			return d
		}
		now := t0.Add(10 * time.Minute)
		late := enqueue(steward.DeliveryQueued, 5*time.Minute)
		early := enqueue(steward.DeliveryQueued, time.Minute)
		limited := enqueue(steward.DeliveryRateLimited, 3*time.Minute)
		enqueue(steward.DeliveryQueued, time.Hour) // not yet due
		enqueue(steward.DeliverySent, 0)
		failed := enqueue(steward.DeliveryFailed, 0)
		enqueue(steward.DeliveryCancelled, 0)
		exact := enqueue(steward.DeliveryQueued, 10*time.Minute) // due at exactly now
		enqueue(steward.DeliveryRateLimited, 11*time.Minute)

		ids := func(list []*steward.Delivery) []string {
			out := []string{}
			for _, d := range list {
				out = append(out, d.ID)
			}
			return out
		}
		due, err := s.DueDeliveries(ctx, now, 10)
		must(t, "DueDeliveries", err)
		same(t, "DueDeliveries, oldest first", ids(due), []string{early.ID, limited.ID, late.ID, exact.ID})
		same(t, "due delivery", normDelivery(due[0]), normDelivery(early))
		due, err = s.DueDeliveries(ctx, now, 2)
		must(t, "DueDeliveries", err)
		same(t, "DueDeliveries limit 2", ids(due), []string{early.ID, limited.ID})
		due, err = s.DueDeliveries(ctx, t0, 10)
		must(t, "DueDeliveries", err)
		same(t, "DueDeliveries before any is due", ids(due), []string{})

		// Sent: the mutable fields change, the others do not.
		upd := *early
		upd.State, upd.Attempts, upd.LastError, upd.Challenge = steward.DeliverySent, 1, "", ""
		upd.ChannelMessageID = "1751360400123"
		upd.Results = []steward.RecipientStatus{
			{Address: "+15550200", Status: steward.StatusSent},
			{Address: "+15550201", Status: steward.StatusUnregistered, Detail: "UNREGISTERED_FAILURE"},
		}
		upd.UpdatedAt = now.Add(time.Second)
		must(t, "UpdateDelivery", s.UpdateDelivery(ctx, &upd))
		tampered := upd
		tampered.RecordID, tampered.Account, tampered.Op = steward.NewID(), "+15550999", steward.SendDelete
		tampered.Channel, tampered.ConversationID, tampered.CreatedAt = "sms", "other", now
		must(t, "UpdateDelivery of immutable fields", s.UpdateDelivery(ctx, &tampered))
		got, err := s.DeliveryByRecord(ctx, early.RecordID)
		must(t, "DeliveryByRecord", err)
		same(t, "updated delivery", normDelivery(got), normDelivery(&upd))
		got, err = s.DeliveryByChannelID(ctx, "signal", upd.ChannelMessageID)
		must(t, "DeliveryByChannelID", err)
		same(t, "DeliveryByChannelID", normDelivery(got), normDelivery(&upd))
		_, err = s.DeliveryByChannelID(ctx, "sms", upd.ChannelMessageID)
		wantKind(t, "DeliveryByChannelID on another channel", err, steward.NotFound)

		// Rate limited again: due later.
		retry := *late
		retry.State, retry.Attempts, retry.NextAttemptAt = steward.DeliveryRateLimited, 1, now.Add(time.Minute)
		retry.LastError, retry.Challenge = "rate limited", "challenge-1"
		must(t, "UpdateDelivery", s.UpdateDelivery(ctx, &retry))
		due, err = s.DueDeliveries(ctx, now, 10)
		must(t, "DueDeliveries", err)
		same(t, "DueDeliveries after updates", ids(due), []string{limited.ID, exact.ID})
		due, err = s.DueDeliveries(ctx, now.Add(time.Minute), 10)
		must(t, "DueDeliveries", err)
		if len(due) != 4 {
			t.Fatalf("DueDeliveries a minute later = %d, want 4", len(due))
		}
		same(t, "DueDeliveries a minute later", ids(due)[:2], []string{limited.ID, exact.ID})
		got, err = s.DeliveryByRecord(ctx, late.RecordID)
		must(t, "DeliveryByRecord", err)
		same(t, "rescheduled delivery", normDelivery(got), normDelivery(&retry))

		wantKind(t, "UpdateDelivery unknown", s.UpdateDelivery(ctx, &steward.Delivery{ID: steward.NewID(),
			State: steward.DeliveryFailed, NextAttemptAt: now}), steward.NotFound)

		// Deliveries: newest first, by state.
		all, err := s.Deliveries(ctx, 100)
		must(t, "Deliveries", err)
		if len(all) != n {
			t.Fatalf("Deliveries = %d, want %d", len(all), n)
		}
		for i := 1; i < len(all); i++ {
			if !all[i-1].CreatedAt.After(all[i].CreatedAt) {
				t.Fatalf("Deliveries not newest first: %v then %v", all[i-1].CreatedAt, all[i].CreatedAt)
			}
		}
		some, err := s.Deliveries(ctx, 3)
		must(t, "Deliveries limit 3", err)
		same(t, "Deliveries limit 3", ids(some), ids(all[:3]))
		some, err = s.Deliveries(ctx, 100, steward.DeliveryFailed)
		must(t, "Deliveries(failed)", err)
		same(t, "Deliveries(failed)", ids(some), []string{failed.ID})
		some, err = s.Deliveries(ctx, 100, steward.DeliveryQueued, steward.DeliverySent)
		must(t, "Deliveries(queued, sent)", err)
		for _, d := range some {
			if d.State != steward.DeliveryQueued && d.State != steward.DeliverySent {
				t.Fatalf("Deliveries(queued, sent) listed a delivery in state %s", d.State)
			}
		}
		if len(some) != 4 { // two queued, the one enqueued sent, and early
			t.Fatalf("Deliveries(queued, sent) = %d, want 4", len(some))
		}
		if some[len(some)-1].ID != early.ID {
			t.Fatalf("Deliveries(queued, sent) ends with %s, want the oldest, %s", some[len(some)-1].ID, early.ID)
		}
	})
}

func normDelivery(d *steward.Delivery) steward.Delivery {
	n := *d
	n.NextAttemptAt, n.CreatedAt, n.UpdatedAt = ts(n.NextAttemptAt), ts(n.CreatedAt), ts(n.UpdatedAt)
	if len(n.Results) == 0 {
		n.Results = nil
	}
	return n
}
