package rsmf

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// DefaultMaxEvents is the most events one file holds: Relativity's
// recommended limit, and the largest MaxEvents accepted.
const DefaultMaxEvents = 10_000

// Day is the default slice: one file per conversation per calendar day.
const Day = 24 * time.Hour

// SplitOptions tune a Splitter. The zero value cuts one conversation-day
// per file, in UTC, with at most DefaultMaxEvents events and
// DefaultMaxBytes bytes.
type SplitOptions struct {
	// MaxEvents caps the events per file; zero means DefaultMaxEvents.
	MaxEvents int
	// Slice is the time window of one file. Zero means Day, which follows
	// calendar days in Location (so a daylight-saving day is 23 or 25
	// hours); other positive values are fixed windows aligned to UTC; a
	// negative value disables time slicing, leaving only the caps.
	Slice time.Duration
	// Location sets day boundaries for Day slices; nil means UTC.
	Location *time.Location
	// MaxBytes caps the estimated size of a file (see EstimateSize); zero
	// means DefaultMaxBytes. Attachments of unknown size count as empty
	// here, and Write still enforces the limit on actual bytes.
	MaxBytes int64
}

// A Slice is one file's worth of events: one conversation, one time
// window, and, when the window holds more than the caps allow, one part of
// it. Its Manifest is ready for Write (or for the eml package).
type Slice struct {
	// Conversation is the conversation's ID.
	Conversation string
	// Start and End bound the window, [Start, End); both are zero when
	// time slicing is off.
	Start, End time.Time
	// Part numbers the files of one window from 1.
	Part int
	// Manifest holds the conversation, the events, and every participant
	// they mention as the Splitter saw them when first mentioned.
	Manifest *Manifest
}

// Name returns a file name stem for the slice, unique within one
// production: the conversation ID made safe for file systems, the window
// start and the part number, e.g. "c-42_2024-01-02_001".
func (s *Slice) Name() string {
	when := "all"
	switch {
	case s.Start.IsZero():
	case s.End.Sub(s.Start) >= 23*time.Hour && s.Start.Hour() == 0 && s.Start.Minute() == 0:
		when = s.Start.Format(time.DateOnly)
	default:
		when = s.Start.UTC().Format("2006-01-02T150405Z")
	}
	return fmt.Sprintf("%s_%s_%03d", safeName(s.Conversation), when, s.Part)
}

// safeName keeps letters, digits, '-' and '.', replacing anything else
// and adding a digest of the original whenever it had to change it, so
// two IDs never share a name.
func safeName(id string) string {
	var b strings.Builder
	changed := len(id) > 64 || id == "" || strings.HasPrefix(id, ".")
	for _, r := range id {
		if b.Len() >= 64 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
			changed = true
		}
	}
	if changed {
		sum := sha256.Sum256([]byte(id))
		b.WriteString("-" + hex.EncodeToString(sum[:4]))
	}
	return b.String()
}

// Splitter cuts a stream of events into slices: per conversation, per
// time window, and within the event and size caps. Events must arrive in
// time order within each conversation (the export cursor's order of
// timestamp then ID); conversations may interleave. A slice is handed to
// the emit function as soon as it is complete: when its conversation moves
// past the window, when any event arrives at or after the window's end,
// when a cap is reached, or at Close.
//
// A Splitter is not safe for concurrent use.
type Splitter struct {
	opts          SplitOptions
	emit          func(*Slice) error
	participants  map[string]Participant
	conversations map[string]Conversation
	open          map[string]*batch    // by conversation ID
	parts         map[windowKey]int    // parts already emitted per window
	horizon       time.Time            // earliest End among open batches
	last          map[string]time.Time // latest event time per conversation
	checked       map[string]bool      // conversations whose participants are all declared
	err           error
}

type windowKey struct {
	conversation string
	start        time.Time
}

type batch struct {
	conv       Conversation
	start, end time.Time
	events     []Event
	people     map[string]Participant
	order      []string
	content    int64 // declared attachment bytes
	text       int64 // estimated manifest bytes
}

// NewSplitter returns a Splitter that hands each complete slice to emit.
// An error from emit stops the Splitter and is returned by the Add or
// Close that caused it. Options out of range are steward.Invalid.
func NewSplitter(opts SplitOptions, emit func(*Slice) error) (*Splitter, error) {
	const op steward.Op = "rsmf.NewSplitter"
	switch {
	case opts.MaxEvents == 0:
		opts.MaxEvents = DefaultMaxEvents
	case opts.MaxEvents < 0 || opts.MaxEvents > DefaultMaxEvents:
		return nil, steward.Errorf(op, steward.Invalid, "events per file must be between 1 and %d", DefaultMaxEvents)
	}
	if opts.Slice == 0 {
		opts.Slice = Day
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if emit == nil {
		return nil, steward.Errorf(op, steward.Invalid, "no emit function")
	}
	return &Splitter{
		opts:          opts,
		emit:          emit,
		participants:  make(map[string]Participant),
		conversations: make(map[string]Conversation),
		open:          make(map[string]*batch),
		parts:         make(map[windowKey]int),
		last:          make(map[string]time.Time),
		checked:       make(map[string]bool),
	}, nil
}

// AddParticipant declares a participant, or replaces its declaration.
// Slices keep the value current when the participant was first mentioned
// in them, so an identity change shows from the next file on.
func (s *Splitter) AddParticipant(p Participant) error {
	if p.ID == "" {
		return steward.Errorf("rsmf.Splitter.AddParticipant", steward.Invalid, "participant has no id")
	}
	s.participants[p.ID] = p
	return nil
}

// AddConversation declares a conversation, or replaces its declaration
// for slices not yet begun.
func (s *Splitter) AddConversation(c Conversation) error {
	const op steward.Op = "rsmf.Splitter.AddConversation"
	if c.ID == "" || c.Platform == "" {
		return steward.Errorf(op, steward.Invalid, "conversation needs an id and a platform")
	}
	s.conversations[c.ID] = c
	delete(s.checked, c.ID)
	return nil
}

// Add adds the next event. It fails with steward.Invalid when the event
// names an undeclared conversation or participant, has no timestamp, or
// is older than the previous event of its conversation; with
// steward.TooLarge when its attachments alone exceed MaxBytes; and with
// whatever emit returned.
func (s *Splitter) Add(e Event) error {
	const op steward.Op = "rsmf.Splitter.Add"
	if s.err != nil {
		return s.err
	}
	conv, ok := s.conversations[e.Conversation]
	if !ok {
		return steward.Errorf(op, steward.Invalid, "event %q: undeclared conversation %q", e.ID, e.Conversation)
	}
	if e.Timestamp.IsZero() {
		return steward.Errorf(op, steward.Invalid, "event %q has no timestamp", e.ID)
	}
	if e.Timestamp.Before(s.last[conv.ID]) {
		return steward.Errorf(op, steward.Invalid, "event %q is older than the previous event of conversation %q", e.ID, conv.ID)
	}
	for _, id := range mentions(&e) {
		if _, ok := s.participants[id]; !ok {
			return steward.Errorf(op, steward.Invalid, "event %q: undeclared participant %q", e.ID, id)
		}
	}
	if !s.checked[conv.ID] {
		for _, id := range append([]string{conv.Custodian}, conv.Participants...) {
			if _, ok := s.participants[id]; !ok && id != "" {
				return steward.Errorf(op, steward.Invalid, "conversation %q: undeclared participant %q", conv.ID, id)
			}
		}
		s.checked[conv.ID] = true
	}
	content, text := eventSize(&e)
	if EstimateSize(content+text)+overhead > s.opts.MaxBytes {
		return steward.Errorf(op, steward.TooLarge, "event %q: its attachments alone exceed %d bytes", e.ID, s.opts.MaxBytes)
	}
	s.last[conv.ID] = e.Timestamp

	start, end := s.window(e.Timestamp)
	if !s.horizon.IsZero() && !e.Timestamp.Before(s.horizon) {
		if err := s.flushBefore(e.Timestamp); err != nil {
			return s.fail(err)
		}
	}
	b := s.open[conv.ID]
	if b != nil && !b.start.Equal(start) {
		if err := s.flush(b); err != nil {
			return s.fail(err)
		}
		b = nil
	}
	if b != nil && (len(b.events) >= s.opts.MaxEvents ||
		EstimateSize(b.content+content+b.text+text)+overhead > s.opts.MaxBytes) {
		if err := s.flush(b); err != nil {
			return s.fail(err)
		}
		b = nil
	}
	if b == nil {
		b = &batch{conv: conv, start: start, end: end, people: make(map[string]Participant)}
		s.open[conv.ID] = b
		if !end.IsZero() && (s.horizon.IsZero() || end.Before(s.horizon)) {
			s.horizon = end
		}
		for _, id := range append([]string{conv.Custodian}, conv.Participants...) {
			if id != "" {
				b.mention(s.participants[id])
			}
		}
	}
	for _, id := range mentions(&e) {
		b.mention(s.participants[id])
	}
	b.events = append(b.events, e)
	b.content += content
	b.text += text
	return nil
}

// overhead covers what a file holds besides events: headers, the preview
// (quoted-printable can triple its bytes) and the declarations.
const overhead = 3*DefaultPreviewBytes + 1<<20

// Close emits every open slice, ordered by window start and conversation,
// and returns the first error the Splitter met.
func (s *Splitter) Close() error {
	if s.err != nil {
		return s.err
	}
	if err := s.flushBefore(time.Time{}); err != nil {
		return s.fail(err)
	}
	return nil
}

func (s *Splitter) fail(err error) error {
	s.err = err
	return err
}

// flushBefore emits the open batches whose window ends at or before t, or
// all of them when t is zero.
func (s *Splitter) flushBefore(t time.Time) error {
	var due []*batch
	for _, b := range s.open {
		if t.IsZero() || !b.end.IsZero() && !b.end.After(t) {
			due = append(due, b)
		}
	}
	slices.SortFunc(due, func(a, b *batch) int {
		return cmp.Or(a.start.Compare(b.start), strings.Compare(a.conv.ID, b.conv.ID))
	})
	for _, b := range due {
		if err := s.flush(b); err != nil {
			return err
		}
	}
	return nil
}

func (s *Splitter) flush(b *batch) error {
	delete(s.open, b.conv.ID)
	s.horizon = time.Time{}
	for o := range maps.Values(s.open) {
		if !o.end.IsZero() && (s.horizon.IsZero() || o.end.Before(s.horizon)) {
			s.horizon = o.end
		}
	}
	k := windowKey{b.conv.ID, b.start}
	s.parts[k]++
	m := &Manifest{
		EventCollectionID: b.conv.ID,
		Participants:      make([]Participant, 0, len(b.order)),
		Conversations:     []Conversation{b.conv},
		Events:            b.events,
	}
	for _, id := range b.order {
		m.Participants = append(m.Participants, b.people[id])
	}
	return s.emit(&Slice{Conversation: b.conv.ID, Start: b.start, End: b.end, Part: s.parts[k], Manifest: m})
}

func (b *batch) mention(p Participant) {
	if _, ok := b.people[p.ID]; ok {
		return
	}
	b.people[p.ID] = p
	b.order = append(b.order, p.ID)
	b.text += 512 + 6*int64(len(p.Display)+len(p.Email)+len(p.AccountID))
	if p.Avatar != nil {
		b.content += max(p.Avatar.Size, 0)
	}
}

// window returns the slice window holding t.
func (s *Splitter) window(t time.Time) (start, end time.Time) {
	switch {
	case s.opts.Slice < 0:
		return time.Time{}, time.Time{}
	case s.opts.Slice == Day:
		l := t.In(s.opts.Location)
		start = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, s.opts.Location)
		return start, start.AddDate(0, 0, 1)
	}
	start = t.UTC().Truncate(s.opts.Slice)
	return start, start.Add(s.opts.Slice)
}

// mentions lists the participant IDs an event refers to.
func mentions(e *Event) []string {
	ids := make([]string, 0, 1+len(e.Edits))
	if e.Participant != "" {
		ids = append(ids, e.Participant)
	}
	for _, ed := range e.Edits {
		if ed.Participant != "" {
			ids = append(ids, ed.Participant)
		}
	}
	for _, r := range e.Reactions {
		ids = append(ids, r.Participants...)
	}
	for _, rr := range e.ReadReceipts {
		if rr.Participant != "" {
			ids = append(ids, rr.Participant)
		}
	}
	return ids
}

// eventSize estimates an event's share of a file: declared attachment
// bytes, and manifest bytes with JSON's worst-case escaping (six bytes per
// control character) so the estimate stays an upper bound.
func eventSize(e *Event) (content, text int64) {
	text = 256 + 6*int64(len(e.ID)+len(e.Parent)+len(e.Body)+len(e.Participant)+len(e.Conversation))
	for _, ed := range e.Edits {
		text += 128 + 6*int64(len(ed.Participant)+len(ed.Previous)+len(ed.New))
	}
	for _, r := range e.Reactions {
		text += 64 + 6*int64(len(r.Value))
		for _, id := range r.Participants {
			text += 8 + 6*int64(len(id))
		}
	}
	for _, rr := range e.ReadReceipts {
		text += 96 + 6*int64(len(rr.Participant))
	}
	for _, a := range e.Attachments {
		text += 128 + 6*int64(len(a.ID)+len(a.Display))
		content += max(a.Size, 0) + 128 + int64(len(a.ID)) // zip headers
	}
	for k, v := range e.Custom {
		text += 32 + 6*int64(len(k)+len(v))
	}
	return content, text
}
