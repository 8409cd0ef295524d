package web

import (
	"encoding/base64"
	"html/template"
	"net/http"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/steward"
)

type linkData struct {
	*shell
	Identity *steward.Identity
	Session  *chat.LinkSession
	QR       template.URL // data:image/png;base64,… of the link URI
}

// linkPage is GET /inbox/link/{identity}: start linking Steward as a
// device of the employee's own Signal account and show the link URI as a
// QR code to scan from the phone. The code is rendered here as a PNG in a
// data: URI, so the URI never reaches a third party. The page's script
// polls linkStatus until the phone has linked.
func (s *Server) linkPage(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "web.linkPage"
	sh, err := s.loadShell(r, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &linkData{shell: sh}
	idn := r.PathValue("identity")
	for _, id := range sh.Identities {
		if id.ID == idn {
			d.Identity = id
		}
	}
	if d.Identity == nil {
		s.fail(w, r, steward.E(op, steward.NotFound, "You have no such work identity."))
		return
	}
	d.Session, err = s.Backend.StartLink(r.Context(), employeeOf(r), idn)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Session.URI != "" {
		png, err := qrcode.Encode(d.Session.URI, qrcode.Medium, 320)
		if err != nil {
			s.fail(w, r, steward.E(op, steward.Internal, err))
			return
		}
		d.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	}
	s.render(w, r, http.StatusOK, "link", d)
}

// linkState is what GET /inbox/link/{identity}/status answers: the
// session, and whether it has ended well or badly.
type linkState struct {
	*chat.LinkSession
	Linked bool `json:"linked"`
	Failed bool `json:"failed"`
}

// linkStatus is GET /inbox/link/{identity}/status, polled by the link
// page's script.
func (s *Server) linkStatus(w http.ResponseWriter, r *http.Request) {
	sess, err := s.Backend.LinkStatus(r.Context(), employeeOf(r), r.PathValue("identity"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, linkState{LinkSession: sess, Linked: linkDone(sess), Failed: linkFailed(sess)})
}

func linkDone(l *chat.LinkSession) bool {
	return l.Error == "" && (l.State == "linked" || l.State == string(steward.IdentityActive))
}

func linkFailed(l *chat.LinkSession) bool {
	switch l.State {
	case "failed", "error", "expired", "cancelled", "timeout":
		return true
	}
	return l.Error != ""
}
