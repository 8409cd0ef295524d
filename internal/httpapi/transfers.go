package httpapi

import (
	"net/http"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
	"github.com/steward-gov/steward/internal/transfer"
)

// TransferRequest is the body of POST /api/v1/transfers: either the
// records to transfer, or Due for every record whose transfer is due
// (now, or by the end of Through, a past date, YYYY-MM-DD, UTC).
type TransferRequest struct {
	Records []string `json:"records,omitempty"`
	Due     bool     `json:"due,omitempty"`
	Through string   `json:"through,omitempty"`
}

// TransferResponse describes a package built, or why none was: with Due,
// Held lists the records a legal hold keeps back, and Package is nil when
// nothing is due.
type TransferResponse struct {
	Package *transfer.Summary    `json:"package"`
	Held    []transfer.Candidate `json:"held"`
}

// maxTransferRequest bounds the request body: 100,000 record ids fit.
const maxTransferRequest = 8 << 20

// PostTransfer is POST /api/v1/transfers: it builds a transfer package
// into DATA/transfers/<package id> on the server and answers 201 with its
// summary. Reading the records' content is audited by transfer.Build
// (purpose "transfer", the caller as actor). A package holds plaintext:
// the directory is owner-only, and the package belongs on transfer media,
// not on the server, once verified. Errors: Invalid for a request with
// both or neither of records and due, or a bad or future date; those of
// transfer.Build otherwise.
func (x *Exports) PostTransfer(s *Server, w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.PostTransfer"
	var req TransferRequest
	if err := decodeJSON(r.Body, maxTransferRequest, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	switch {
	case (len(req.Records) == 0) == !req.Due:
		s.writeError(w, r, steward.E(op, steward.Invalid, "give either records or due"))
		return
	case req.Through != "" && !req.Due:
		s.writeError(w, r, steward.E(op, steward.Invalid, "through goes with due"))
		return
	}
	resp := TransferResponse{Held: []transfer.Candidate{}}
	ids := req.Records
	if req.Due {
		now := s.now()
		at := now
		if req.Through != "" {
			d, err := time.Parse(time.DateOnly, req.Through)
			if err != nil || d.AddDate(0, 0, 1).Add(-time.Nanosecond).After(now) {
				s.writeError(w, r, steward.E(op, steward.Invalid, "through must be a past date such as 2041-12-31"))
				return
			}
			at = d.AddDate(0, 0, 1).Add(-time.Nanosecond)
		}
		sel, err := transfer.Due(r.Context(), s.Store, at, nil)
		if err != nil {
			s.writeError(w, r, steward.E(op, err))
			return
		}
		resp.Held, ids = sel.Held, sel.IDs()
		if len(ids) == 0 {
			writeJSON(w, http.StatusOK, resp)
			return
		}
	}
	id := steward.NewID()
	m, err := transfer.Build(r.Context(), transfer.Deps{
		Store: s.Store, Log: s.Log, Reader: &pipeline.Reader{Records: s.Store, Opener: s.Opener, Blobs: s.Blobs},
		Audit: s.Pipeline, Signer: x.Signer, PublicKey: x.PublicKey, Actor: actor(r.Context()), PackageID: id, Now: s.Now,
	}, ids, filepath.Join(x.Dir, id), nil)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	sum := m.Summary()
	resp.Package = &sum
	writeJSON(w, http.StatusCreated, resp)
}

// TransferReport is the answer of GET /api/v1/transfers/{id}.
type TransferReport struct {
	ID     string           `json:"id"`
	OK     bool             `json:"ok"`
	Verify *transfer.Report `json:"verify"`
}

// GetTransfer is GET /api/v1/transfers/{id}: it verifies a package built
// by PostTransfer, with the log's public key, and answers with the
// verification report ("ok" true only when every check held). NotFound
// for an unknown id.
func (x *Exports) GetTransfer(s *Server, w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.GetTransfer"
	id := r.PathValue("id")
	// Package ids are UUIDs (PostTransfer makes them), so no other name
	// can reach outside the transfers directory.
	if u, err := uuid.Parse(id); err != nil || u.String() != id {
		s.writeError(w, r, steward.E(op, steward.NotFound, "no such transfer package"))
		return
	}
	rep, err := transfer.Verify(filepath.Join(x.Dir, id), transfer.VerifyOptions{PublicKey: x.PublicKey})
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, TransferReport{ID: id, OK: rep.OK(), Verify: rep})
}
