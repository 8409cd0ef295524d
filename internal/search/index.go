package search

import (
	"context"
	"slices"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// Party is a sender or a recipient as the index sees it.
type Party struct {
	Address string // the channel address: phone number, email, username
	Name    string // the display name at the time; "" if unknown
}

// Doc is a message as the indexer sees it, in plaintext, for the moment it
// takes to index it: the text is never stored, only keyed hashes of its
// tokens (see Keyer).
type Doc struct {
	ID             string   // the message's archive record id
	ConversationID string   //
	Text           []string // the body, then each attachment's extracted text
	From           Party    //
	To             []Party  //
	Participants   []Party  // the conversation's other members when the message was sent
	Custodians     []string // employee ids of those whose records these are
	Channel        string   // "signal", "whatsapp", ...
	HasAttachment  bool     //
	Filenames      []string // attachments' file names
	DLP            []string // names of the DLP detectors that found something
	Sent           time.Time
	Direction      steward.Direction
	Deleted        bool // deleted for everyone by its sender
	Edited         bool // has a later revision
}

// MaxIDLen bounds Doc.ID and the ids in a Filter.
const MaxIDLen = 256

// Check reports whether d can be indexed. Returns Invalid if its ID is
// empty or longer than MaxIDLen.
func (d *Doc) Check() error {
	const op steward.Op = "search.Doc.Check"
	if d.ID == "" || len(d.ID) > MaxIDLen {
		return steward.Errorf(op, steward.Invalid, "document id must be 1 to %d bytes", MaxIDLen)
	}
	return nil
}

// The index keeps sent times to the millisecond, within [MinTime, MaxTime).
// ClampTime brings a time into that range, so a phone with a wrong clock
// cannot keep its message out of the index.
var (
	MinTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// ClampTime returns t in UTC, truncated to the millisecond and moved into
// [MinTime, MaxTime). Every comparison of a document's sent time, in Match
// and in every Index, is made on ClampTime(Doc.Sent).
func ClampTime(t time.Time) time.Time {
	switch {
	case t.Before(MinTime):
		return MinTime
	case !t.Before(MaxTime):
		return MaxTime.Add(-time.Millisecond)
	}
	return t.UTC().Truncate(time.Millisecond)
}

// Limits of a Filter.
const (
	DefaultLimit    = 100  // hits per page when Filter.Limit is 0
	MaxLimit        = 1000 // the largest Filter.Limit
	MaxFilterValues = 1000 // custodians, and conversations, per Filter
)

// Filter is the caller's authority and the page wanted. The authority
// comes from a case, a FOIA request or a review assignment, never from the
// query text, so no query can widen it.
type Filter struct {
	// Custodians, if not empty, restricts hits to documents that have at
	// least one of these custodians.
	Custodians []string
	// Conversations, if not empty, restricts hits to these conversations.
	Conversations []string
	// Unrestricted must be set to search without custodians or
	// conversations: a forgotten authority then fails instead of searching
	// everything. For administrators and benchmarks.
	Unrestricted bool
	// Since and Until, when not zero, restrict hits to documents sent in
	// [Since, Until).
	Since, Until time.Time
	// Limit is the most hits to return: 0 means DefaultLimit.
	Limit int
	// After is the Cursor of the last hit of the previous page.
	After string
	// Rank asks for Hit.Rank. Hits come newest first either way, and a
	// score costs the index a pass over every posting of the query's
	// terms (SQLite: bm25's document frequencies), most of the time of a
	// search for a common word.
	Rank bool
	// Load returns the plaintext document of a record by decrypting it: the
	// verifier a query needs when the blind index can only narrow its
	// answer (a wildcard stem longer than MaxHashedPrefix runes; see
	// Plan.Verify). A hit whose Load fails with NotFound or Gone is dropped;
	// any other error fails the search.
	Load func(ctx context.Context, id string) (*Doc, error)
}

// Check reports whether f is a usable filter: an authority (or
// Unrestricted), a Limit in [0, MaxLimit], at most MaxFilterValues
// custodians and conversations, none empty or longer than MaxIDLen.
// Returns Invalid or TooLarge otherwise.
func (f *Filter) Check() error {
	const op steward.Op = "search.Filter.Check"
	if len(f.Custodians) == 0 && len(f.Conversations) == 0 && !f.Unrestricted {
		return steward.E(op, steward.Invalid, "a search needs an authority: custodians or conversations")
	}
	if f.Limit < 0 || f.Limit > MaxLimit {
		return steward.Errorf(op, steward.Invalid, "limit must be from 1 to %d, or 0 for %d", MaxLimit, DefaultLimit)
	}
	for _, ids := range [][]string{f.Custodians, f.Conversations} {
		if len(ids) > MaxFilterValues {
			return steward.Errorf(op, steward.TooLarge, "a filter holds at most %d custodians and %d conversations", MaxFilterValues, MaxFilterValues)
		}
		for _, id := range ids {
			if id == "" || len(id) > MaxIDLen {
				return steward.Errorf(op, steward.Invalid, "filter ids must be 1 to %d bytes", MaxIDLen)
			}
		}
	}
	return nil
}

// PageSize returns the number of hits a page holds under f.
func (f *Filter) PageSize() int {
	if f.Limit == 0 {
		return DefaultLimit
	}
	return f.Limit
}

// Allows reports whether d is within f's authority and date range. It is
// the reference for every Index, as Match is for queries.
func (f *Filter) Allows(d *Doc) bool {
	if len(f.Custodians) > 0 && !slices.ContainsFunc(d.Custodians, func(c string) bool { return slices.Contains(f.Custodians, c) }) {
		return false
	}
	if len(f.Conversations) > 0 && !slices.Contains(f.Conversations, d.ConversationID) {
		return false
	}
	ms := ClampTime(d.Sent).UnixMilli()
	if !f.Since.IsZero() && ms < ceilMilli(f.Since) {
		return false
	}
	if !f.Until.IsZero() && ms >= ceilMilli(f.Until) {
		return false
	}
	return true
}

// ceilMilli is t in milliseconds since the epoch, rounded up: a sent time,
// kept to the millisecond, is at or after t exactly when it is at or after
// ceilMilli(t).
func ceilMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Sub(time.UnixMilli(ms)) > 0 {
		ms++
	}
	return ms
}

// Hit is one document a search found. Its text, context and highlights are
// not in the index: the caller decrypts the record to show them.
type Hit struct {
	ID             string
	ConversationID string
	Sent           time.Time // ClampTime of the document's sent time
	// Rank is a relevance score if Filter.Rank asked for one, else 0:
	// positive, higher for better matches of the query's text, 0 for
	// queries without text. It is the backend's own (FTS5's bm25 for
	// SQLite) and comparable only among the hits of one search.
	Rank float64
	// Cursor continues the search after this hit (Filter.After). It is
	// opaque and valid for the index that returned it.
	Cursor string
}

// Index is a blind full-text index of messages.
//
// Every implementation returns, for any query and filter, exactly the
// documents d for which Match(q, d) and f.Allows(d) hold among those added
// and not removed (searchtest.Run checks this), newest first by sent time
// (ties in an order of the backend's choosing that does not change), a
// page at a time.
type Index interface {
	// Add indexes docs in one transaction. Adding a document whose ID is
	// already indexed replaces it, so Add is idempotent and also the way to
	// record an edit or a deletion. Returns Invalid if a document fails
	// Doc.Check, Unavailable if the index cannot be written.
	Add(ctx context.Context, docs ...*Doc) error

	// Remove deletes the documents with these ids, as disposition does.
	// Ids that are not indexed are ignored.
	Remove(ctx context.Context, ids ...string) error

	// Search returns the next page of hits of q within f. Returns Invalid
	// if f fails Filter.Check, if f.After is not a cursor of this index, or
	// if q needs a verifier (Plan.Verify) and f.Load is nil.
	Search(ctx context.Context, q *Query, f Filter) ([]Hit, error)
}
