package pipeline

import (
	"context"

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
	return Audit(ctx, p.Log, p.Sealer, e)
}

// Audit is the pipeline-free form of Pipeline.Audit, for command-line tools
// that change state without a running server.
func Audit(ctx context.Context, log Appender, s Sealer, e AuditEntry) (steward.RecordRef, error) {
	const op steward.Op = "pipeline.Audit"
	p := &Pipeline{Sealer: s}
	r := &steward.Record{ID: steward.NewID(), Kind: steward.RecordAudit}
	r.IdempotencyKey = "audit:" + r.ID
	meta := &steward.RecordMeta{Type: "audit", Actor: e.Actor, Action: e.Action, Subject: e.Subject}
	if err := p.seal(ctx, r, meta, &steward.Content{Details: e.Details}); err != nil {
		return steward.RecordRef{}, steward.E(op, err)
	}
	res, err := log.Append(ctx, r)
	if err != nil {
		return steward.RecordRef{}, steward.E(op, err)
	}
	return res[0].Ref, nil
}
