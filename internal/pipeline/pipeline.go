// Package pipeline is the one path every captured item takes:
//
//	source → normalize → identity → consent → policy → capture → deliver and route
//
// Sources (channel connectors, the capture API) call Capture and may
// acknowledge their item to the outside world only when Capture returns nil:
// by then the item, its attachments and its metadata are sealed, committed
// and appended to the archive log. Replays of an item already captured store
// nothing new and return the original record.
package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/keys"
	"github.com/steward-gov/steward/internal/steward"
)

// Appender is the archive log as the pipeline sees it: the records of one
// call commit together and durably, or not at all.
type Appender interface {
	Append(ctx context.Context, recs ...*steward.Record) ([]archive.Result, error)
	// Sync makes every record committed so far durable.
	Sync(ctx context.Context) error
}

// Sealer seals a record's content under a fresh data key and returns that
// key, so attachments can be sealed under it too.
type Sealer interface {
	SealRecord(ctx context.Context, r *steward.Record, content []byte) ([]byte, error)
}

// Index finds items already captured. With it, a replay of an item with
// attachments is answered before any attachment is sealed and stored, so
// replays leave no orphan blobs behind.
type Index interface {
	FindByIdempotencyKeys(ctx context.Context, keys []string) (map[string]steward.RecordRef, error)
}

// Hold says whether a captured item may reach its recipient now.
type Hold string

const (
	Deliver     Hold = ""            // deliver at once
	HoldItem    Hold = "held"        // captured, but kept back awaiting consent
	Blocked     Hold = "blocked"     // captured, never delivered (consent declined, policy block)
	Quarantined Hold = "quarantined" // captured, kept back until a compliance officer releases it
	Confirm     Hold = "confirm"     // captured, kept back until the sender confirms with a justification
)

// holdRank orders holds: the stronger of the consent and policy holds
// applies.
func holdRank(h Hold) int {
	switch h {
	case Blocked:
		return 4
	case Quarantined:
		return 3
	case Confirm:
		return 2
	case HoldItem:
		return 1
	}
	return 0
}

// IdentityHook resolves the parties of an item to employees and contacts.
// It may fill Party.EmployeeID and Party.ContactID; an error fails the capture.
type IdentityHook interface {
	Resolve(ctx context.Context, it *steward.Item) error
}

// ConsentHook decides whether the outside party's consent lets the item
// flow. It never prevents capture: a held or blocked item is still archived.
type ConsentHook interface {
	Consent(ctx context.Context, it *steward.Item) (Hold, error)
}

// PolicyHook decides what policy says about an item, knowing the
// conversation it belongs to. A nil Decision means policy does not judge
// this kind of item (receipts, reactions). An error fails the capture, so a
// hook should fail only when it cannot judge at all.
type PolicyHook interface {
	Decide(ctx context.Context, it *steward.Item, conv *steward.Conversation) (*Decision, error)
}

// Decision is a policy outcome. Outcome is sealed into the item's own
// record; unless it is a plain allow, Details are archived as a separate
// policy-decision record beside the item.
type Decision struct {
	Outcome steward.PolicyOutcome
	Details map[string]any // matches and findings; sealed, never plaintext
	// Findings counts valid findings by detector, for the records hook;
	// it is not archived apart from Details.
	Findings map[string]int
}

// RecordsHook puts an item on a retention schedule at capture, from the
// facts as they are then (the parties' roles and Capstone flags, the
// policy findings). The assignment is written into the metadata of the
// item's records, so it is part of their leaves and can never silently
// change; a nil assignment leaves them unassigned, and an unassigned
// record is never eligible for disposition.
type RecordsHook interface {
	Assign(ctx context.Context, it *steward.Item, conv *steward.Conversation, d *Decision) (*steward.Assignment, error)
}

// hold is what the decision means for delivery.
func (d *Decision) hold() Hold {
	switch d.Outcome.Action {
	case steward.ActionBlock:
		return Blocked
	case steward.ActionQuarantine:
		return Quarantined
	case steward.ActionWarn:
		return Confirm
	}
	return Deliver
}

// archived reports whether the decision gets a record of its own.
func (d *Decision) archived() bool {
	return d.Outcome.Action != steward.ActionAllow || d.Outcome.Flag
}

// Router hands a captured item to whoever should see it next: the
// recipient's channel, the inbox, downstream archives. It runs only after
// durable capture and must not fail the capture; it reports its own errors.
type Router interface {
	Route(ctx context.Context, c *Captured)
}

// Routers routes to each router in turn.
type Routers []Router

// Route implements Router.
func (rs Routers) Route(ctx context.Context, c *Captured) {
	for _, r := range rs {
		r.Route(ctx, c)
	}
}

// Observer is told the outcome of each capture, for metrics.
type Observer interface {
	ObserveCapture(kind steward.EventType, replayed bool, err error, d time.Duration)
}

// Captured is what Capture returns: where the item sits in the archive.
type Captured struct {
	Item     *steward.Item
	Ref      steward.RecordRef
	Replayed bool
	Hold     Hold
	// Conversation is the conversation the item belongs to.
	Conversation *steward.Conversation
	// Attachments are the refs of the attachment records, in item order.
	Attachments []steward.RecordRef
	// Decision is policy's verdict (nil when policy did not judge the item
	// or on a replay); DecisionRef is its archived record, if any.
	Decision    *Decision
	DecisionRef *steward.RecordRef
	// Assignment is the retention assignment written into the records'
	// metadata (nil if none, and on a replay).
	Assignment *steward.Assignment
}

// Pipeline carries items from sources into the archive. Its fields are set
// once by cmd/steward; Log, Sealer, Blobs and Conversations are required,
// the hooks are optional.
type Pipeline struct {
	Log           Appender
	Sealer        Sealer
	Blobs         steward.BlobStore
	Conversations steward.ConversationStore
	Index         Index
	Limits        Limits

	Identity IdentityHook
	Consent  ConsentHook
	Policy   PolicyHook
	Records  RecordsHook
	Router   Router
	Observer Observer
	Logger   *slog.Logger
	Now      func() time.Time

	convs convCache
}

// Capture runs an item through the pipeline. It returns only after durable
// capture; the caller may then acknowledge its source.
//
// Errors: Invalid or TooLarge for an item that fails normalization (nothing
// is stored); Unavailable when the archive cannot take writes (nothing is
// stored, the source must retry); other kinds from the hooks.
func (p *Pipeline) Capture(ctx context.Context, it *steward.Item) (*Captured, error) {
	start := time.Now()
	c, err := p.capture(ctx, it)
	if p.Observer != nil {
		replayed := c != nil && c.Replayed
		t := it.Type
		if !steward.ValidEventType(t) {
			t = "invalid" // never let outside input mint metric labels
		}
		p.Observer.ObserveCapture(t, replayed, err, time.Since(start))
	}
	return c, err
}

func (p *Pipeline) capture(ctx context.Context, it *steward.Item) (*Captured, error) {
	const op steward.Op = "pipeline.Capture"
	if err := Normalize(it, p.Limits, p.now()); err != nil {
		return nil, steward.E(op, err)
	}
	if len(it.Attachments) > 0 && p.Index != nil {
		if c, err := p.replay(ctx, it); err != nil || c != nil {
			return c, err
		}
	}
	if p.Identity != nil {
		if err := p.Identity.Resolve(ctx, it); err != nil {
			return nil, steward.E(op, err)
		}
	}
	hold := Deliver
	if p.Consent != nil {
		h, err := p.Consent.Consent(ctx, it)
		if err != nil {
			return nil, steward.E(op, err)
		}
		hold = h
	}
	conv, err := p.conversation(ctx, it)
	if err != nil {
		return nil, steward.E(op, err)
	}
	var decision *Decision
	if p.Policy != nil {
		d, err := p.Policy.Decide(ctx, it, conv)
		if err != nil {
			return nil, steward.E(op, err)
		}
		if decision = d; d != nil && holdRank(d.hold()) > holdRank(hold) {
			hold = d.hold()
		}
	}
	var asg *steward.Assignment
	if p.Records != nil {
		if asg, err = p.Records.Assign(ctx, it, conv, decision); err != nil {
			return nil, steward.E(op, err)
		}
	}
	recs, err := p.buildRecords(ctx, it, conv, hold, decision, asg)
	if err != nil {
		return nil, steward.E(op, err)
	}
	res, err := p.Log.Append(ctx, recs...)
	if err != nil {
		return nil, steward.E(op, err)
	}
	c := &Captured{Item: it, Ref: res[0].Ref, Replayed: res[0].Replayed, Hold: hold, Conversation: conv}
	if !c.Replayed {
		c.Assignment = asg
	}
	if !c.Replayed && decision != nil {
		c.Decision = decision
		if decision.archived() {
			ref := res[len(res)-1].Ref
			c.DecisionRef = &ref
		}
	}
	if c.Replayed {
		// Answer with the original's attachments, whatever this copy carries.
		if c.Attachments, err = p.originalAttachments(ctx, it.IdempotencyKey); err != nil {
			return nil, steward.E(op, err)
		}
	} else {
		for i := range it.Attachments {
			c.Attachments = append(c.Attachments, res[1+i].Ref)
		}
	}
	if p.Router != nil && !c.Replayed {
		p.Router.Route(ctx, c)
	}
	return c, nil
}

// replay returns the original capture if the item is already in the log,
// or nil.
func (p *Pipeline) replay(ctx context.Context, it *steward.Item) (*Captured, error) {
	found, err := p.Index.FindByIdempotencyKeys(ctx, []string{it.IdempotencyKey})
	if err != nil {
		return nil, err
	}
	ref, ok := found[it.IdempotencyKey]
	if !ok {
		return nil, nil
	}
	// The original may be committed but not yet synced (its own caller is
	// still waiting); a replay must not be acknowledged before it is.
	if err := p.Log.Sync(ctx); err != nil {
		return nil, err
	}
	atts, err := p.originalAttachments(ctx, it.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return &Captured{Item: it, Ref: ref, Replayed: true, Attachments: atts}, nil
}

// originalAttachments returns the attachment records captured with the
// item keyed itemKey, in order, so that every answer to a replay is the
// same as the first. Without an Index it returns none.
func (p *Pipeline) originalAttachments(ctx context.Context, itemKey string) ([]steward.RecordRef, error) {
	if p.Index == nil {
		return nil, nil
	}
	max := p.Limits.withDefaults().MaxAttachments
	keys := make([]string, max)
	for i := range keys {
		keys[i] = attachmentKey(itemKey, i)
	}
	found, err := p.Index.FindByIdempotencyKeys(ctx, keys)
	if err != nil {
		return nil, err
	}
	var refs []steward.RecordRef
	for _, k := range keys {
		if a, ok := found[k]; ok {
			refs = append(refs, a)
		}
	}
	return refs, nil
}

func attachmentKey(itemKey string, i int) string { return itemKey + "#att" + itoa(i) }

// buildRecords seals the item and its attachments into records: the item
// first, then one record per attachment, then the policy decision if any.
// Attachment bytes are sealed and put in the blob store here, before the
// log append, so a committed record never points at a missing blob.
func (p *Pipeline) buildRecords(ctx context.Context, it *steward.Item, conv *steward.Conversation, hold Hold, d *Decision, asg *steward.Assignment) ([]*steward.Record, error) {
	kind := steward.RecordMessage
	switch it.Type {
	case steward.EventMessage:
	case steward.EventConsent:
		kind = steward.RecordConsent
	default:
		kind = steward.RecordEvent
	}
	main := &steward.Record{ID: steward.NewID(), Kind: kind, IdempotencyKey: it.IdempotencyKey}
	if conv != nil {
		main.ConversationID = conv.ID
	}
	recs := []*steward.Record{main}
	meta := itemMeta(it, conv, hold)
	meta.Schedule = asg

	content := steward.Content{
		Body: it.Body, Sender: it.Sender, Recipients: it.Recipients, Conversation: it.Conversation,
		Emoji: it.Emoji, Remove: it.Remove, MembersAdded: it.MembersAdded, MembersRemoved: it.MembersRemoved,
		Receipt: it.Receipt, Extra: it.Extra,
	}
	var pr *steward.Record
	if d != nil {
		content.Policy = &d.Outcome
		if d.archived() {
			pr = &steward.Record{ID: steward.NewID(), Kind: steward.RecordPolicy, IdempotencyKey: it.IdempotencyKey + "#policy"}
			content.Policy.Decision = pr.ID
		}
	}
	for i := range it.Attachments {
		a := &it.Attachments[i]
		ar, err := p.sealAttachment(ctx, it, i, main.ID, a, asg)
		if err != nil {
			return nil, err
		}
		recs = append(recs, ar)
		meta.Attachments = append(meta.Attachments, ar.ID)
		content.Attachments = append(content.Attachments, steward.Attachment{
			Filename: a.Filename, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256, RecordID: ar.ID,
		})
	}
	if err := p.seal(ctx, main, meta, &content); err != nil {
		return nil, err
	}
	if pr != nil {
		pm := &steward.RecordMeta{Channel: string(it.Channel), Subject: main.ID, Action: string(d.Outcome.Action),
			Type: "policy_decision", ConversationID: main.ConversationID, Direction: it.Direction, Schedule: asg}
		if d.Outcome.Flag {
			pm.Action += "+flag"
		}
		details := map[string]any{"outcome": d.Outcome}
		for k, v := range d.Details {
			details[k] = v
		}
		if err := p.seal(ctx, pr, pm, &steward.Content{Details: details}); err != nil {
			return nil, err
		}
		recs = append(recs, pr)
	}
	return recs, nil
}

// sealAttachment seals one attachment's bytes under the attachment record's
// own data key, stores them, and returns the record that commits to them.
func (p *Pipeline) sealAttachment(ctx context.Context, it *steward.Item, i int, parent string, a *steward.Attachment, asg *steward.Assignment) (*steward.Record, error) {
	const op steward.Op = "pipeline.sealAttachment"
	sum := sha256.Sum256(a.Data)
	a.SHA256 = hex.EncodeToString(sum[:])
	a.Size = int64(len(a.Data))
	r := &steward.Record{ID: steward.NewID(), Kind: steward.RecordAttachment,
		IdempotencyKey: attachmentKey(it.IdempotencyKey, i)}
	content, err := json.Marshal(steward.Content{Attachments: []steward.Attachment{{
		Filename: a.Filename, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256,
	}}})
	if err != nil {
		return nil, steward.E(op, steward.Internal, err)
	}
	dek, err := p.Sealer.SealRecord(ctx, r, content)
	if err != nil {
		return nil, steward.E(op, err)
	}
	sealed, err := keys.SealBytes(dek, []byte(r.ID+"/blob"), a.Data)
	keys.Zero(dek)
	if err != nil {
		return nil, steward.E(op, err)
	}
	bsum := sha256.Sum256(sealed)
	key := hex.EncodeToString(bsum[:])
	if err := p.Blobs.Put(ctx, key, bytesReader(sealed)); err != nil {
		return nil, steward.E(op, err)
	}
	meta := &steward.RecordMeta{
		Channel: string(it.Channel), ChannelID: it.ChannelMessageID, Type: "attachment", Parent: parent,
		Blob: &steward.BlobRef{Key: key, Size: int64(len(sealed)), SHA256: key}, Schedule: asg,
	}
	if r.Meta, err = json.Marshal(meta); err != nil {
		return nil, steward.E(op, steward.Internal, err)
	}
	a.Data = nil // the plaintext is no longer needed; let it go
	return r, nil
}

// seal encodes meta and content and seals the content into r.
func (p *Pipeline) seal(ctx context.Context, r *steward.Record, meta *steward.RecordMeta, content *steward.Content) error {
	const op steward.Op = "pipeline.seal"
	var err error
	if r.Meta, err = json.Marshal(meta); err != nil {
		return steward.E(op, steward.Internal, err)
	}
	plain, err := json.Marshal(content)
	if err != nil {
		return steward.E(op, steward.Internal, err)
	}
	dek, err := p.Sealer.SealRecord(ctx, r, plain)
	if err != nil {
		return steward.E(op, err)
	}
	keys.Zero(dek)
	return nil
}

func itemMeta(it *steward.Item, conv *steward.Conversation, hold Hold) *steward.RecordMeta {
	m := &steward.RecordMeta{
		Channel: string(it.Channel), ChannelID: it.ChannelMessageID, Type: string(it.Type),
		Direction: it.Direction, Sender: it.Sender.Address, Target: it.Target, ReplyTo: it.ReplyTo,
	}
	if conv != nil {
		m.ConversationID = conv.ID
	}
	for _, r := range it.Recipients {
		m.Recipients = append(m.Recipients, r.Address)
	}
	sent, recv := it.SentAt, it.ReceivedAt
	m.SentAt, m.ReceivedAt = &sent, &recv
	if hold != Deliver {
		m.Action = string(hold)
	}
	return m
}

// conversation finds or creates the conversation an item belongs to. Group
// items are keyed by the channel's group id; direct items by the sorted
// pair of addresses, so both directions land in one conversation.
func (p *Pipeline) conversation(ctx context.Context, it *steward.Item) (*steward.Conversation, error) {
	// The title is content (group names can say a lot): it is sealed with the
	// item, never stored in the plaintext conversations table.
	c := &steward.Conversation{Channel: it.Channel, Kind: steward.ConversationDirect}
	switch {
	case it.Conversation.ID != "":
		c.Key = "group:" + it.Conversation.ID
		c.Kind = steward.ConversationGroup
		if it.Conversation.Kind == steward.ConversationDirect {
			c.Kind = steward.ConversationDirect
			c.Key = "id:" + it.Conversation.ID
		}
	default:
		addrs := []string{it.Sender.Address}
		for _, r := range it.Recipients {
			addrs = append(addrs, r.Address)
		}
		sort.Strings(addrs)
		c.Key = "direct:" + strings.Join(addrs, ",")
	}
	conv, ok := p.convs.get(c.Channel, c.Key)
	if !ok {
		var err error
		if conv, err = p.Conversations.EnsureConversation(ctx, c); err != nil {
			return nil, err
		}
		// First sight in this process: make sure the parties are members,
		// so the conversation shows in their lists.
		parties := append([]steward.Party{it.Sender}, it.Recipients...)
		if err := p.addMembers(ctx, conv.ID, append(parties, it.MembersAdded...)); err != nil {
			return nil, err
		}
		p.convs.put(conv)
	}
	if it.Type == steward.EventMembership {
		if err := p.addMembers(ctx, conv.ID, it.MembersAdded); err != nil {
			return nil, err
		}
		var gone []string
		for _, m := range it.MembersRemoved {
			gone = append(gone, m.Address)
		}
		if len(gone) > 0 {
			if err := p.Conversations.RemoveMembers(ctx, conv.ID, gone); err != nil {
				return nil, err
			}
		}
	}
	return conv, nil
}

// addMembers adds those of ps not yet members, leaving existing members
// (and their admin flags) as they are.
func (p *Pipeline) addMembers(ctx context.Context, convID string, ps []steward.Party) error {
	if len(ps) == 0 {
		return nil
	}
	have, err := p.Conversations.Members(ctx, convID)
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(have))
	for _, m := range have {
		seen[m.Address] = true
	}
	var add []steward.Member
	for _, pt := range ps {
		if !seen[pt.Address] {
			seen[pt.Address] = true
			add = append(add, steward.Member{Address: pt.Address, AddedAt: p.now().UTC()})
		}
	}
	if len(add) == 0 {
		return nil
	}
	return p.Conversations.AddMembers(ctx, convID, add)
}

func (p *Pipeline) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}
