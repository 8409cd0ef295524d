package web

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/steward-gov/steward/internal/chat"
	"github.com/steward-gov/steward/internal/steward"
)

// loadShell fetches what every signed-in page shows around its content.
func (s *Server) loadShell(r *http.Request, active string) (*shell, error) {
	ctx, emp := r.Context(), employeeOf(r)
	e, ids, err := s.Backend.Employee(ctx, emp)
	if err != nil {
		return nil, err
	}
	cs, err := s.Backend.Contacts(ctx, emp)
	if err != nil {
		return nil, err
	}
	convs, err := s.Backend.Conversations(ctx, emp)
	if err != nil {
		return nil, err
	}
	return &shell{Employee: e, Identities: ids, Contacts: contactRows(cs), Conversations: convRows(convs, active), Active: active}, nil
}

type homeData struct {
	*shell
	Group groupForm
}

type groupForm struct {
	Title    string
	Selected map[string]bool
	Error    string
}

// home is GET /inbox/: contacts, conversations, and the forms to add a
// contact, start a group and link a phone.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	s.showHome(w, r, http.StatusOK, func(*homeData) {})
}

// showHome renders the home page with status; edit fills in what a failed
// form left behind.
func (s *Server) showHome(w http.ResponseWriter, r *http.Request, status int, edit func(*homeData)) {
	sh, err := s.loadShell(r, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &homeData{shell: sh}
	d.Add.Open = true
	edit(d)
	s.render(w, r, status, "home", d)
}

// lists is GET /inbox/lists?active=…: the sidebar's contacts and
// conversations, which the page's script refetches on live events.
func (s *Server) lists(w http.ResponseWriter, r *http.Request) {
	sh, err := s.loadShell(r, r.URL.Query().Get("active"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderFragment(w, r, "lists", sh.Lists())
}

// addContact is POST /inbox/contacts: add an outside contact, which sends
// them the consent request, and open the conversation with them.
func (s *Server) addContact(w http.ResponseWriter, r *http.Request) {
	form := addForm{Open: true}
	err := s.parseForm(w, r, formLimit)
	if err == nil {
		form.Address = strings.TrimSpace(r.PostFormValue("address"))
		form.DisplayName = strings.TrimSpace(r.PostFormValue("display_name"))
		ch := steward.Channel(strings.TrimSpace(r.PostFormValue("channel")))
		if ch == "" {
			ch = "signal"
		}
		var c *steward.Contact
		c, err = s.Backend.AddContact(r.Context(), actorOf(r), employeeOf(r),
			chat.AddContactRequest{Channel: ch, Address: form.Address, DisplayName: form.DisplayName})
		if err == nil {
			conv, err := s.Backend.ConversationWith(r.Context(), employeeOf(r), c.ID)
			if err != nil {
				// The contact exists and was asked; only the conversation
				// could not be opened now. The list shows the contact.
				s.logError(r, statusOf(err), err)
				http.Redirect(w, r, basePath, http.StatusSeeOther)
				return
			}
			http.Redirect(w, r, conversationURL(conv.ID), http.StatusSeeOther)
			return
		}
	}
	form.Error = s.publicError(r, err)
	s.showHome(w, r, statusOf(err), func(d *homeData) { d.Add = form })
}

// openContact is POST /inbox/contacts/{id}/open: open (creating if need be)
// the direct conversation with a contact.
func (s *Server) openContact(w http.ResponseWriter, r *http.Request) {
	conv, err := s.Backend.ConversationWith(r.Context(), employeeOf(r), r.PathValue("id"))
	if err != nil {
		msg := s.publicError(r, err)
		s.showHome(w, r, statusOf(err), func(d *homeData) { d.Error = msg })
		return
	}
	http.Redirect(w, r, conversationURL(conv.ID), http.StatusSeeOther)
}

// createGroup is POST /inbox/groups: a new group with a title and the
// chosen contacts' addresses.
func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "web.createGroup"
	g := groupForm{Selected: map[string]bool{}}
	err := s.parseForm(w, r, formLimit)
	if err == nil {
		g.Title = strings.TrimSpace(r.PostFormValue("title"))
		members := cleanList(r.PostForm["members"])
		for _, m := range members {
			g.Selected[m] = true
		}
		switch {
		case g.Title == "":
			err = steward.E(op, steward.Invalid, "Give the group a name.")
		case len(members) == 0:
			err = steward.E(op, steward.Invalid, "Choose at least one contact for the group.")
		default:
			var conv *chat.ConversationView
			conv, err = s.Backend.CreateGroup(r.Context(), employeeOf(r), chat.GroupRequest{Title: g.Title, Add: members})
			if err == nil {
				http.Redirect(w, r, conversationURL(conv.ID), http.StatusSeeOther)
				return
			}
		}
	}
	g.Error = s.publicError(r, err)
	s.showHome(w, r, statusOf(err), func(d *homeData) { d.Group = g })
}

type conversationData struct {
	*shell
	Conv          *chat.ConversationView
	List          messageList
	Group         bool
	Members       []memberRow
	Addable       []contactRow
	Draft         string
	ReplyTo       string
	ComposerError string
}

type memberRow struct {
	chat.PartyView
	Label string
}

// conversation is GET /inbox/c/{id}: the open conversation beside the
// lists. Reading it is audited by the backend.
func (s *Server) conversation(w http.ResponseWriter, r *http.Request) {
	s.showConversation(w, r, http.StatusOK, &conversationData{})
}

// showConversation renders the conversation page with status; d carries
// what a failed form left behind (a draft, an error).
func (s *Server) showConversation(w http.ResponseWriter, r *http.Request, status int, d *conversationData) {
	id := r.PathValue("id")
	conv, msgs, err := s.Backend.Messages(r.Context(), employeeOf(r), id, messagesShown)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pageErr := ""
	if d.shell != nil {
		pageErr = d.shell.Error
	}
	d.shell, err = s.loadShell(r, conv.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.shell.Error = pageErr
	d.Conv = conv
	d.List = newMessageList(conv, msgs, messagesShown)
	d.Group = conv.Kind == steward.ConversationGroup
	in := map[string]bool{}
	for _, m := range conv.Members {
		in[m.Address] = true
		row := memberRow{PartyView: m, Label: partyName(m)}
		if m.Me {
			row.Label += " (you)"
		}
		d.Members = append(d.Members, row)
	}
	for _, c := range d.shell.Contacts {
		if !in[c.Address] {
			d.Addable = append(d.Addable, c)
		}
	}
	s.render(w, r, status, "conversation", d)
}

// members is POST /inbox/c/{id}/members: add and remove a group's members
// and make admins.
func (s *Server) members(w http.ResponseWriter, r *http.Request) {
	const op steward.Op = "web.members"
	id := r.PathValue("id")
	err := s.parseForm(w, r, formLimit)
	if err == nil {
		req := chat.GroupRequest{Add: cleanList(r.PostForm["add"]), Remove: cleanList(r.PostForm["remove"]), Admins: cleanList(r.PostForm["admins"])}
		if len(req.Add)+len(req.Remove)+len(req.Admins) == 0 {
			err = steward.E(op, steward.Invalid, "Choose members to add or remove, or to make admins.")
		} else if _, err = s.Backend.UpdateGroup(r.Context(), employeeOf(r), id, req); err == nil {
			http.Redirect(w, r, conversationURL(id), http.StatusSeeOther)
			return
		}
	}
	msg := s.publicError(r, err)
	s.showConversation(w, r, statusOf(err), &conversationData{shell: &shell{Error: msg}})
}

// static is GET /inbox/static/{file}: the embedded stylesheet and script.
func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil || strings.ContainsAny(name, "/\\") {
		http.NotFound(w, r)
		return
	}
	switch path.Ext(name) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	_, _ = w.Write(b)
}

func conversationURL(id string) string { return "/inbox/c/" + url.PathEscape(id) }

// cleanList trims a form's repeated values and drops empty and repeated ones.
func cleanList(vs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range vs {
		v = strings.TrimSpace(v)
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
