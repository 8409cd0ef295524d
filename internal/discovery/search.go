package discovery

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/steward-gov/steward/internal/search"
	"github.com/steward-gov/steward/internal/steward"
)

// Message is one archived message or event as a search shows it.
type Message struct {
	RecordID    string            `json:"record_id"`
	Type        string            `json:"type"`
	Direction   steward.Direction `json:"direction,omitempty"`
	Sender      steward.Party     `json:"sender"`
	Body        string            `json:"body,omitempty"`
	Attachments []string          `json:"attachments,omitempty"`
	SentAt      *time.Time        `json:"sent_at,omitempty"`
	// Destroyed is set when disposition shredded the record's content
	// after it was indexed: its metadata is shown, its content is gone.
	Destroyed bool `json:"destroyed,omitempty"`
}

// Span is a highlighted part of a message's body: bytes [Start, End).
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Result is one hit: the message, the spans of its body the query's
// words matched, and up to ContextSize records of its conversation either
// side, oldest first.
type Result struct {
	Message    Message   `json:"message"`
	Highlights []Span    `json:"highlights"`
	Before     []Message `json:"before"`
	After      []Message `json:"after"`
	// Cursor continues the search after this hit.
	Cursor string `json:"cursor"`
}

// SearchResult is a page of a case's search.
type SearchResult struct {
	CaseID  string   `json:"case_id"`
	Query   string   `json:"query"`
	Results []Result `json:"results"`
	// Next, when not empty, is the After of the next page.
	Next string `json:"next,omitempty"`
}

// Search runs query within a case's custodians and dates and returns a
// page of hits, newest first, each with its context and highlights.
// after is the Next of the previous page; limit is 1 to MaxLimit, or 0
// for DefaultLimit.
//
// The case is the search's only authority: the index is asked for
// nothing outside its custodians and dates, whatever the query says. The
// read is audited (case.search: case, query, every record returned, and
// the purpose "case:<id>") before any record is decrypted, and a failed
// audit returns nothing.
//
// Returns Invalid for a malformed query (with the 1-based position of
// its fault), a bad limit or cursor; Conflict if the case is closed;
// NotFound for no such case; Unavailable without an index.
func (s *Service) Search(ctx context.Context, actor, caseID, query, after string, limit int) (*SearchResult, error) {
	const op steward.Op = "discovery.Search"
	if limit < 0 || limit > MaxLimit {
		return nil, steward.Errorf(op, steward.Invalid, "limit must be from 1 to %d, or 0 for %d", MaxLimit, DefaultLimit)
	}
	if limit == 0 {
		limit = DefaultLimit
	}
	c, err := s.Store.CaseByID(ctx, caseID)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if c.Closed() {
		return nil, steward.E(op, steward.Conflict, "the case is closed: it can no longer be searched")
	}
	q, err := search.Parse(query)
	if err != nil {
		return nil, steward.E(op, err)
	}
	if s.Index == nil {
		return nil, steward.E(op, steward.Unavailable, "this installation runs without a search index")
	}
	if len(c.Custodians) == 0 {
		// checkCase forbids it; a store edited by hand must not turn a
		// case into an authority over everyone.
		return nil, steward.E(op, steward.Integrity, "the case has no custodians")
	}
	f := search.Filter{Custodians: c.Custodians, Limit: limit, After: after, Load: s.Load}
	if c.From != nil {
		f.Since = *c.From
	}
	if c.Until != nil {
		f.Until = *c.Until
	}
	hits, err := s.Index.Search(ctx, q, f)
	if err != nil {
		return nil, steward.E(op, err)
	}

	// Gather every record to be shown, metadata only, so that the audit
	// names them all before any is decrypted.
	type found struct {
		hit               search.Hit
		rec               *steward.Record
		before, afterRecs []*steward.Record
	}
	var fs []found
	var ids []string
	for _, h := range hits {
		rec, err := s.Store.RecordByID(ctx, h.ID)
		if steward.Is(steward.NotFound, err) {
			continue // removed since it was indexed
		} else if err != nil {
			return nil, steward.E(op, err)
		}
		x := found{hit: h, rec: rec}
		if rec.ConversationID != "" {
			if x.before, err = s.Store.ConversationRecordsBefore(ctx, rec.ConversationID, rec.LeafIndex, ContextSize); err != nil {
				return nil, steward.E(op, err)
			}
			if x.afterRecs, err = s.Store.ConversationRecords(ctx, rec.ConversationID, rec.LeafIndex, ContextSize); err != nil {
				return nil, steward.E(op, err)
			}
		}
		ids = append(ids, rec.ID)
		for _, r := range append(x.before, x.afterRecs...) {
			ids = append(ids, r.ID)
		}
		fs = append(fs, x)
	}
	if err := s.audit(ctx, actor, "case.search", c.ID, map[string]any{"case": c.ID, "query": query,
		"records": ids, "hits": len(fs), "purpose": "case:" + c.ID}); err != nil {
		return nil, steward.E(op, err)
	}

	terms := QueryTerms(q)
	res := &SearchResult{CaseID: c.ID, Query: query, Results: []Result{}}
	for _, x := range fs {
		r := Result{Message: s.message(ctx, x.rec), Before: []Message{}, After: []Message{}, Cursor: x.hit.Cursor}
		r.Highlights = Highlight(r.Message.Body, terms)
		for _, b := range x.before {
			r.Before = append(r.Before, s.message(ctx, b))
		}
		for _, a := range x.afterRecs {
			r.After = append(r.After, s.message(ctx, a))
		}
		res.Results = append(res.Results, r)
	}
	if len(hits) == limit {
		res.Next = hits[len(hits)-1].Cursor
	}
	return res, nil
}

// message opens a record for display. A record that cannot be opened is
// shown by its metadata alone, and the failure logged.
func (s *Service) message(ctx context.Context, r *steward.Record) Message {
	m := Message{RecordID: r.ID}
	meta, c, err := s.Reader.OpenRecord(ctx, r)
	if meta != nil {
		m.Type, m.Direction, m.SentAt = meta.Type, meta.Direction, meta.SentAt
		m.Sender = steward.Party{Address: meta.Sender}
	}
	if steward.Is(steward.Gone, err) {
		m.Destroyed = true
		return m
	}
	if err != nil {
		s.logger().Error("discovery: a found record cannot be opened", "record", r.ID, "err", err)
		return m
	}
	m.Sender, m.Body = c.Sender, c.Body
	for _, a := range c.Attachments {
		m.Attachments = append(m.Attachments, a.Filename)
	}
	return m
}

// Terms are the plain words of a query a highlight looks for: whole
// tokens, and the stems of wildcards.
type Terms struct {
	Words    map[string]bool
	Prefixes []string
}

// QueryTerms collects the words of q's phrases and wildcards, leaving out
// those under NOT (they are what a hit lacks) and field conditions (they
// match metadata, not the text).
func QueryTerms(q *search.Query) Terms {
	t := Terms{Words: map[string]bool{}}
	var walk func(n *search.Node)
	walk = func(n *search.Node) {
		if n == nil {
			return
		}
		switch n.Op {
		case search.OpPhrase:
			for _, w := range n.Words {
				t.Words[w] = true
			}
		case search.OpPrefix:
			if len(n.Words) > 0 {
				t.Prefixes = append(t.Prefixes, n.Words[0])
			}
		case search.OpNot, search.OpField:
			return
		}
		for _, k := range n.Kids {
			walk(k)
		}
	}
	walk(q.Root())
	return t
}

// Highlight returns the spans of text whose words are among terms, in
// order. A word is a run of letters, digits and combining marks, read
// with search.Tokens as the index reads it, so "Café" is found by
// "cafe". It is simple on purpose: each matching word is marked on its
// own, and a phrase's words are marked wherever they occur.
func Highlight(text string, terms Terms) []Span {
	spans := []Span{}
	if len(terms.Words) == 0 && len(terms.Prefixes) == 0 {
		return spans
	}
	inWord := func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Cf, r)
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !inWord(r) {
			i += size
			continue
		}
		start := i
		for i < len(text) {
			r, size := utf8.DecodeRuneInString(text[i:])
			if !inWord(r) {
				break
			}
			i += size
		}
		for _, tok := range search.Tokens(text[start:i]) {
			if terms.matches(tok) {
				spans = append(spans, Span{Start: start, End: i})
				break
			}
		}
	}
	return spans
}

func (t Terms) matches(tok string) bool {
	if t.Words[tok] {
		return true
	}
	for _, p := range t.Prefixes {
		if strings.HasPrefix(tok, p) {
			return true
		}
	}
	return false
}
