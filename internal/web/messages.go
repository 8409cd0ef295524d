package web

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/steward"
)

// messagesFragment is GET /inbox/c/{id}/messages: the message list alone,
// which the page's script refetches when a live event names the
// conversation. Reading it is audited by the backend.
func (s *Server) messagesFragment(w http.ResponseWriter, r *http.Request) {
	conv, msgs, err := s.Backend.Messages(r.Context(), employeeOf(r), r.PathValue("id"), messagesShown)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderFragment(w, r, "messages", newMessageList(conv, msgs, messagesShown))
}

// send is POST /inbox/c/{id}/send: a multipart form with the text (body),
// files (files) and the record replied to (reply_to). The page's script
// posts it with fetch and gets JSON; without script the browser is
// redirected back to the conversation.
func (s *Server) send(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "web.send"
	id := r.PathValue("id")
	if err := s.parseForm(w, r, s.maxUpload()); err != nil {
		s.sendFailed(w, r, err, "", "")
		return
	}
	if r.MultipartForm != nil {
		defer func() { _ = r.MultipartForm.RemoveAll() }()
	}
	body := strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n"))
	replyTo := strings.TrimSpace(r.PostFormValue("reply_to"))
	atts, err := readFiles(r)
	if err != nil {
		s.sendFailed(w, r, steward.E(op, err), body, replyTo)
		return
	}
	if body == "" && len(atts) == 0 {
		s.sendFailed(w, r, steward.E(op, steward.Invalid, "Write a message or attach a file."), body, replyTo)
		return
	}
	resp, err := s.Backend.Send(r.Context(), employeeOf(r), id, chat.SendRequest{Body: body, ReplyTo: replyTo, Attachments: atts})
	if err != nil {
		s.sendFailed(w, r, err, body, replyTo)
		return
	}
	s.done(w, r, id, resp)
}

// sendFailed answers a refused send: JSON to the script (409 with the
// reason when consent is missing), or the page again with the draft kept
// and the reason beside the composer.
func (s *Server) sendFailed(w http.ResponseWriter, r *http.Request, err error, body, replyTo string) {
	if wantsJSON(r) {
		s.fail(w, r, err)
		return
	}
	msg := s.publicError(r, err)
	s.showConversation(w, r, statusOf(err), &conversationData{Draft: body, ReplyTo: replyTo, ComposerError: msg})
}

// done answers a successful action: JSON to the script, or back to the
// message for a plain form post.
func (s *Server) done(w http.ResponseWriter, r *http.Request, conversationID string, resp *chat.SendResponse) {
	if wantsJSON(r) {
		if resp == nil {
			resp = &chat.SendResponse{}
		}
		writeJSON(w, http.StatusOK, resp)
		return
	}
	target := conversationURL(conversationID)
	if resp != nil && resp.RecordID != "" {
		target += "#m-" + url.PathEscape(resp.RecordID)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// acted answers react and delete.
func (s *Server) acted(w http.ResponseWriter, r *http.Request, conversationID, recordID string, resp *chat.SendResponse, err error) {
	if err != nil {
		if wantsJSON(r) {
			s.fail(w, r, err)
			return
		}
		msg := s.publicError(r, err)
		s.showConversation(w, r, statusOf(err), &conversationData{shell: &shell{Error: msg}})
		return
	}
	if resp == nil {
		resp = &chat.SendResponse{}
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, resp)
		return
	}
	http.Redirect(w, r, conversationURL(conversationID)+"#m-"+url.PathEscape(recordID), http.StatusSeeOther)
}

// react is POST /inbox/c/{id}/react: record_id, emoji, remove.
func (s *Server) react(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "web.react"
	id := r.PathValue("id")
	if err := s.parseForm(w, r, formLimit); err != nil {
		s.acted(w, r, id, "", nil, err)
		return
	}
	rec := strings.TrimSpace(r.PostFormValue("record_id"))
	emoji := strings.TrimSpace(r.PostFormValue("emoji"))
	switch {
	case rec == "":
		s.acted(w, r, id, rec, nil, steward.E(op, steward.Invalid, "Choose a message to react to."))
		return
	case !validEmoji(emoji):
		s.acted(w, r, id, rec, nil, steward.E(op, steward.Invalid, "Choose an emoji to react with."))
		return
	}
	resp, err := s.Backend.React(r.Context(), employeeOf(r), id, rec, emoji, parseBool(r.PostFormValue("remove")))
	s.acted(w, r, id, rec, resp, err)
}

// deleteMessage is POST /inbox/c/{id}/delete: delete one of your own
// messages for everyone (record_id). The archive keeps it.
func (s *Server) deleteMessage(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "web.delete"
	id := r.PathValue("id")
	if err := s.parseForm(w, r, formLimit); err != nil {
		s.acted(w, r, id, "", nil, err)
		return
	}
	rec := strings.TrimSpace(r.PostFormValue("record_id"))
	if rec == "" {
		s.acted(w, r, id, rec, nil, steward.E(op, steward.Invalid, "Choose a message to delete."))
		return
	}
	resp, err := s.Backend.Delete(r.Context(), employeeOf(r), id, rec)
	s.acted(w, r, id, rec, resp, err)
}

// confirm is POST /inbox/c/{id}/confirm: the sender confirms a message
// policy warned about, with a justification that is archived with it.
func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "web.confirm"
	id := r.PathValue("id")
	if err := s.parseForm(w, r, formLimit); err != nil {
		s.acted(w, r, id, "", nil, err)
		return
	}
	rec := strings.TrimSpace(r.PostFormValue("record_id"))
	if rec == "" {
		s.acted(w, r, id, rec, nil, steward.E(op, steward.Invalid, "Choose a message to confirm."))
		return
	}
	resp, err := s.Backend.Confirm(r.Context(), employeeOf(r), id, rec, r.PostFormValue("justification"))
	s.acted(w, r, id, rec, resp, err)
}

// attachment is GET /inbox/a/{record}: always a download, never rendered
// by the browser (Content-Disposition attachment, CSP sandbox, nosniff).
// Reading it is audited by the backend.
func (s *Server) attachment(w http.ResponseWriter, r *http.Request) {
	av, data, err := s.Backend.Attachment(r.Context(), employeeOf(r), r.PathValue("record"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", downloadType(av.ContentType))
	h.Set("Content-Disposition", disposition("attachment", av.Filename))
	h.Set("Content-Security-Policy", csp+"; sandbox")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}

// preview is GET /inbox/a/{record}/preview: an image attachment shown
// inline as a thumbnail. Only PNG, JPEG, GIF and WebP, and only when the
// bytes themselves are one of those, whatever the sender declared.
func (s *Server) preview(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "web.preview"
	av, data, err := s.Backend.Attachment(r.Context(), employeeOf(r), r.PathValue("record"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sniffed := http.DetectContentType(data)
	if !previewTypes[mediaType(av.ContentType)] || !previewTypes[sniffed] {
		s.fail(w, r, steward.E(op, steward.Invalid, "This file cannot be previewed; download it instead."))
		return
	}
	h := w.Header()
	h.Set("Content-Type", sniffed)
	h.Set("Content-Disposition", disposition("inline", av.Filename))
	h.Set("Content-Security-Policy", csp+"; sandbox")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}

// readFiles takes the uploaded files of a send.
func readFiles(r *http.Request) ([]steward.Attachment, error) {
	const op steward.Op = "web.readFiles"
	if r.MultipartForm == nil {
		return nil, nil
	}
	var out []steward.Attachment
	for _, fh := range r.MultipartForm.File["files"] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // an empty file input
		}
		f, err := fh.Open()
		if err != nil {
			return nil, steward.E(op, steward.Invalid, "An attached file could not be read.", err)
		}
		data, err := io.ReadAll(f)
		_ = f.Close()
		if err != nil {
			return nil, steward.E(op, steward.Invalid, "An attached file could not be read.", err)
		}
		ct := mediaType(fh.Header.Get("Content-Type"))
		if ct == "" || ct == "application/octet-stream" {
			ct = mediaType(http.DetectContentType(data))
		}
		out = append(out, steward.Attachment{Filename: cleanFilename(fh.Filename), ContentType: ct, Size: int64(len(data)), Data: data})
	}
	return out, nil
}

// mediaType is the type/subtype of a Content-Type, lower case, or "".
func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !strings.Contains(mt, "/") {
		return ""
	}
	return mt
}

// activeTypes are types a browser might run; they are downloaded as bytes.
var activeTypes = map[string]bool{
	"text/html": true, "application/xhtml+xml": true, "image/svg+xml": true, "text/xml": true,
	"application/xml": true, "text/javascript": true, "application/javascript": true, "application/pdf": true,
}

func downloadType(ct string) string {
	mt := mediaType(ct)
	if mt == "" || activeTypes[mt] {
		return "application/octet-stream"
	}
	return mt
}

// disposition builds a Content-Disposition with a safe file name, encoded
// per RFC 2231 when it is not plain ASCII.
func disposition(kind, filename string) string {
	name := cleanFilename(filename)
	if name == "" {
		return kind
	}
	if v := mime.FormatMediaType(kind, map[string]string{"filename": name}); v != "" {
		return v
	}
	return kind
}

// cleanFilename keeps the last path element of a name, without control
// characters, at most 200 characters.
func cleanFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.Trim(name, " .")
	if utf8.RuneCountInString(name) > 200 {
		name = string([]rune(name)[:200])
	}
	return name
}

// validEmoji accepts one short emoji sequence: no letters, digits, spaces
// or control characters.
func validEmoji(s string) bool {
	if s == "" || len(s) > 32 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x80 || unicode.IsSpace(r) || unicode.IsControl(r) || unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

func parseBool(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "on", "yes":
		return true
	}
	return false
}
