package rsmf

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// ManifestName is the manifest's file name at the root of rsmf.zip.
const ManifestName = "rsmf_manifest.json"

// The wire types are rsmf_manifest.json exactly as schema 2.0.0 spells it.
// Field order follows the schema so the files read naturally.

type wireManifest struct {
	Version           string             `json:"version"`
	EventCollectionID string             `json:"eventcollectionid,omitempty"`
	Participants      []wireParticipant  `json:"participants"`
	Conversations     []wireConversation `json:"conversations"`
	Events            []wireEvent        `json:"events"`
}

type wireCustom struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type wireParticipant struct {
	ID        string       `json:"id"`
	Display   string       `json:"display,omitempty"`
	Email     string       `json:"email,omitempty"`
	Avatar    string       `json:"avatar,omitempty"`
	AccountID string       `json:"account_id,omitempty"`
	Custom    []wireCustom `json:"custom,omitempty"`
}

type wireConversation struct {
	ID           string       `json:"id"`
	Display      string       `json:"display,omitempty"`
	Platform     string       `json:"platform"`
	Type         string       `json:"type,omitempty"`
	Participants []string     `json:"participants"`
	Custodian    string       `json:"custodian,omitempty"`
	Custom       []wireCustom `json:"custom,omitempty"`
}

type wireEvent struct {
	ID           string            `json:"id,omitempty"`
	Type         string            `json:"type"`
	Parent       string            `json:"parent,omitempty"`
	Body         string            `json:"body,omitempty"`
	Participant  string            `json:"participant,omitempty"`
	Conversation string            `json:"conversation,omitempty"`
	Timestamp    string            `json:"timestamp,omitempty"`
	Deleted      bool              `json:"deleted,omitempty"`
	Reactions    []wireReaction    `json:"reactions,omitempty"`
	Attachments  []wireAttachment  `json:"attachments,omitempty"`
	Edits        []wireEdit        `json:"edits,omitempty"`
	Custom       []wireCustom      `json:"custom,omitempty"`
	Direction    string            `json:"direction,omitempty"`
	ReadReceipts []wireReadReceipt `json:"read_receipts,omitempty"`
}

type wireReaction struct {
	Value        string   `json:"value"`
	Count        int      `json:"count,omitempty"`
	Participants []string `json:"participants,omitempty"`
}

type wireAttachment struct {
	ID      string `json:"id"`
	Display string `json:"display,omitempty"`
	Size    int64  `json:"size,omitempty"`
}

type wireEdit struct {
	Participant string `json:"participant"`
	Timestamp   string `json:"timestamp,omitempty"`
	Previous    string `json:"previous"`
	New         string `json:"new"`
}

type wireReadReceipt struct {
	Participant string `json:"participant"`
	Timestamp   string `json:"timestamp,omitempty"`
	Action      string `json:"action,omitempty"`
}

// Custom property names the writer adds to keep facts the schema has no
// field for.
const (
	customEmail             = "Email"
	customReplyTo           = "Reply to event"
	customMissingAttachment = "Attachment missing at capture"
	customEmptyReaction     = "Reaction without a value"
)

// wireOf converts an indexed manifest to its wire form. written holds the
// byte size of every file actually put in rsmf.zip; attachments and
// avatars absent from it are left out of the manifest, noted in a custom
// property and reported through warn, so the manifest never names a file
// the zip does not hold.
func wireOf(x *Index, written map[string]int64, warn func(string)) *wireManifest {
	m := x.m
	out := &wireManifest{
		Version:           Version,
		EventCollectionID: m.EventCollectionID,
		Participants:      make([]wireParticipant, 0, len(m.Participants)),
		Conversations:     make([]wireConversation, 0, len(m.Conversations)),
		Events:            make([]wireEvent, 0, len(m.Events)),
	}
	for i := range m.Participants {
		p := &m.Participants[i]
		w := wireParticipant{ID: p.ID, Display: p.Display, AccountID: p.AccountID, Custom: customs(p.Custom)}
		if p.Email != "" {
			if validEmail(p.Email) {
				w.Email = p.Email
			} else {
				w.Custom = append(w.Custom, wireCustom{customEmail, p.Email})
			}
		}
		if p.Avatar != nil {
			if _, ok := written[p.Avatar.ID]; ok {
				w.Avatar = p.Avatar.ID
			} else {
				warn(fmt.Sprintf("participant %q: avatar %q is missing", p.ID, p.Avatar.ID))
			}
		}
		out.Participants = append(out.Participants, w)
	}
	for i := range m.Conversations {
		c := &m.Conversations[i]
		parts := c.Participants
		if parts == nil {
			parts = []string{} // the schema requires an array
		}
		out.Conversations = append(out.Conversations, wireConversation{
			ID: c.ID, Display: c.Display, Platform: c.Platform, Type: string(c.Type),
			Participants: parts, Custodian: c.Custodian, Custom: customs(c.Custom),
		})
	}
	for i := range m.Events {
		out.Events = append(out.Events, eventWire(x, &m.Events[i], written, warn))
	}
	return out
}

func eventWire(x *Index, e *Event, written map[string]int64, warn func(string)) wireEvent {
	w := wireEvent{
		ID: e.ID, Type: string(e.Type), Body: e.Body, Participant: e.Participant,
		Conversation: e.Conversation, Timestamp: wireTime(e.Timestamp), Deleted: e.Deleted,
		Direction: string(e.Direction), Custom: customs(e.Custom),
	}
	if e.Parent != "" {
		// The schema wants a parent inside the same file; a reply cut off
		// from its parent by slicing keeps the link as a custom property.
		if x.hasParent(e) {
			w.Parent = e.Parent
		} else {
			w.Custom = append(w.Custom, wireCustom{customReplyTo, e.Parent})
		}
	}
	for _, r := range e.Reactions {
		if r.Value == "" {
			w.Custom = append(w.Custom, wireCustom{customEmptyReaction, strings.Join(r.Participants, ", ")})
			warn(fmt.Sprintf("event %q: a reaction without a value is kept as a custom property", e.ID))
			continue
		}
		count := r.Count
		if count == 0 {
			count = len(r.Participants)
		}
		w.Reactions = append(w.Reactions, wireReaction{Value: r.Value, Count: count, Participants: r.Participants})
	}
	for _, a := range e.Attachments {
		size, ok := written[a.ID]
		if !ok {
			w.Custom = append(w.Custom, wireCustom{customMissingAttachment, nonEmpty(a.Display, a.ID)})
			warn(fmt.Sprintf("event %q: attachment %q is missing", e.ID, nonEmpty(a.Display, a.ID)))
			continue
		}
		w.Attachments = append(w.Attachments, wireAttachment{ID: a.ID, Display: a.Display, Size: size})
	}
	for _, ed := range e.Edits {
		who := ed.Participant
		if who == "" {
			who = e.Participant
		}
		w.Edits = append(w.Edits, wireEdit{Participant: who, Timestamp: wireTime(ed.Timestamp), Previous: ed.Previous, New: ed.New})
	}
	for _, rr := range e.ReadReceipts {
		w.ReadReceipts = append(w.ReadReceipts, wireReadReceipt{Participant: rr.Participant, Timestamp: wireTime(rr.Timestamp), Action: string(rr.Action)})
	}
	return w
}

func wireTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return timestamp(t)
}

// customs turns a map into the schema's name/value list, sorted by name
// so output is reproducible, without the empty names or values the schema
// forbids.
func customs(m map[string]string) []wireCustom {
	if len(m) == 0 {
		return nil
	}
	out := make([]wireCustom, 0, len(m))
	for k, v := range m {
		if k != "" && v != "" {
			out = append(out, wireCustom{k, v})
		}
	}
	slices.SortFunc(out, func(a, b wireCustom) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// validEmail reports whether s is a bare addr-spec: what Relativity's
// validator, which checks the schema's "idn-email" format, is likely to
// accept. Validate applies the same rule.
func validEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, "<> \t\r\n") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at <= 64 && at < len(s)-1
}

// modelOf turns a decoded manifest back into the model, for the
// consistency checks Validate shares with the writer.
func modelOf(w *wireManifest) *Manifest {
	m := &Manifest{EventCollectionID: w.EventCollectionID}
	for _, p := range w.Participants {
		mp := Participant{ID: p.ID, Display: p.Display, Email: p.Email, AccountID: p.AccountID}
		if p.Avatar != "" {
			mp.Avatar = &Attachment{ID: p.Avatar}
		}
		m.Participants = append(m.Participants, mp)
	}
	for _, c := range w.Conversations {
		m.Conversations = append(m.Conversations, Conversation{
			ID: c.ID, Platform: c.Platform, Display: c.Display, Type: ConversationType(c.Type),
			Custodian: c.Custodian, Participants: c.Participants,
		})
	}
	for _, e := range w.Events {
		me := Event{
			ID: e.ID, Type: EventType(e.Type), Parent: e.Parent, Body: e.Body, Participant: e.Participant,
			Conversation: e.Conversation, Deleted: e.Deleted, Direction: Direction(e.Direction),
		}
		me.Timestamp, _ = parseISO8601(e.Timestamp)
		for _, r := range e.Reactions {
			me.Reactions = append(me.Reactions, Reaction{Value: r.Value, Count: r.Count, Participants: r.Participants})
		}
		for _, a := range e.Attachments {
			me.Attachments = append(me.Attachments, Attachment{ID: a.ID, Display: a.Display, Size: a.Size})
		}
		for _, ed := range e.Edits {
			me.Edits = append(me.Edits, Edit{Participant: ed.Participant, Previous: ed.Previous, New: ed.New})
		}
		for _, rr := range e.ReadReceipts {
			me.ReadReceipts = append(me.ReadReceipts, ReadReceipt{Participant: rr.Participant, Action: ReceiptAction(rr.Action)})
		}
		m.Events = append(m.Events, me)
	}
	return m
}
