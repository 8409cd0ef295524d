package httpapi

import (
	"net/http"

	"github.com/steward-gov/steward/internal/dlp"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// DLPScanRequest is the body of POST /api/v1/dlp/scan.
type DLPScanRequest struct {
	Text string `json:"text"`
}

// DLPFinding is one detector hit: where, how sure, and whether the value
// passed its detector's validation. The matched text is not echoed: the
// caller has it, and responses are logged by proxies.
type DLPFinding struct {
	Detector   string  `json:"detector"`
	Start      int     `json:"start"`
	End        int     `json:"end"`
	Confidence float64 `json:"confidence"`
	Valid      bool    `json:"valid"`
}

// dlpScan is POST /api/v1/dlp/scan: the built-in detectors run on text the
// caller supplies, for compliance officers and admins testing detection.
// It reads nothing from the archive. Audited (counts only, never the text).
func (s *Server) dlpScan(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.dlpScan"
	var req DLPScanRequest
	if err := decodeJSON(r.Body, 1<<20, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	found := dlp.Scan(req.Text, dlp.Options{})
	out := make([]DLPFinding, 0, len(found))
	for _, f := range found {
		out = append(out, DLPFinding{Detector: f.Detector, Start: f.Start, End: f.End, Confidence: f.Confidence, Valid: f.Valid})
	}
	summary := dlp.Summary(found)
	if _, err := s.Pipeline.Audit(r.Context(), pipeline.AuditEntry{Actor: actor(r.Context()), Action: "dlp.scan",
		Details: map[string]any{"bytes": len(req.Text), "findings": summary}}); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"findings": out, "summary": summary})
}
