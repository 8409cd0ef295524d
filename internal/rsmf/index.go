package rsmf

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/steward"
)

// Problems lists every reason a manifest or file was rejected, in the order
// found. Validation errors wrap it, so callers can list them all:
//
//	var p rsmf.Problems
//	if errors.As(err, &p) { ... }
type Problems []string

func (p Problems) Error() string {
	switch len(p) {
	case 0:
		return "no problems"
	case 1:
		return p[0]
	}
	return fmt.Sprintf("%s (and %d more)", p[0], len(p)-1)
}

func (p *Problems) addf(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}

// Index is a read-only view of a manifest that finds participants and
// conversations by ID. The manifest must not change while an Index over it
// is in use.
type Index struct {
	m             *Manifest
	participants  map[string]*Participant
	conversations map[string]*Conversation
	events        map[eventKey]bool
}

type eventKey struct{ conversation, id string }

// NewIndex checks that the manifest hangs together and indexes it. It
// fails with steward.Invalid, wrapping Problems, when an ID is empty or
// repeated, or when a conversation or event refers to a participant or
// conversation the manifest does not declare, or when a message, join or
// leave event names no participant. A reply whose parent is not
// in the manifest is accepted here: the writers keep the link in another
// form.
func NewIndex(m *Manifest) (*Index, error) {
	const op steward.Op = "rsmf.NewIndex"
	x, p := index(m, false)
	if len(p) > 0 {
		return nil, steward.E(op, steward.Invalid, "inconsistent manifest", p)
	}
	return x, nil
}

// Manifest returns the indexed manifest.
func (x *Index) Manifest() *Manifest { return x.m }

// Participant returns the participant with the given ID, or nil.
func (x *Index) Participant(id string) *Participant { return x.participants[id] }

// Conversation returns the conversation with the given ID, or nil.
func (x *Index) Conversation(id string) *Conversation { return x.conversations[id] }

// Name returns the display name of a participant, falling back to the
// account ID and then to the bare ID, so text never shows a blank sender.
func (x *Index) Name(id string) string {
	p := x.participants[id]
	switch {
	case p == nil:
		return id
	case p.Display != "":
		return p.Display
	case p.AccountID != "":
		return p.AccountID
	}
	return p.ID
}

// index builds the lookups and collects every inconsistency. strict adds
// the rule only a finished .rsmf file must meet: every parent resolves to
// an event of the same conversation in the same file.
func index(m *Manifest, strict bool) (*Index, Problems) {
	var p Problems
	x := &Index{
		m:             m,
		participants:  make(map[string]*Participant, len(m.Participants)),
		conversations: make(map[string]*Conversation, len(m.Conversations)),
		events:        make(map[eventKey]bool, len(m.Events)),
	}
	// IDs must be valid UTF-8: JSON would replace bad bytes, and two
	// different IDs could become one.
	badID := func(where, id string) bool {
		if utf8.ValidString(id) {
			return false
		}
		p.addf("%s has an id that is not valid UTF-8: %q", where, id)
		return true
	}
	for i := range m.Participants {
		pt := &m.Participants[i]
		switch {
		case badID(fmt.Sprintf("participant %d", i), pt.ID):
		case pt.ID == "":
			p.addf("participant %d has no id", i)
		case x.participants[pt.ID] != nil:
			p.addf("participant id %q is declared twice", pt.ID)
		default:
			x.participants[pt.ID] = pt
		}
	}
	known := func(where, id string) {
		if id != "" && x.participants[id] == nil {
			p.addf("%s refers to undeclared participant %q", where, id)
		}
	}
	for i := range m.Conversations {
		c := &m.Conversations[i]
		switch {
		case badID(fmt.Sprintf("conversation %d", i), c.ID):
			continue
		case c.ID == "":
			p.addf("conversation %d has no id", i)
			continue
		case x.conversations[c.ID] != nil:
			p.addf("conversation id %q is declared twice", c.ID)
			continue
		}
		x.conversations[c.ID] = c
		if c.Platform == "" {
			p.addf("conversation %q has no platform", c.ID)
		}
		if c.Type != "" && c.Type != Direct && c.Type != Channel {
			p.addf("conversation %q has unknown type %q", c.ID, c.Type)
		}
		where := fmt.Sprintf("conversation %q", c.ID)
		known(where+" custodian", c.Custodian)
		for _, id := range c.Participants {
			if id == "" {
				p.addf("%s lists an empty participant id", where)
			}
			known(where, id)
		}
	}
	for i := range m.Events {
		e := &m.Events[i]
		where := fmt.Sprintf("event %d", i)
		if e.ID != "" {
			where = fmt.Sprintf("event %d (%q)", i, e.ID)
		}
		switch e.Type {
		case Message, Join, Leave, History, Disclaimer, Unknown:
		case "":
			p.addf("%s has no type", where)
		default:
			p.addf("%s has unknown type %q", where, e.Type)
		}
		switch {
		case e.Conversation == "":
			p.addf("%s names no conversation", where)
		case x.conversations[e.Conversation] == nil:
			p.addf("%s refers to undeclared conversation %q", where, e.Conversation)
		}
		if e.Participant == "" && (e.Type == Message || e.Type == Join || e.Type == Leave) {
			p.addf("%s names no participant", where)
		}
		known(where, e.Participant)
		if e.Direction != "" && e.Direction != Incoming && e.Direction != Outgoing {
			p.addf("%s has unknown direction %q", where, e.Direction)
		}
		for j, ed := range e.Edits {
			if ed.Participant == "" && e.Participant == "" {
				p.addf("%s edit %d names no participant", where, j)
			}
			known(fmt.Sprintf("%s edit %d", where, j), ed.Participant)
		}
		for j, r := range e.Reactions {
			for _, id := range r.Participants {
				known(fmt.Sprintf("%s reaction %d", where, j), id)
			}
		}
		for j, rr := range e.ReadReceipts {
			if rr.Participant == "" {
				p.addf("%s read receipt %d names no participant", where, j)
			}
			known(fmt.Sprintf("%s read receipt %d", where, j), rr.Participant)
			if rr.Action != "" && rr.Action != Read && rr.Action != Delivered {
				p.addf("%s read receipt %d has unknown action %q", where, j, rr.Action)
			}
		}
		for j, a := range e.Attachments {
			if a.ID == "" {
				p.addf("%s attachment %d has no id", where, j)
			}
			badID(fmt.Sprintf("%s attachment %d", where, j), a.ID)
		}
		badID(where, e.ID)
		badID(where+" parent", e.Parent)
		if e.ID != "" {
			k := eventKey{e.Conversation, e.ID}
			if x.events[k] {
				p.addf("%s repeats an event id within conversation %q", where, e.Conversation)
			}
			x.events[k] = true
		}
	}
	if strict {
		for i := range m.Events {
			e := &m.Events[i]
			if e.Parent != "" && !x.events[eventKey{e.Conversation, e.Parent}] {
				p.addf("event %d replies to %q, which is not an event of conversation %q in this file",
					i, e.Parent, e.Conversation)
			}
		}
	}
	return x, p
}

// hasParent reports whether the manifest holds the event a reply points to.
func (x *Index) hasParent(e *Event) bool {
	return x.events[eventKey{e.Conversation, e.Parent}]
}

// plainName reports whether s can name a file at the root of rsmf.zip.
func plainName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 255 || s == ManifestName {
		return false
	}
	if strings.ContainsAny(s, "/\\:") {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return false
		}
	}
	return true
}
