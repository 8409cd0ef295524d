package compliance

import (
	"context"
	"slices"
	"time"

	"github.com/steward-gov/steward/internal/dlp"
	"github.com/steward-gov/steward/internal/extract"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/policy"
	"github.com/steward-gov/steward/internal/steward"
)

// Unscannable is the finding an attachment that cannot be scanned makes
// (encrypted, corrupt, a decompression bomb, an unknown format). Policies
// act on it like any detector: finding("unscannable") > 0.
const Unscannable = "unscannable"

// MinConfidence is the confidence below which a finding does not count
// for policy: a bare nine-digit number is a passport number at 0.15, and
// a policy that fired on every such number would drown its reviewers.
const MinConfidence = 0.5

// Decide is the pipeline's policy hook. Messages and edits, in either
// direction, are scanned (text and attachments) and judged by the message
// policies; group membership changes seen on the channel are judged by the
// group policies, after the fact. Other items (receipts, reactions,
// consent traffic) are not judged: nil.
//
// It fails only when the store cannot tell it who the parties are
// (Unavailable and the like): the pipeline then refuses the capture and
// the source retries, rather than letting a message through unjudged.
func (s *Service) Decide(ctx context.Context, it *steward.Item, conv *steward.Conversation) (*pipeline.Decision, error) {
	const op steward.Op = "compliance.Decide"
	set, scanner, supp := s.current()
	if set == nil {
		return nil, steward.E(op, steward.Unavailable, "policies are not loaded")
	}
	switch it.Type {
	case steward.EventMessage, steward.EventEdit:
	case steward.EventMembership:
		d, err := s.decideMembership(ctx, set, it, conv)
		if err != nil {
			return nil, steward.E(op, err)
		}
		return d, nil
	default:
		return nil, nil
	}
	if it.Body == "" && len(it.Attachments) == 0 {
		return nil, nil
	}
	in, err := s.messageInput(ctx, it, conv)
	if err != nil {
		return nil, steward.E(op, err)
	}
	sc := s.scan(scanner, it, in)
	pd := set.Message(in)
	return s.decision(pd, in, sc, it, conv, supp), nil
}

// scanned is what the detectors found in an item.
type scanned struct {
	body        []dlp.Finding     // valid findings in the text
	attachments map[string]int    // detector → count in attachments
	problems    []extract.Problem // why attachments could not be scanned
	digests     map[string]bool   // keyed digests of matched values, for suppressions
	byAttach    []map[string]int  // per attachment, for the decision record
	formats     [][]string        // per attachment, the formats extracted
}

// scan runs the detectors on the body and on the text extracted from each
// attachment, and fills in.Findings and the attachments' Scannable flags.
func (s *Service) scan(scanner *dlp.Scanner, it *steward.Item, in *policy.MessageInput) *scanned {
	sc := &scanned{attachments: map[string]int{}, digests: map[string]bool{}}
	for _, f := range scanner.Scan(it.Body, dlp.Options{MinConfidence: MinConfidence}) {
		if !f.Valid {
			continue
		}
		sc.body = append(sc.body, f)
		in.Findings[f.Detector]++
		sc.digests[scanner.ValueDigest(it.Body[f.Start:f.End])] = true
	}
	for i, a := range it.Attachments {
		res := extract.Extract(a.Filename, a.ContentType, a.Data, s.Extract)
		counts := map[string]int{}
		var formats []string
		for _, p := range res.Parts {
			formats = append(formats, p.Format)
			for _, f := range scanner.Scan(p.Text, dlp.Options{MinConfidence: MinConfidence}) {
				if !f.Valid {
					continue
				}
				counts[f.Detector]++
				sc.digests[scanner.ValueDigest(p.Text[f.Start:f.End])] = true
			}
		}
		if len(res.Unscannable) > 0 {
			counts[Unscannable] += len(res.Unscannable)
			in.Attachments[i].Scannable = false
			sc.problems = append(sc.problems, res.Unscannable...)
		}
		for d, n := range counts {
			in.Findings[d] += n
			sc.attachments[d] += n
		}
		sc.byAttach = append(sc.byAttach, counts)
		sc.formats = append(sc.formats, slices.Compact(slices.Sorted(slices.Values(formats))))
	}
	return sc
}

// decision turns policy's verdict into what the pipeline enforces and
// archives.
func (s *Service) decision(pd *policy.Decision, in *policy.MessageInput, sc *scanned, it *steward.Item,
	conv *steward.Conversation, supp []*steward.Suppression) *pipeline.Decision {
	out := steward.PolicyOutcome{Action: pd.Enforced, Flag: pd.Flag, SetVersion: pd.SetVersion}
	if pd.Enforced != pd.Action {
		out.Said = pd.Action
	}
	if out.Action == steward.ActionRedact {
		spans, unmaskable := redactions(pd, sc)
		switch {
		case unmaskable:
			// Text in attachments cannot be masked in the copy that goes
			// out; rather than send it, hold it for an officer.
			out.Action, out.Said, out.Flag = steward.ActionQuarantine, steward.ActionRedact, true
			out.Reason = "The attachment holds information policy requires to be removed; a compliance officer will review it."
		case len(spans) == 0:
			out.Action = steward.ActionAllow
		default:
			out.Redact = spans
		}
	}
	if out.Reason == "" && out.Action.Rank() > steward.ActionRedact.Rank() {
		out.Reason = pd.Reason()
	}
	if out.Action == steward.ActionFlag {
		// flag is delivered as allow; the review item is what it adds.
		out.Action, out.Flag = steward.ActionAllow, true
	}
	if out.Flag && out.Action.Rank() < steward.ActionQuarantine.Rank() && suppressed(pd, in, sc, conv, supp, s.now()) {
		out.Flag = false
	}
	details := map[string]any{"matches": pd.Matches, "direction": it.Direction, "mode": in.Mode}
	if len(pd.Errors) > 0 {
		details["errors"] = pd.Errors
	}
	if len(sc.body) > 0 {
		spans := make([]steward.Span, 0, len(sc.body))
		for _, f := range sc.body {
			spans = append(spans, steward.Span{Start: f.Start, End: f.End, Detector: f.Detector})
		}
		details["body_findings"] = spans
	}
	if len(sc.byAttach) > 0 {
		details["attachment_findings"] = sc.byAttach
		details["attachment_formats"] = sc.formats
	}
	if len(sc.problems) > 0 {
		details["unscannable"] = sc.problems
	}
	return &pipeline.Decision{Outcome: out, Details: details, Findings: in.Findings}
}

// redactions returns the body spans the redact matches ask to mask, and
// whether any of their detectors also matched in an attachment, which
// cannot be masked.
func redactions(pd *policy.Decision, sc *scanned) ([]steward.Span, bool) {
	all := false
	want := map[string]bool{}
	for _, m := range pd.Matches {
		if m.Action != steward.ActionRedact {
			continue
		}
		if len(m.Redact) == 0 {
			all = true
		}
		for _, d := range m.Redact {
			want[d] = true
		}
	}
	var spans []steward.Span
	for _, f := range sc.body {
		if all || want[f.Detector] {
			spans = append(spans, steward.Span{Start: f.Start, End: f.End, Detector: f.Detector})
		}
	}
	for d, n := range sc.attachments {
		if n > 0 && d != Unscannable && (all || want[d]) {
			return spans, true
		}
	}
	return spans, false
}

// suppressed reports whether every policy that asked for review is
// suppressed for this sender, conversation or matched value, so the item
// should not reach the queue. Suppressions never weaken a hold or block.
func suppressed(pd *policy.Decision, in *policy.MessageInput, sc *scanned, conv *steward.Conversation, supp []*steward.Suppression, now time.Time) bool {
	if len(supp) == 0 || len(pd.Errors) > 0 {
		return false
	}
	flaggers := 0
	for _, m := range pd.Matches {
		if m.Action != steward.ActionFlag && m.Action != steward.ActionQuarantine {
			continue
		}
		flaggers++
		hit := false
		values := map[string]bool{} // suppressed matched values
		for _, x := range supp {
			if x.PolicyID != "*" && x.PolicyID != m.PolicyID || x.ExpiresAt != nil && !now.Before(*x.ExpiresAt) {
				continue
			}
			switch x.Kind {
			case steward.SuppressSender:
				hit = hit || x.Value == in.Sender.Address
			case steward.SuppressConversation:
				hit = hit || conv != nil && x.Value == conv.ID
			case steward.SuppressValue:
				if sc.digests[x.Value] {
					values[x.Value] = true
				}
			}
		}
		// A value suppression covers the item only when every value found
		// is suppressed: a new value beside a known one still goes to review.
		if !hit && (len(sc.digests) == 0 || len(values) < len(sc.digests)) {
			return false
		}
	}
	return flaggers > 0
}
