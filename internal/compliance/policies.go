package compliance

import (
	"context"
	"encoding/hex"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/dlp"
	"github.com/steward-gov/steward/internal/policy"
	"github.com/steward-gov/steward/internal/steward"
)

// SavePolicy checks a new or changed policy (its CEL condition must
// compile and type-check to bool), stores it as a new version, audits the
// change with the old and new versions, and puts it in force at once.
// p.Version must be the version being replaced (0 for a new policy).
// Returns Invalid (with the compiler's message), Conflict (stale version
// or a name in use), NotFound (an unknown id with a non-zero version).
func (s *Service) SavePolicy(ctx context.Context, actor string, p *steward.Policy) (*steward.Policy, error) {
	const op steward.Op = "compliance.SavePolicy"
	if p.ID == "" {
		if p.Version != 0 {
			return nil, steward.E(op, steward.Invalid, "a new policy has version 0")
		}
		p.ID = steward.NewID()
	}
	if !p.Deleted {
		if err := policy.Check(p); err != nil {
			return nil, steward.E(op, err)
		}
	}
	// Refuse a stale edit before auditing it; the store checks again
	// under its transaction, so a race still ends in Conflict.
	if p.Version > 0 {
		cur, err := s.Store.PolicyByID(ctx, p.ID)
		if err != nil {
			return nil, steward.E(op, err)
		}
		if cur.Version != p.Version {
			return nil, steward.Errorf(op, steward.Conflict, "the policy is at version %d, not %d: reload it and apply your change again", cur.Version, p.Version)
		}
	}
	p.UpdatedBy = actor
	action := "policy.create"
	if p.Version > 0 {
		action = "policy.update"
	}
	if p.Deleted {
		action = "policy.delete"
	}
	// The audit record is written first and names the version the change
	// makes, so no change can land unaudited.
	if err := s.audit(ctx, actor, action, p.ID, map[string]any{"name": p.Name, "from_version": p.Version,
		"to_version": p.Version + 1, "condition": p.Condition, "action": p.Action, "enabled": p.Enabled}); err != nil {
		return nil, steward.E(op, err)
	}
	if _, err := s.Store.SavePolicy(ctx, p); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.Reload(ctx); err != nil {
		return nil, steward.E(op, err)
	}
	return p, nil
}

// DeletePolicy retires a policy: a new version marked deleted, so its
// history stays. Errors as for SavePolicy.
func (s *Service) DeletePolicy(ctx context.Context, actor, id string, version int) error {
	p, err := s.Store.PolicyByID(ctx, id)
	if err != nil {
		return steward.E(steward.Op("compliance.DeletePolicy"), err)
	}
	p.Version, p.Deleted, p.Enabled = version, true, false
	_, err = s.SavePolicy(ctx, actor, p)
	return err
}

// InstallDefaults saves the default policy set, and the starter lexicons
// it names, where none of the same name exists, so a fresh installation
// starts protected. It returns how many policies it added.
func (s *Service) InstallDefaults(ctx context.Context, actor string) (int, error) {
	if _, err := s.installDefaultLexicons(ctx, actor); err != nil {
		return 0, err
	}
	have, _, err := s.Store.Policies(ctx)
	if err != nil {
		return 0, err
	}
	names := map[string]bool{}
	for _, p := range have {
		names[p.Name] = true
	}
	n := 0
	for _, p := range policy.Defaults() {
		if names[p.Name] {
			continue
		}
		p.ID, p.Version = "", 0
		if _, err := s.SavePolicy(ctx, actor, p); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// SaveDetector checks and stores a custom detector as a new version,
// audited, and puts it in force at once. Errors as for SavePolicy.
func (s *Service) SaveDetector(ctx context.Context, actor string, d *steward.CustomDetector) (*steward.CustomDetector, error) {
	const op steward.Op = "compliance.SaveDetector"
	if d.ID == "" {
		if d.Version != 0 {
			return nil, steward.E(op, steward.Invalid, "a new detector has version 0")
		}
		d.ID = steward.NewID()
	}
	if !d.Deleted {
		if err := dlp.CheckDetector(d); err != nil {
			return nil, steward.E(op, err)
		}
	}
	d.UpdatedBy = actor
	// Keywords of a lexicon or dictionary are configuration, but they can
	// say a lot about an investigation: the audit seals them.
	if err := s.audit(ctx, actor, "detector.save", d.ID, map[string]any{"name": d.Name, "kind": d.Kind,
		"from_version": d.Version, "pattern": d.Pattern, "keywords": d.Keywords, "deleted": d.Deleted}); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.Store.SaveDetector(ctx, d); err != nil {
		return nil, steward.E(op, err)
	}
	if err := s.Reload(ctx); err != nil {
		return nil, steward.E(op, err)
	}
	return d, nil
}

// SetEDMHashes replaces an exact-data-match detector's values. The caller
// sends the SHA-256 of each normalized value (dlp.ClientHash, as `steward
// dlp edm-hash` prints it), never the values; Steward stores only keyed
// digests of those hashes. Returns Invalid for a malformed hash or a
// detector of another kind; NotFound.
func (s *Service) SetEDMHashes(ctx context.Context, actor, detectorID string, hexHashes []string) (int, error) {
	const op steward.Op = "compliance.SetEDMHashes"
	d, err := s.Store.DetectorByID(ctx, detectorID)
	if err != nil {
		return 0, steward.E(op, err)
	}
	if d.Kind != steward.DetectorEDM {
		return 0, steward.E(op, steward.Invalid, "only exact-data-match detectors take hashed values")
	}
	digests := make([][]byte, 0, len(hexHashes))
	seen := map[string]bool{}
	for i, h := range hexHashes {
		h = strings.ToLower(strings.TrimSpace(h))
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != 32 {
			return 0, steward.Errorf(op, steward.Invalid, "value %d is not a hex SHA-256 (64 hex digits)", i+1)
		}
		if seen[h] {
			continue
		}
		seen[h] = true
		digests = append(digests, dlp.EDMDigest(s.EDMKey, [32]byte(b)))
	}
	if err := s.audit(ctx, actor, "detector.edm", d.ID, map[string]any{"name": d.Name, "values": len(digests)}); err != nil {
		return 0, steward.E(op, err)
	}
	if err := s.Store.SetEDMDigests(ctx, d.ID, digests); err != nil {
		return 0, steward.E(op, err)
	}
	return len(digests), s.Reload(ctx)
}

// DryRunRequest asks what a proposed policy set would have done to the
// archive's recent messages. Policies replace (by id) or join the
// current ones; Only limits the run to the proposed policies.
type DryRunRequest struct {
	Policies []*steward.Policy `json:"policies"`
	Days     int               `json:"days"`  // how far back; default 7, at most 90
	Limit    int               `json:"limit"` // at most this many messages; default 10000, at most 100000
	Only     bool              `json:"only,omitempty"`
}

// DryRun runs proposed policies against archived messages of the last
// Days days, rescanning their text with the current detectors, and
// reports what each policy would have done. Nothing is changed or
// delivered. Reading the archive for it is a read of content: audited,
// with the purpose "policy dry run", before any record is opened.
// Attachments are judged by their archived type and size; their text is
// not re-extracted. Returns Invalid for a policy that does not compile.
func (s *Service) DryRun(ctx context.Context, actor string, req DryRunRequest) (*policy.DryRunReport, error) {
	const op steward.Op = "compliance.DryRun"
	if req.Days <= 0 {
		req.Days = 7
	}
	if req.Limit <= 0 {
		req.Limit = 10000
	}
	if req.Days > 90 || req.Limit > 100000 {
		return nil, steward.E(op, steward.Invalid, "a dry run covers at most 90 days and 100000 messages")
	}
	var ps []*steward.Policy
	if !req.Only {
		cur, _, err := s.Store.Policies(ctx)
		if err != nil {
			return nil, steward.E(op, err)
		}
		ps = cur
	}
	for _, p := range req.Policies {
		if p.ID == "" {
			p.ID = "proposed:" + p.Name
		}
		p.Enabled = true
		if err := policy.Check(p); err != nil {
			return nil, steward.E(op, err)
		}
		replaced := false
		for i := range ps {
			if ps[i].ID == p.ID {
				ps[i], replaced = p, true
			}
		}
		if !replaced {
			ps = append(ps, p)
		}
	}
	set, err := policy.NewSet(0, ps)
	if err != nil {
		return nil, steward.E(op, err)
	}
	_, scanner, _ := s.current()
	since := s.now().Add(-time.Duration(req.Days) * 24 * time.Hour)
	if err := s.audit(ctx, actor, "policy.dry_run", "", map[string]any{"purpose": "policy dry run", "days": req.Days,
		"limit": req.Limit, "policies": len(req.Policies)}); err != nil {
		return nil, steward.E(op, err)
	}
	recs, err := s.recentMessages(ctx, since, req.Limit)
	if err != nil {
		return nil, steward.E(op, err)
	}
	i := 0
	next := func() (*policy.MessageInput, bool, error) {
		for i < len(recs) {
			r := recs[i]
			i++
			in, ok, err := s.archivedInput(ctx, r, scanner)
			if err != nil {
				return nil, false, err
			}
			if ok {
				return in, true, nil
			}
		}
		return nil, false, nil
	}
	rep, err := policy.DryRun(set, next)
	if err != nil {
		return nil, steward.E(op, err)
	}
	return rep, nil
}

// recentMessages returns message records captured since, newest first,
// at most limit.
func (s *Service) recentMessages(ctx context.Context, since time.Time, limit int) ([]*steward.Record, error) {
	var out []*steward.Record
	before := int64(-1)
	for len(out) < limit {
		recs, err := s.Store.RecordsByKind(ctx, steward.RecordMessage, before, 500)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			before = r.LeafIndex
			if r.CapturedAt.Before(since) {
				return out, nil
			}
			out = append(out, r)
			if len(out) == limit {
				return out, nil
			}
		}
		if len(recs) < 500 {
			return out, nil
		}
	}
	return out, nil
}

// archivedInput rebuilds the policy input of an archived message. ok is
// false for records that are not judged (destroyed, empty).
func (s *Service) archivedInput(ctx context.Context, r *steward.Record, scanner *dlp.Scanner) (*policy.MessageInput, bool, error) {
	meta, c, err := s.Reader.OpenRecord(ctx, r)
	if steward.Is(steward.Gone, err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	it := &steward.Item{IdempotencyKey: r.IdempotencyKey, Type: steward.EventType(meta.Type),
		Channel: steward.Channel(meta.Channel), ChannelMessageID: meta.ChannelID, Direction: meta.Direction,
		Sender: c.Sender, Recipients: c.Recipients, Body: c.Body, Conversation: c.Conversation}
	if meta.SentAt != nil {
		it.SentAt = *meta.SentAt
	}
	if it.Body == "" && len(c.Attachments) == 0 {
		return nil, false, nil
	}
	var conv *steward.Conversation
	if r.ConversationID != "" {
		if conv, err = s.Store.ConversationByID(ctx, r.ConversationID); err != nil && !steward.Is(steward.NotFound, err) {
			return nil, false, err
		}
	}
	in, err := s.messageInput(ctx, it, conv)
	if err != nil {
		return nil, false, err
	}
	for _, a := range c.Attachments {
		in.Attachments = append(in.Attachments, policy.Attachment{Filename: a.Filename, Type: a.ContentType,
			Size: a.Size, Scannable: true})
	}
	s.scan(scanner, it, in)
	return in, true, nil
}
