package httpapi

import (
	"net/http"

	"golang.org/x/mod/sumdb/note"

	"github.com/steward-gov/steward/internal/fra"
	"github.com/steward-gov/steward/internal/records"
	"github.com/steward-gov/steward/internal/steward"
)

// Exports holds what the FRA report and the transfer packages need
// beyond the Server's own fields: the log's note signer and public key,
// and the directory the packages are built in. cmd/steward sets
// Server.Exports; its handlers take the Server they serve, so that the
// route table can call them as (*Server) methods do.
type Exports struct {
	// Signer is the log's checkpoint key, which signs the FRA summary and
	// each package's manifest; PublicKey is its verifier key text.
	Signer    note.Signer
	PublicKey string
	// Dir holds the packages, one directory per package id:
	// DATA/transfers.
	Dir string
}

// GetFRAReport is GET /api/v1/reports/fra[?threshold=20d]: the capture
// lag of every message up to a checkpoint of the whole log, per channel
// and mode, every message over the threshold (default 20 days, 44 U.S.C.
// 2911), and the summary signed with the log key ("signed_summary", a
// C2SP signed note). It reads metadata only, so it is not an audited
// read of content. Invalid for a bad threshold.
func (x *Exports) GetFRAReport(s *Server, w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.GetFRAReport"
	threshold := records.DefaultFRAThreshold
	if q := r.URL.Query().Get("threshold"); q != "" {
		var err error
		if threshold, err = fra.ParseThreshold(q); err != nil {
			s.writeError(w, r, steward.E(op, err))
			return
		}
	}
	var cp *steward.Checkpoint
	if size := s.Log.Size(); size > 0 {
		var err error
		if cp, err = s.Log.Checkpoint(r.Context(), size); err != nil {
			s.writeError(w, r, steward.E(op, err))
			return
		}
	}
	rep, err := fra.Build(r.Context(), s.Store, s.Store, cp, threshold, s.now(), nil)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if err := fra.Sign(rep, x.Signer); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// getFRAReport is GET /api/v1/reports/fra (see Exports.GetFRAReport).
func (s *Server) getFRAReport(w http.ResponseWriter, r *http.Request) {
	s.Exports.GetFRAReport(s, w, r)
}

// postTransfer is POST /api/v1/transfers (see Exports.PostTransfer).
func (s *Server) postTransfer(w http.ResponseWriter, r *http.Request) {
	s.Exports.PostTransfer(s, w, r)
}

// getTransfer is GET /api/v1/transfers/{id} (see Exports.GetTransfer).
func (s *Server) getTransfer(w http.ResponseWriter, r *http.Request) { s.Exports.GetTransfer(s, w, r) }
