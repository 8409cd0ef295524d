package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/keys"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// RecordResponse is a decrypted archive record.
type RecordResponse struct {
	RecordID       string             `json:"record_id"`
	LeafIndex      int64              `json:"leaf_index"`
	Kind           steward.RecordKind `json:"kind"`
	IdempotencyKey string             `json:"idempotency_key"`
	CapturedAt     time.Time          `json:"captured_at"`
	Meta           json.RawMessage    `json:"meta"`
	Content        *steward.Content   `json:"content,omitempty"`
	Shredded       bool               `json:"shredded"`
}

// auditRead records a read of content before the content is released. If
// the audit record cannot be made durable, the read is refused: an
// unrecorded read must not happen. Someone who was not a participant
// reads only for a stated purpose (a case, a review assignment, a FOIA
// request: ?purpose=FOIA-2026-0412), which the audit record keeps; a read
// without one is Invalid.
func (s *Server) auditRead(r *http.Request, action, subject string) error {
	purpose := strings.TrimSpace(r.URL.Query().Get("purpose"))
	if purpose == "" || len(purpose) > 256 {
		return steward.E(steward.Op("httpapi.auditRead"), steward.Invalid,
			"state the purpose of this read (?purpose=, e.g. a case, review assignment or FOIA request number; at most 256 characters)")
	}
	_, err := s.Pipeline.Audit(r.Context(), pipeline.AuditEntry{
		Actor: actor(r.Context()), Action: action, Subject: subject,
		Details: map[string]any{"purpose": purpose, "remote": r.RemoteAddr},
	})
	return err
}

// getRecord is GET /api/v1/records/{id}: the record with its content
// decrypted, unless disposition destroyed its key. Audited.
func (s *Server) getRecord(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.getRecord"
	rec, err := s.Store.RecordByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if err := s.auditRead(r, "record.read", rec.ID); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	resp := RecordResponse{RecordID: rec.ID, LeafIndex: rec.LeafIndex, Kind: rec.Kind,
		IdempotencyKey: rec.IdempotencyKey, CapturedAt: rec.CapturedAt, Meta: rec.Meta, Shredded: rec.Shredded()}
	if !rec.Shredded() {
		plain, err := s.Opener.OpenRecord(r.Context(), rec)
		if err != nil {
			s.writeError(w, r, steward.E(op, err))
			return
		}
		var c steward.Content
		if err := json.Unmarshal(plain, &c); err != nil {
			s.writeError(w, r, steward.E(op, steward.Internal, err))
			return
		}
		resp.Content = &c
	}
	writeJSON(w, http.StatusOK, resp)
}

// getRecordBlob is GET /api/v1/records/{id}/blob: an attachment's bytes,
// decrypted. Audited. Gone once shredded.
func (s *Server) getRecordBlob(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.getRecordBlob"
	rec, err := s.Store.RecordByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	var meta steward.RecordMeta
	if err := json.Unmarshal(rec.Meta, &meta); err != nil || rec.Kind != steward.RecordAttachment || meta.Blob == nil {
		s.writeError(w, r, steward.E(op, steward.NotFound, "record is not an attachment"))
		return
	}
	if err := s.auditRead(r, "attachment.read", rec.ID); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	plain, err := s.Opener.OpenRecord(r.Context(), rec)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	var c steward.Content
	if err := json.Unmarshal(plain, &c); err != nil || len(c.Attachments) != 1 {
		s.writeError(w, r, steward.E(op, steward.Internal, "attachment content malformed", err))
		return
	}
	dek, err := s.Opener.RecordKey(r.Context(), rec)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	defer keys.Zero(dek)
	rc, err := s.Blobs.Get(r.Context(), meta.Blob.Key)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	sealed, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		s.writeError(w, r, steward.E(op, steward.Unavailable, err))
		return
	}
	data, err := keys.OpenBytes(dek, []byte(rec.ID+"/blob"), sealed)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	a := c.Attachments[0]
	ct := a.ContentType
	if ct == "" || strings.ContainsAny(ct, "\r\n") {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	// Always a download: attachment bytes are untrusted and must never render inline.
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+urlPathEscape(a.Filename))
	w.Header().Set("Content-Security-Policy", "sandbox")
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, bytes.NewReader(data))
}

// getRecordProof is GET /api/v1/records/{id}/proof: an inclusion proof
// against the latest checkpoint, issuing one if none covers the record yet.
func (s *Server) getRecordProof(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.getRecordProof"
	rec, err := s.Store.RecordByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	cp, err := s.Log.Checkpoint(r.Context(), rec.LeafIndex+1)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	p, err := s.Log.InclusionProof(r.Context(), rec.LeafIndex, cp)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// CheckpointResponse is the latest signed checkpoint.
type CheckpointResponse struct {
	Size      int64     `json:"size"`
	Root      string    `json:"root"` // standard base64
	Note      string    `json:"note"` // the signed note, verbatim
	CreatedAt time.Time `json:"created_at"`
}

// getCheckpoint is GET /api/v1/checkpoint: a signed checkpoint covering
// every record committed when the request arrived, signed now if the
// latest one is older. With Accept: text/plain it returns the bare signed
// note, ready to save for `steward verify --checkpoint`.
func (s *Server) getCheckpoint(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.getCheckpoint"
	cp, err := s.Log.Checkpoint(r.Context(), s.Log.Size())
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if strings.Contains(r.Header.Get("Accept"), "text/plain") {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(cp.Note)
		return
	}
	writeJSON(w, http.StatusOK, CheckpointResponse{Size: cp.Size, Root: base64.StdEncoding.EncodeToString(cp.Root[:]),
		Note: string(cp.Note), CreatedAt: cp.CreatedAt})
}
