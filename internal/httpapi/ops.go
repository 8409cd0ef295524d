package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// listDeliveries is GET /api/v1/deliveries?state=rate_limited,failed: the
// outbox, newest first, so an admin sees what is stuck and why. It holds
// no content.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.listDeliveries"
	var states []steward.DeliveryState
	for _, st := range splitList(r.URL.Query().Get("state")) {
		switch ds := steward.DeliveryState(st); ds {
		case steward.DeliveryQueued, steward.DeliverySent, steward.DeliveryRateLimited, steward.DeliveryFailed, steward.DeliveryCancelled:
			states = append(states, ds)
		default:
			s.writeError(w, r, steward.Errorf(op, steward.Invalid, "unknown delivery state %q", st))
			return
		}
	}
	limit, err := limitParam(r, 100, 1000)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	ds, err := s.Store.Deliveries(r.Context(), limit, states...)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if ds == nil {
		ds = []*steward.Delivery{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
}

// retryDelivery is POST /api/v1/deliveries/{id}/retry: a failed or
// waiting delivery is attempted again now. Audited.
func (s *Server) retryDelivery(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.retryDelivery"
	id := r.PathValue("id")
	if err := s.Outbox.Retry(r.Context(), id); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if _, err := s.Pipeline.Audit(r.Context(), pipeline.AuditEntry{Actor: actor(r.Context()), Action: "delivery.retry", Subject: id}); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "queued"})
}

// ChallengeRequest is the body of POST /api/v1/identities/{id}/challenge:
// the operator's answer to a channel's rate-limit challenge. Challenge may
// be omitted when the identity has exactly one waiting.
type ChallengeRequest struct {
	Challenge string `json:"challenge,omitempty"`
	Captcha   string `json:"captcha"`
}

// answerChallenge is POST /api/v1/identities/{id}/challenge: pass a solved
// CAPTCHA to the channel and release the identity's waiting deliveries.
// Audited (the captcha itself is not recorded).
func (s *Server) answerChallenge(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.answerChallenge"
	var req ChallengeRequest
	if err := decodeJSON(r.Body, 16<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if req.Captcha == "" {
		s.writeError(w, r, steward.E(op, steward.Invalid, "captcha is required: the token from the solved challenge"))
		return
	}
	id, err := s.Store.IdentityByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	ch := s.Challengers[id.Channel]
	if ch == nil {
		s.writeError(w, r, steward.Errorf(op, steward.Unavailable, "%s challenges cannot be answered here", id.Channel))
		return
	}
	if req.Challenge == "" {
		waiting, err := s.Store.Deliveries(r.Context(), 1000, steward.DeliveryRateLimited)
		if err != nil {
			s.writeError(w, r, steward.E(op, err))
			return
		}
		for _, d := range waiting {
			if d.Account == id.Address && d.Challenge != "" {
				req.Challenge = d.Challenge
				break
			}
		}
		if req.Challenge == "" {
			s.writeError(w, r, steward.E(op, steward.NotFound, "no challenge is waiting for this identity"))
			return
		}
	}
	if err := ch.SubmitRateLimitChallenge(r.Context(), id.Address, req.Challenge, req.Captcha); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if _, err := s.Pipeline.Audit(r.Context(), pipeline.AuditEntry{Actor: actor(r.Context()), Action: "identity.challenge.answer",
		Subject: id.ID}); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if err := s.Outbox.SubmittedChallenge(r.Context(), id.Address); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "accepted"})
}

// captureHealth is GET /api/v1/capture-health: whether every source is
// capturing, which accounts have gone quiet, and recent capture gaps.
func (s *Server) captureHealth(w http.ResponseWriter, r *http.Request) {
	if s.Health == nil {
		writeJSON(w, http.StatusOK, map[string]any{"sources": []any{}})
		return
	}
	writeJSON(w, http.StatusOK, s.Health(r.Context()))
}

// DeadLetter is a dead-letter record's plaintext description. Its sealed
// content (the raw input and the reason) is read through
// GET /api/v1/records/{id}, which is audited.
type DeadLetter struct {
	RecordID   string    `json:"record_id"`
	LeafIndex  int64     `json:"leaf_index"`
	Channel    string    `json:"channel"`
	CapturedAt time.Time `json:"captured_at"`
}

// listDeadLetters is GET /api/v1/dead-letters?before=LEAF&limit=N: input a
// source delivered but Steward could not understand, newest first.
func (s *Server) listDeadLetters(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.listDeadLetters"
	limit, err := limitParam(r, 100, 1000)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	before := int64(-1)
	if b := r.URL.Query().Get("before"); b != "" {
		if before, err = strconv.ParseInt(b, 10, 64); err != nil || before < 0 {
			s.writeError(w, r, steward.E(op, steward.Invalid, "before must be a leaf index"))
			return
		}
	}
	recs, err := s.Store.RecordsByKind(r.Context(), steward.RecordDeadLetter, before, limit)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	out := []DeadLetter{}
	for _, rec := range recs {
		var meta steward.RecordMeta
		_ = json.Unmarshal(rec.Meta, &meta)
		out = append(out, DeadLetter{RecordID: rec.ID, LeafIndex: rec.LeafIndex, Channel: meta.Channel, CapturedAt: rec.CapturedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"dead_letters": out})
}

func limitParam(r *http.Request, def, max int) (int, error) {
	l := r.URL.Query().Get("limit")
	if l == "" {
		return def, nil
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > max {
		return 0, steward.Errorf("", steward.Invalid, "limit must be 1-%d", max)
	}
	return n, nil
}

func splitList(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}
