package steward

import (
	"context"
	"time"
)

// AuditFilter selects audit records. Empty fields do not filter.
type AuditFilter struct {
	Actor   string    // exact, e.g. "token:<id> (<name>)" or "employee:<id>"
	Action  string    // exact ("record.read"), or a prefix ending in "." ("scim.")
	Subject string    // exact
	Since   time.Time // captured at or after
	Until   time.Time // captured before
	Before  int64     // leaf index below which to look (-1: none), for paging back
	Limit   int       // at most this many, newest first
}

// AuditStore finds audit records, newest first. Every administrative
// action, sign-in, content read and SCIM change is one (see RecordAudit);
// they live in the same log as everything else, so verify covers them.
type AuditStore interface {
	// AuditRecords returns the audit records matching f, newest first.
	// Returns Invalid for a limit below 1.
	AuditRecords(ctx context.Context, f AuditFilter) ([]*Record, error)
}
