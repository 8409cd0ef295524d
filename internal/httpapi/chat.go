package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

// employeeOf returns whom an inbox token acts for.
func employeeOf(r *http.Request) string {
	if t := tokenFrom(r.Context()); t != nil {
		return t.EmployeeID
	}
	return ""
}

// ContactRequest is the body of POST /api/v1/contacts and of
// POST /api/v1/employees/{id}/contacts.
type ContactRequest struct {
	EmployeeID  string `json:"employee_id,omitempty"` // must be the caller's own with an inbox token
	Channel     string `json:"channel"`
	Address     string `json:"address"`
	DisplayName string `json:"display_name"`
}

// addContact is POST /api/v1/contacts: the signed-in employee adds an
// outside contact, who is sent the consent request. Audited.
func (s *Server) addContact(w http.ResponseWriter, r *http.Request) {
	s.addContactFor(w, r, employeeOf(r))
}

// adminAddContact is POST /api/v1/employees/{id}/contacts: an admin adds
// a contact on an employee's behalf. Audited.
func (s *Server) adminAddContact(w http.ResponseWriter, r *http.Request) {
	s.addContactFor(w, r, r.PathValue("id"))
}

func (s *Server) addContactFor(w http.ResponseWriter, r *http.Request, employeeID string) {
	const op steward.Op = "httpapi.addContact"
	var req ContactRequest
	if err := decodeJSON(r.Body, 16<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if req.EmployeeID != "" && req.EmployeeID != employeeID {
		s.writeError(w, r, steward.E(op, steward.Permission, "you can add contacts only for yourself"))
		return
	}
	if req.Channel == "" {
		req.Channel = "signal"
	}
	c, err := s.Chat.AddContact(r.Context(), actor(r.Context()), employeeID,
		chat.AddContactRequest{Channel: steward.Channel(req.Channel), Address: req.Address, DisplayName: req.DisplayName})
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

// listContacts is GET /api/v1/contacts: the employee's contacts.
func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) {
	cs, err := s.Chat.Contacts(r.Context(), employeeOf(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"contacts": cs})
}

// ConsentHistory is a contact's consent evidence: every request, reply
// and change of state, with the archived records that prove them.
type ConsentHistory struct {
	Contact *steward.Contact  `json:"contact"`
	Events  []ConsentEvidence `json:"events"`
}

// ConsentEvidence is one consent event with its decrypted record.
type ConsentEvidence struct {
	*steward.ConsentEvent
	LeafIndex int64            `json:"leaf_index"`
	Content   *steward.Content `json:"content,omitempty"`
}

// getConsentHistory is GET /api/v1/contacts/{id}/consent: for a records
// officer, what the contact agreed to and when. Audited.
func (s *Server) getConsentHistory(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.getConsentHistory"
	c, err := s.Store.ContactByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	evs, err := s.Store.ConsentEvents(r.Context(), c.ID)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if err := s.auditRead(r, "consent.read", c.ID); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	out := ConsentHistory{Contact: c, Events: []ConsentEvidence{}}
	for _, ev := range evs {
		rec, _, content, err := s.reader().Open(r.Context(), ev.RecordID)
		if err != nil && !steward.Is(steward.Gone, err) {
			s.writeError(w, r, steward.E(op, err))
			return
		}
		out.Events = append(out.Events, ConsentEvidence{ConsentEvent: ev, LeafIndex: rec.LeafIndex, Content: content})
	}
	writeJSON(w, http.StatusOK, out)
}

// listConversations is GET /api/v1/conversations.
func (s *Server) listConversations(w http.ResponseWriter, r *http.Request) {
	cs, err := s.Chat.Conversations(r.Context(), employeeOf(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if cs == nil {
		cs = []chat.ConversationView{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": cs})
}

// ConversationRequest is the body of POST /api/v1/conversations: either a
// contact to open the direct conversation with, or a new group.
type ConversationRequest struct {
	ContactID string   `json:"contact_id,omitempty"`
	Title     string   `json:"title,omitempty"`
	Members   []string `json:"members,omitempty"` // addresses
}

// createConversation is POST /api/v1/conversations.
func (s *Server) createConversation(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.createConversation"
	var req ConversationRequest
	if err := decodeJSON(r.Body, 64<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	var v *chat.ConversationView
	var err error
	switch {
	case req.ContactID != "" && req.Title == "" && len(req.Members) == 0:
		v, err = s.Chat.ConversationWith(r.Context(), employeeOf(r), req.ContactID)
	case req.ContactID == "" && req.Title != "":
		v, err = s.Chat.CreateGroup(r.Context(), employeeOf(r), chat.GroupRequest{Title: req.Title, Add: req.Members})
	default:
		err = steward.E(op, steward.Invalid, "give contact_id for a direct conversation, or title and members for a group")
	}
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

// MessagesResponse is a conversation with its messages.
type MessagesResponse struct {
	Conversation *chat.ConversationView `json:"conversation"`
	Messages     []chat.MessageView     `json:"messages"`
}

// listMessages is GET /api/v1/conversations/{id}/messages. Audited.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.listMessages"
	limit := 0
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			s.writeError(w, r, steward.E(op, steward.Invalid, "limit must be a positive number"))
			return
		}
		limit = n
	}
	v, ms, err := s.Chat.Messages(r.Context(), employeeOf(r), r.PathValue("id"), limit)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if ms == nil {
		ms = []chat.MessageView{}
	}
	writeJSON(w, http.StatusOK, MessagesResponse{Conversation: v, Messages: ms})
}

// SendJSON is the JSON body of POST /api/v1/conversations/{id}/messages.
type SendJSON struct {
	Body        string           `json:"body"`
	ReplyTo     string           `json:"reply_to,omitempty"`
	Attachments []AttachmentJSON `json:"attachments,omitempty"`
}

// sendMessage is POST /api/v1/conversations/{id}/messages: JSON, or
// multipart/form-data with a "body" field and "files" parts. The message
// is archived before it is queued; 409 consent_required if an outside
// member has not consented, and then nothing is stored or sent.
func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.sendMessage"
	req, err := s.decodeSend(w, r)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	resp, err := s.Chat.Send(r.Context(), employeeOf(r), r.PathValue("id"), *req)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusAccepted, resp)
}

func (s *Server) decodeSend(w http.ResponseWriter, r *http.Request) (*chat.SendRequest, error) {
	const op steward.Op = "httpapi.decodeSend"
	max := s.MaxCaptureBody
	if max <= 0 {
		max = 64 << 20
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		var body SendJSON
		if err := decodeJSON(r.Body, max, &body); err != nil {
			return nil, err
		}
		req := &chat.SendRequest{Body: body.Body, ReplyTo: body.ReplyTo}
		for i, a := range body.Attachments {
			att, err := a.decode(i)
			if err != nil {
				return nil, err
			}
			req.Attachments = append(req.Attachments, att)
		}
		return req, nil
	}
	return ParseMultipartSend(w, r, max)
}

// ParseMultipartSend reads a multipart send: the "body" and "reply_to"
// fields and every "files" part, within max bytes in all.
func ParseMultipartSend(w http.ResponseWriter, r *http.Request, max int64) (*chat.SendRequest, error) {
	const op steward.Op = "httpapi.ParseMultipartSend"
	r.Body = http.MaxBytesReader(w, r.Body, max)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, steward.E(op, steward.Invalid, "malformed multipart body")
	}
	req := &chat.SendRequest{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, steward.Errorf(op, steward.TooLarge, "request body exceeds %d bytes", max)
		}
		if err != nil {
			return nil, steward.E(op, steward.Invalid, "malformed multipart body")
		}
		data, err := io.ReadAll(part)
		if errors.As(err, &mbe) {
			return nil, steward.Errorf(op, steward.TooLarge, "request body exceeds %d bytes", max)
		} else if err != nil {
			return nil, steward.E(op, steward.Invalid, "malformed multipart body")
		}
		switch part.FormName() {
		case "body":
			req.Body = string(data)
		case "reply_to":
			req.ReplyTo = string(data)
		case "files":
			if part.FileName() == "" && len(data) == 0 {
				continue // an empty file input
			}
			ctype := part.Header.Get("Content-Type")
			if ctype == "" {
				ctype = "application/octet-stream"
			}
			req.Attachments = append(req.Attachments, steward.Attachment{Filename: part.FileName(), ContentType: ctype,
				Size: int64(len(data)), Data: data})
		default:
			return nil, steward.Errorf(op, steward.Invalid, "unknown form field %q", part.FormName())
		}
	}
	return req, nil
}

// ReactionRequest is the body of POST /api/v1/conversations/{id}/reactions.
type ReactionRequest struct {
	RecordID string `json:"record_id"`
	Emoji    string `json:"emoji"`
	Remove   bool   `json:"remove,omitempty"`
}

// react is POST /api/v1/conversations/{id}/reactions.
func (s *Server) react(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.react"
	var req ReactionRequest
	if err := decodeJSON(r.Body, 4<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	resp, err := s.Chat.React(r.Context(), employeeOf(r), r.PathValue("id"), req.RecordID, req.Emoji, req.Remove)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusAccepted, resp)
}

// deleteMessage is DELETE /api/v1/conversations/{id}/messages/{record}:
// delete for everyone. The archive keeps the original.
func (s *Server) deleteMessage(w http.ResponseWriter, r *http.Request) {
	resp, err := s.Chat.Delete(r.Context(), employeeOf(r), r.PathValue("id"), r.PathValue("record"))
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.deleteMessage"), err))
		return
	}
	writeJSON(w, http.StatusAccepted, resp)
}

// updateMembers is PATCH /api/v1/conversations/{id}/members.
func (s *Server) updateMembers(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.updateMembers"
	var req chat.GroupRequest
	if err := decodeJSON(r.Body, 64<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	v, err := s.Chat.UpdateGroup(r.Context(), employeeOf(r), r.PathValue("id"), req)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// getAttachment is GET /api/v1/attachments/{id}: a participant downloads
// a file of their conversation. Audited.
func (s *Server) getAttachment(w http.ResponseWriter, r *http.Request) {
	a, data, err := s.Chat.Attachment(r.Context(), employeeOf(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.getAttachment"), err))
		return
	}
	writeDownload(w, a.Filename, a.ContentType, data)
}

// writeDownload sends untrusted bytes so that they can never render
// inline in the API's origin.
func writeDownload(w http.ResponseWriter, filename, ctype string, data []byte) {
	if ctype == "" || strings.ContainsAny(ctype, "\r\n") {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+urlPathEscape(filename))
	w.Header().Set("Content-Security-Policy", "sandbox")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

// stream is GET /api/v1/stream: server-sent events for the signed-in
// employee. Events name what changed and never carry content.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.stream"
	emp := employeeOf(r)
	fl, ok := w.(http.Flusher)
	if !ok {
		s.writeError(w, r, steward.E(op, steward.Internal, "streaming unsupported"))
		return
	}
	events, stop := s.Chat.Subscribe(emp)
	defer stop()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": steward stream\n\n")
	fl.Flush()
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			b, _ := json.Marshal(ev)
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, b)
		case <-keep.C:
			// A revoked token ends the stream within one keep-alive.
			if t := tokenFrom(r.Context()); t != nil {
				if cur, err := s.Store.TokenByHash(r.Context(), t.Hash); err != nil || !cur.Usable(s.now()) {
					return
				}
			}
			fmt.Fprint(w, ": keep-alive\n\n")
		}
		fl.Flush()
	}
}

// startLink is POST /api/v1/identities/{id}/link: start linking Steward
// as a device of the employee's own phone. Returns the sgnl://linkdevice
// URI to show as a QR code.
func (s *Server) startLink(w http.ResponseWriter, r *http.Request) {
	ls, err := s.Chat.StartLink(r.Context(), employeeOf(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.startLink"), err))
		return
	}
	writeJSON(w, http.StatusAccepted, ls)
}

// getLink is GET /api/v1/identities/{id}/link: the link's progress.
func (s *Server) getLink(w http.ResponseWriter, r *http.Request) {
	ls, err := s.Chat.LinkStatus(r.Context(), employeeOf(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, steward.E(steward.Op("httpapi.getLink"), err))
		return
	}
	writeJSON(w, http.StatusOK, ls)
}

// ConsentTextRequest is the body of PUT /api/v1/consent/text.
type ConsentTextRequest struct {
	Version string `json:"version,omitempty"`
	Text    string `json:"text"`
}

// listConsentTexts is GET /api/v1/consent/texts.
func (s *Server) listConsentTexts(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Store.ConsentTexts(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"texts": ts})
}

// putConsentText is PUT /api/v1/consent/text: a new version of the
// recording notice becomes current. Audited.
func (s *Server) putConsentText(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "httpapi.putConsentText"
	var req ConsentTextRequest
	if err := decodeJSON(r.Body, 16<<10, &req); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	t, err := s.Consent.SetText(r.Context(), actor(r.Context()), req.Version, req.Text)
	if err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	if _, err := s.Pipeline.Audit(r.Context(), pipeline.AuditEntry{Actor: actor(r.Context()), Action: "consent.text.set",
		Subject: t.Version, Details: map[string]any{"sha256": t.SHA256}}); err != nil {
		s.writeError(w, r, steward.E(op, err))
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) reader() *pipeline.Reader {
	return &pipeline.Reader{Records: s.Store, Opener: s.Opener, Blobs: s.Blobs}
}
