package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// AuditEntry is one audit record as auditors read it: who did what to
// what, when, with the sealed details decrypted (details name no message
// content: purposes, token names, scopes, counts).
type AuditEntry struct {
	RecordID   string         `json:"record_id"`
	LeafIndex  int64          `json:"leaf_index"`
	CapturedAt time.Time      `json:"captured_at"`
	Actor      string         `json:"actor"`
	Action     string         `json:"action"`
	Subject    string         `json:"subject,omitempty"`
	Details    map[string]any `json:"details,omitempty"`
	Shredded   bool           `json:"shredded,omitempty"`
}

// listAudit is GET /api/v1/audit: the audit trail, newest first, filtered
// by actor, action (exact, or a prefix ending in "."), subject, since and
// until (RFC 3339) and paged with before (a leaf index). Auditors only;
// the query itself is audited (action audit.read).
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.listAudit"
	q := r.URL.Query()
	f := steward.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Subject: q.Get("subject"), Before: -1}
	var err error
	if f.Limit, err = limitParam(r, 100, 1000); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			if *dst, err = time.Parse(time.RFC3339, v); err != nil {
				s.writeError(w, r, steward.Errorf(op, steward.Invalid, "%s must be an RFC 3339 time", name))
				return
			}
		}
	}
	if b := q.Get("before"); b != "" {
		if f.Before, err = strconv.ParseInt(b, 10, 64); err != nil || f.Before < 0 {
			s.writeError(w, r, steward.E(op, steward.Invalid, "before must be a leaf index"))
			return
		}
	}
	recs, err := s.Store.AuditRecords(r.Context(), f)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if _, err := s.Pipeline.Audit(r.Context(), pipeline.AuditEntry{Actor: actor(r.Context()), Action: "audit.read",
		Details: map[string]any{"filter": q.Encode(), "records": len(recs)}}); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	out := []AuditEntry{}
	rd := s.reader()
	for _, rec := range recs {
		meta, c, err := rd.OpenRecord(r.Context(), rec)
		if err != nil && !steward.Is(steward.Gone, err) {
			s.writeError(w, r, steward.E(op, err))
			return
		}
		e := AuditEntry{RecordID: rec.ID, LeafIndex: rec.LeafIndex, CapturedAt: rec.CapturedAt,
			Actor: meta.Actor, Action: meta.Action, Subject: meta.Subject, Shredded: rec.Shredded()}
		if c != nil {
			e.Details = c.Details
		}
		out = append(out, e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out})
}
