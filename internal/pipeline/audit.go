package pipeline

import (
	"context"
	"errors"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

// AuditEntry describes one audited action: an administrative change or a
// read of content. It is archived in the same tamper-evident log as the
// messages, so `steward verify` covers the audit trail too.
type AuditEntry struct {
	Actor   string         // who: a token id, an employee id, "cli"
	Action  string         // what: "record.read", "token.create", …
	Subject string         // on what: a record id, a token id
	Details map[string]any // sealed; e.g. the purpose of a read
}

// Audit appends an audit record and returns once it is durable. Callers
// that read content must call it before returning the content, so that no
// read goes unrecorded.
func (p *Pipeline) Audit(ctx context.Context, e AuditEntry) (steward.RecordRef, error) {
	const op steward.Op = "pipeline.Audit"
	r := &steward.Record{ID: steward.NewID(), Kind: steward.RecordAudit}
	r.IdempotencyKey = "audit:" + r.ID
	meta := &steward.RecordMeta{Type: "audit", Actor: e.Actor, Action: e.Action, Subject: e.Subject}
	if err := p.seal(ctx, r, meta, &steward.Content{Details: e.Details}); err != nil {
		return steward.RecordRef{}, steward.E(op, err)
	}
	res, err := p.Log.Append(ctx, r)
	if err != nil {
		return steward.RecordRef{}, steward.E(op, err)
	}
	return res[0].Ref, nil
}

// Gap is a period in which a source was not capturing: a channel
// connection down, a daemon stuck, a device unlinked.
type Gap struct {
	Channel steward.Channel
	Account string // the work identity's address, or "" for the whole source
	From    time.Time
	To      time.Time
	Reason  string // sealed: may name internal detail
}

// RecordGap archives a capture gap, so that a records officer can show
// exactly where coverage lapsed. A gap recorded twice is stored once.
func (p *Pipeline) RecordGap(ctx context.Context, g Gap) (steward.RecordRef, error) {
	const op steward.Op = "pipeline.RecordGap"
	if g.From.IsZero() || g.To.Before(g.From) {
		return steward.RecordRef{}, steward.E(op, steward.Invalid, "a gap needs a start before its end")
	}
	from, to := g.From.UTC(), g.To.UTC()
	r := &steward.Record{ID: steward.NewID(), Kind: steward.RecordCaptureGap,
		IdempotencyKey: "gap:" + string(g.Channel) + ":" + g.Account + ":" + from.Format(time.RFC3339Nano)}
	meta := &steward.RecordMeta{Channel: string(g.Channel), Type: "capture_gap", Subject: g.Account, SentAt: &from, ReceivedAt: &to}
	if err := p.seal(ctx, r, meta, &steward.Content{Details: map[string]any{"reason": g.Reason}}); err != nil {
		return steward.RecordRef{}, steward.E(op, err)
	}
	res, err := p.Log.Append(ctx, r)
	if err != nil {
		return steward.RecordRef{}, steward.E(op, err)
	}
	return res[0].Ref, nil
}

// RecordDeadLetter archives source input that could not be decoded or
// mapped (a malformed or not-yet-understood envelope), sealed like any
// content, with the reason. Nothing a source delivered is dropped, and an
// operator can inspect it later. Each call stores a new record: the input
// is not hashed into a key, since a plaintext hash could confirm a guess.
func (p *Pipeline) RecordDeadLetter(ctx context.Context, ch steward.Channel, raw []byte, reason string) (steward.RecordRef, error) {
	const op steward.Op = "pipeline.RecordDeadLetter"
	r := &steward.Record{ID: steward.NewID(), Kind: steward.RecordDeadLetter}
	r.IdempotencyKey = "dead:" + string(ch) + ":" + r.ID
	meta := &steward.RecordMeta{Channel: string(ch), Type: "dead_letter"}
	content := &steward.Content{Details: map[string]any{"reason": reason, "raw": string(raw)}}
	if err := p.seal(ctx, r, meta, content); err != nil {
		return steward.RecordRef{}, steward.E(op, err)
	}
	res, err := p.Log.Append(ctx, r)
	if err != nil {
		return steward.RecordRef{}, steward.E(op, err)
	}
	return res[0].Ref, nil
}

// IssueToken issues an API token on behalf of actor and audits it. If the
// audit record cannot be made durable, the token is revoked at once, so no
// usable token ever exists unaudited. Errors are those of
// steward.IssueToken and Audit.
func (p *Pipeline) IssueToken(ctx context.Context, ts steward.TokenStore, actor string, spec steward.TokenSpec, now time.Time) (string, *steward.Token, error) {
	const op steward.Op = "pipeline.IssueToken"
	secret, t, err := steward.IssueToken(ctx, ts, spec, now)
	if err != nil {
		return "", nil, steward.E(op, err)
	}
	details := map[string]any{"name": t.Name, "scopes": t.Scopes}
	if t.EmployeeID != "" {
		details["employee_id"] = t.EmployeeID
	}
	if t.ExpiresAt != nil {
		details["expires_at"] = t.ExpiresAt
	}
	if _, err := p.Audit(ctx, AuditEntry{Actor: actor, Action: "token.create", Subject: t.ID, Details: details}); err != nil {
		if rerr := ts.RevokeToken(context.WithoutCancel(ctx), t.ID, now); rerr != nil {
			return "", nil, steward.E(op, steward.Internal, "token created but neither audited nor revoked", errors.Join(err, rerr))
		}
		return "", nil, steward.E(op, err)
	}
	return secret, t, nil
}

// RevokeToken revokes a token on behalf of actor and audits it. Revocation
// comes first: a failed audit must never leave a token usable that its
// owner asked to stop. Returns NotFound for an unknown id.
func (p *Pipeline) RevokeToken(ctx context.Context, ts steward.TokenStore, actor, id string, now time.Time) error {
	const op steward.Op = "pipeline.RevokeToken"
	if err := ts.RevokeToken(ctx, id, now); err != nil {
		return steward.E(op, err)
	}
	if _, err := p.Audit(ctx, AuditEntry{Actor: actor, Action: "token.revoke", Subject: id}); err != nil {
		return steward.E(op, err)
	}
	return nil
}
