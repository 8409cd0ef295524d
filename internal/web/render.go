package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/steward"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/*.css static/*.js
var staticFS embed.FS

// Each page is its own template set: the layout, the shared partials and
// the page, so that pages can define the same block names.
var (
	pages     = parsePages("login", "continue", "home", "conversation", "link", "error")
	fragments = template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/partials.html"))
)

func parsePages(names ...string) map[string]*template.Template {
	m := make(map[string]*template.Template, len(names))
	for _, n := range names {
		m[n] = template.Must(template.New("").Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/partials.html", "templates/"+n+".html"))
	}
	return m
}

var funcs = template.FuncMap{
	"when":    formatTime,
	"iso":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"whenPtr": func(t *time.Time) string { return formatTime(*t) },
	"isoPtr":  func(t *time.Time) string { return t.UTC().Format(time.RFC3339) },
	"join":    strings.Join,
	"state":   stateLabel,
}

// formatTime is the server's rendering of a time; the page's script
// replaces it with the reader's local time.
func formatTime(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }

// render writes a whole page. The template runs into a buffer first so
// that a failure is a clean 500, not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		s.logger().Error("inbox render", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderFragment writes one partial, for the page's script to put in place.
func (s *Server) renderFragment(w http.ResponseWriter, r *http.Request, name string, data any) {
	var buf bytes.Buffer
	if err := fragments.ExecuteTemplate(&buf, name, data); err != nil {
		s.logger().Error("inbox render", "fragment", name, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// shell is what every signed-in page shows around its content: who is
// signed in, their contacts and their conversations.
type shell struct {
	Employee      *steward.Employee
	Identities    []*steward.Identity
	Contacts      []contactRow
	Conversations []convRow
	Active        string // the open conversation's id
	Error         string // a page-level message
	Add           addForm
}

// lists is the sidebar fragment: contacts and conversations.
type lists struct {
	Contacts      []contactRow
	Conversations []convRow
	Active        string
}

func (sh *shell) Lists() lists {
	return lists{Contacts: sh.Contacts, Conversations: sh.Conversations, Active: sh.Active}
}

// Linked lists the identities Steward holds as a linked device.
func (sh *shell) Linked() []*steward.Identity {
	var out []*steward.Identity
	for _, id := range sh.Identities {
		if id.Mode == steward.IdentityLinked {
			out = append(out, id)
		}
	}
	return out
}

// Name is the signed-in employee's name.
func (sh *shell) Name() string {
	if sh.Employee == nil {
		return ""
	}
	if sh.Employee.DisplayName != "" {
		return sh.Employee.DisplayName
	}
	return sh.Employee.UserName
}

type addForm struct {
	Open        bool // shown unfolded (on the home page)
	Address     string
	DisplayName string
	Error       string
}

type contactRow struct {
	*steward.Contact
	Name     string
	Reason   string
	ReasonAt *time.Time
}

func contactRows(cs []*steward.Contact) []contactRow {
	out := make([]contactRow, 0, len(cs))
	for _, c := range cs {
		row := contactRow{Contact: c, Name: c.DisplayName, Reason: upperFirst(c.ConsentReason), ReasonAt: c.ConsentChangedAt}
		if row.Name == "" {
			row.Name = c.Address
		}
		if row.Reason == "" {
			switch c.ConsentState {
			case steward.ConsentPending:
				row.Reason, row.ReasonAt = "Consent requested", c.RequestedAt
			case steward.ConsentActive:
				row.Reason = "Accepted"
			case steward.ConsentDeclined:
				row.Reason = "Declined"
			case steward.ConsentExpired:
				row.Reason = "Expired without a reply"
			case steward.ConsentRevoked:
				row.Reason = "Revoked"
			}
		}
		out = append(out, row)
	}
	return out
}

// stateLabel is the badge text of a consent state.
func stateLabel(s steward.ConsentState) string {
	switch s {
	case steward.ConsentPending:
		return "Pending"
	case steward.ConsentActive:
		return "Active"
	case steward.ConsentDeclined:
		return "Declined"
	case steward.ConsentExpired:
		return "Expired"
	case steward.ConsentRevoked:
		return "Revoked"
	case "":
		return ""
	}
	return upperFirst(string(s))
}

type convRow struct {
	chat.ConversationView
	Active   bool
	Subtitle string
}

func convRows(cs []chat.ConversationView, active string) []convRow {
	out := make([]convRow, 0, len(cs))
	for _, c := range cs {
		row := convRow{ConversationView: c, Active: c.ID == active}
		if c.Title == "" {
			row.Title = "Untitled conversation"
		}
		others := 0
		var addr string
		for _, m := range c.Members {
			if !m.Me {
				others++
				addr = m.Address
			}
		}
		switch {
		case c.Kind == steward.ConversationGroup:
			row.Subtitle = fmt.Sprintf("Group · %d members", len(c.Members))
		case addr != "" && addr != row.Title:
			row.Subtitle = addr
		}
		out = append(out, row)
	}
	return out
}

// messageList is the conversation's entries as the fragment renders them,
// with what the composer needs to know.
type messageList struct {
	ConversationID string
	CanSend        bool
	Blocked        string
	// Consent is the other party's state in a direct conversation, so the
	// header badge follows live changes; "" in groups.
	Consent      steward.ConsentState
	ConsentLabel string
	Entries      []entry
	Truncated    bool
}

// entry is one MessageView with everything the template shows worked out.
type entry struct {
	chat.MessageView
	ConversationID string
	IsNotice       bool
	Rev            string // changes whenever the rendering would
	SenderName     string
	NoticeText     string
	ReplySnippet   string
	Quote          string // how a reply to this entry names it
	Status         statusView
	CanAct         bool // reactions and deletion are offered
	Confirm        bool // policy asks the sender to confirm with a justification
	Picks          []pick
	Files          []fileRow
}

type statusView struct {
	Code   string // data-status
	Icon   string
	Label  string
	Class  string
	Title  string
	Failed bool
}

type pick struct {
	Emoji string
	Mine  bool
}

type fileRow struct {
	chat.AttachmentView
	Name    string
	Size    string
	Preview bool
}

// pickerEmoji are the reactions offered on every message.
var pickerEmoji = []string{"👍", "❤️", "😂", "😮", "✅"}

// previewTypes are the only types shown inline, and only as images.
var previewTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

func newMessageList(conv *chat.ConversationView, msgs []chat.MessageView, limit int) messageList {
	l := messageList{ConversationID: conv.ID, CanSend: conv.CanSend, Blocked: conv.Blocked, Truncated: len(msgs) >= limit}
	if !l.CanSend && l.Blocked == "" {
		l.Blocked = "You cannot send in this conversation yet."
	}
	if conv.Kind == steward.ConversationDirect {
		for _, m := range conv.Members {
			if !m.Me && m.ConsentState != "" {
				l.Consent, l.ConsentLabel = m.ConsentState, stateLabel(m.ConsentState)
			}
		}
	}
	names := map[string]string{}
	for _, m := range conv.Members {
		if m.Name != "" {
			names[m.Address] = m.Name
		}
	}
	byID := make(map[string]*chat.MessageView, len(msgs))
	for i := range msgs {
		byID[msgs[i].RecordID] = &msgs[i]
	}
	for _, m := range msgs {
		e := entry{MessageView: m, ConversationID: conv.ID, IsNotice: m.Kind != "" && m.Kind != "message"}
		e.SenderName = partyName(m.Sender)
		if m.Mine {
			e.SenderName = "You"
		}
		e.Quote = e.SenderName + ": " + snippet(&m)
		if e.IsNotice {
			e.NoticeText = m.Notice
			if e.NoticeText == "" {
				e.NoticeText = m.Body
			}
		} else {
			if m.ReplyTo != "" {
				e.ReplySnippet = "an earlier message"
				if q, ok := byID[m.ReplyTo]; ok {
					e.ReplySnippet = partyName(q.Sender) + ": " + snippet(q)
					if q.Mine {
						e.ReplySnippet = "You: " + snippet(q)
					}
				}
			}
			if m.Mine || m.Status != "" {
				e.Status = deliveryStatus(m, conv.Channel, names)
			}
			e.Confirm = m.Mine && m.Status == chat.StatusNeedsConfirmation
			e.CanAct = conv.CanSend && !m.Deleted
			if e.CanAct {
				for _, em := range pickerEmoji {
					p := pick{Emoji: em}
					for _, r := range m.Reactions {
						if r.Emoji == em && r.Mine {
							p.Mine = true
						}
					}
					e.Picks = append(e.Picks, p)
				}
			}
			if !m.Deleted {
				for _, a := range m.Attachments {
					f := fileRow{AttachmentView: a, Name: a.Filename, Size: humanSize(a.Size), Preview: previewTypes[a.ContentType]}
					if f.Name == "" {
						f.Name = "attachment"
					}
					e.Files = append(e.Files, f)
				}
			}
		}
		e.Rev = revision(&e, conv.CanSend)
		l.Entries = append(l.Entries, e)
	}
	return l
}

func partyName(p chat.PartyView) string {
	if p.Name != "" {
		return p.Name
	}
	if p.Address != "" {
		return p.Address
	}
	return "Unknown"
}

// snippet is a short quote of a message for a reply marker.
func snippet(m *chat.MessageView) string {
	switch {
	case m.Deleted:
		return "deleted message"
	case m.Body == "" && len(m.Attachments) > 0:
		return "attachment"
	case m.Body == "":
		return "message"
	}
	b := strings.Join(strings.Fields(m.Body), " ")
	if utf8.RuneCountInString(b) > 80 {
		r := []rune(b)
		b = string(r[:79]) + "…"
	}
	return b
}

// deliveryStatus is how a message's delivery state is shown. A status the
// inbox does not know is shown as a failure, never as success.
func deliveryStatus(m chat.MessageView, ch steward.Channel, names map[string]string) statusView {
	v := statusView{Code: m.Status}
	switch m.Status {
	case steward.StatusQueued, "":
		v.Code, v.Icon, v.Label, v.Class = steward.StatusQueued, "◷", "Queued", "queued"
	case steward.StatusSent:
		v.Icon, v.Label, v.Class = "✓", "Sent", "sent"
	case steward.StatusDelivered:
		v.Icon, v.Label, v.Class = "✓✓", "Delivered", "delivered"
	case steward.StatusRead:
		v.Icon, v.Label, v.Class = "✓✓", "Read", "read"
	case "held":
		v.Icon, v.Label, v.Class = "⏸", "Held until they accept the recording notice", "held"
	// Policy outcomes show their reason in full: the employee must know
	// why a message did not go, and what to do.
	case chat.StatusPolicyBlocked:
		v.Icon, v.Label, v.Failed = "⛔", "Not sent: "+orText(m.StatusDetail, "blocked by policy"), true
	case chat.StatusQuarantined:
		v.Icon, v.Label, v.Failed = "⏸", "Held for compliance review: "+orText(m.StatusDetail, "a compliance officer will release or reject it"), true
	case chat.StatusRejected:
		v.Icon, v.Label, v.Failed = "⛔", "Not sent: a compliance officer did not release it", true
	case chat.StatusNeedsConfirmation:
		v.Icon, v.Label, v.Failed = "?", "Not sent yet: "+orText(m.StatusDetail, "confirm to send it"), true
	case steward.StatusUnregistered:
		v.Icon, v.Label, v.Failed = "⚠", "Not on "+channelName(ch), true
	case steward.StatusRateLimited:
		v.Icon, v.Label, v.Failed = "⚠", "Rate limited — will retry", true
	case steward.StatusNetworkFailure:
		v.Icon, v.Label, v.Failed = "⚠", "Network failure — will retry", true
	case steward.StatusIdentityChanged:
		v.Icon, v.Label, v.Failed = "⚠", "Not delivered: their safety number changed", true
	case "cancelled":
		v.Icon, v.Label, v.Failed = "⚠", "Not sent: cancelled", true
	default:
		v.Icon, v.Label, v.Failed = "⚠", "Not delivered", true
	}
	if v.Failed {
		v.Class = "failed"
	}
	title := []string{v.Label}
	if m.StatusDetail != "" && !strings.Contains(v.Label, m.StatusDetail) {
		title[0] += " (" + m.StatusDetail + ")"
	}
	if len(m.Recipients) > 1 {
		for _, rs := range m.Recipients {
			who := names[rs.Address]
			if who == "" {
				who = rs.Address
			}
			title = append(title, who+": "+strings.ReplaceAll(rs.Status, "_", " "))
		}
	}
	v.Title = strings.Join(title, "; ")
	return v
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func channelName(ch steward.Channel) string {
	if ch == "" {
		return "Signal"
	}
	return upperFirst(string(ch))
}

// revision is a short digest of everything an entry renders from, so the
// page's script replaces only entries that changed (and an image preview,
// an audited read, is not fetched again for an unchanged message).
func revision(e *entry, canSend bool) string {
	b, _ := json.Marshal(struct {
		M       chat.MessageView
		Reply   string
		CanSend bool
	}{e.MessageView, e.ReplySnippet, canSend})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func humanSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.0f KB", float64(n)/1024)
	case n < 1024*1024*1024:
		return fmt.Sprintf("%.1f MB", float64(n)/(1024*1024))
	}
	return fmt.Sprintf("%.1f GB", float64(n)/(1024*1024*1024))
}
