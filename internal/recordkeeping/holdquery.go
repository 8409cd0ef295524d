package recordkeeping

import (
	"context"
	"strings"

	"github.com/steward-gov/steward/internal/search"
	"github.com/steward-gov/steward/internal/steward"
)

// Hold queries are search expressions (docs/search.md), checked when the
// hold is created and evaluated against each candidate record with
// search.Match, the same definition the search index answers to. The
// record is opened for it, inside Steward: no person sees the content, so
// the read is not audited (as the outbox's are not).
//
// Wherever a query cannot be evaluated exactly, the hold covers: a hold
// that is too wide delays a disposal, one that is too narrow destroys
// evidence. So a record covers when
//   - it is not a message (edits, reactions and other events follow the
//     scope's other dimensions),
//   - it carries attachments (their text is not extracted again here),
//   - the query asks for what a record alone cannot answer (dlp:,
//     deleted:, edited:), or
//   - it cannot be opened.

// checkHoldQuery returns Invalid for a query that does not parse.
func checkHoldQuery(q string) error {
	if strings.TrimSpace(q) == "" {
		return nil
	}
	_, err := search.Parse(q)
	return err
}

// unanswerable are the fields a single archived record cannot settle.
var unanswerable = []string{"dlp:", "deleted:", "edited:"}

// queryMatcher returns the RecordFacts.MatchQuery of a record.
func (ev *evaluator) queryMatcher(ctx context.Context, rec *steward.Record, meta *steward.RecordMeta, custodians []string) func(string) bool {
	return func(q string) bool {
		if rec.Kind != steward.RecordMessage || len(meta.Attachments) > 0 || ev.s.Open == nil {
			return true
		}
		lq := strings.ToLower(q)
		for _, f := range unanswerable {
			if strings.Contains(lq, f) {
				return true
			}
		}
		parsed, err := ev.parsed(q)
		if err != nil {
			return true
		}
		_, c, err := ev.s.Open(ctx, rec)
		if err != nil {
			return true
		}
		d := &search.Doc{ID: rec.ID, ConversationID: rec.ConversationID, Text: []string{c.Body},
			From: search.Party{Address: c.Sender.Address, Name: c.Sender.Name}, Custodians: custodians,
			Channel: meta.Channel, Direction: meta.Direction, HasAttachment: len(c.Attachments) > 0}
		if meta.SentAt != nil {
			d.Sent = *meta.SentAt
		} else {
			d.Sent = rec.CapturedAt
		}
		for _, r := range c.Recipients {
			d.To = append(d.To, search.Party{Address: r.Address, Name: r.Name})
		}
		d.Participants = append([]search.Party{d.From}, d.To...)
		return search.Match(parsed, d)
	}
}

// parsed caches parsed hold queries for one evaluation.
func (ev *evaluator) parsed(q string) (*search.Query, error) {
	if p, ok := ev.queries[q]; ok {
		return p, nil
	}
	p, err := search.Parse(q)
	if err != nil {
		return nil, err
	}
	if ev.queries == nil {
		ev.queries = map[string]*search.Query{}
	}
	ev.queries[q] = p
	return p, nil
}
