package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

const selectFOIARequestSQL = `SELECT id, requester_name, requester_org, requester_email, requester_address,
	description, fee_category, received_at, first_received_at, expedite_requested, initial_track, track,
	status, disposition, appeal_outcome, version, case_id, created_at, created_by, updated_at FROM foia_requests`

// The page size of FOIARequests: the default and the most it returns.
const (
	defaultFOIALimit = 100
	maxFOIALimit     = 1000
)

// openFOIAStatuses is the OpenOnly filter written into the statement:
// awaiting a final response, or an appeal decision.
var openFOIAStatuses = func() string {
	var qs []string
	for _, s := range []steward.FOIAStatus{steward.FOIAReceived, steward.FOIAAcknowledged, steward.FOIASearching,
		steward.FOIAReviewing, steward.FOIATolled, steward.FOIAAppealReceived} {
		qs = append(qs, "'"+string(s)+"'")
	}
	return strings.Join(qs, ", ")
}()

// CreateFOIARequest stores a new request as given (foia.Intake has vetted
// it), setting CreatedAt to now when it is zero and UpdatedAt to
// CreatedAt when it is zero. Returns Invalid without a request, an ID or
// a receipt time, or with a Version other than 0; Conflict if a request
// has r.ID.
func (db *DB) CreateFOIARequest(ctx context.Context, r *steward.FOIARequest) error {
	const op steward.Op = "sqlite.CreateFOIARequest"
	switch {
	case r == nil || r.ID == "" || r.ReceivedAt.IsZero():
		return steward.E(op, steward.Invalid, "a FOIA request needs an id and a receipt time")
	case r.Version != 0:
		return steward.E(op, steward.Invalid, "a new FOIA request has no history: its version is 0")
	}
	created, updated := r.CreatedAt, r.UpdatedAt
	if created.IsZero() {
		created = now()
	}
	if updated.IsZero() {
		updated = created
	}
	q := r.Requester
	_, err := db.w.ExecContext(ctx, `INSERT INTO foia_requests (id, requester_name, requester_org,
		requester_email, requester_address, description, fee_category, received_at, first_received_at,
		expedite_requested, initial_track, track, status, disposition, appeal_outcome, version, case_id,
		created_at, created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`,
		r.ID, q.Name, q.Organization, q.Email, q.Address, r.Description, string(r.FeeCategory),
		nanos(r.ReceivedAt), nullNanos(&r.FirstReceivedAt), r.ExpediteRequested, string(r.InitialTrack),
		string(r.Track), string(r.Status), string(r.Disposition), string(r.AppealOutcome), r.CaseID,
		nanos(created), r.CreatedBy, nanos(updated))
	if err != nil {
		return dbErr(op, db.checkClosed(err), "a FOIA request with that id exists")
	}
	r.CreatedAt, r.UpdatedAt = created, updated
	return nil
}

// FOIARequest returns one request. Returns NotFound.
func (db *DB) FOIARequest(ctx context.Context, id string) (*steward.FOIARequest, error) {
	const op steward.Op = "sqlite.FOIARequest"
	r, err := scanFOIARequest(db.r.QueryRowContext(ctx, selectFOIARequestSQL+` WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "FOIA request not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return r, nil
}

// FOIARequests lists the requests matching f in ID order, after the ID
// f.After. A limit above 1000 is taken as 1000. Returns Invalid for a
// negative limit.
func (db *DB) FOIARequests(ctx context.Context, f steward.FOIARequestFilter) ([]*steward.FOIARequest, error) {
	const op steward.Op = "sqlite.FOIARequests"
	limit := f.Limit
	switch {
	case limit < 0:
		return nil, steward.E(op, steward.Invalid, "limit must not be negative")
	case limit == 0:
		limit = defaultFOIALimit
	case limit > maxFOIALimit:
		limit = maxFOIALimit
	}
	where, args := []string{"id > ?"}, []any{f.After}
	if len(f.Status) > 0 {
		where = append(where, "status IN ("+placeholders(len(f.Status))+")")
		for _, s := range f.Status {
			args = append(args, string(s))
		}
	}
	if f.OpenOnly {
		where = append(where, "status IN ("+openFOIAStatuses+")")
	}
	if f.CaseID != "" {
		// case_id != '' lets SQLite use the partial index on cases.
		where, args = append(where, "case_id = ? AND case_id != ''"), append(args, f.CaseID)
	}
	query := selectFOIARequestSQL + ` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id LIMIT ?`
	return queryAll(ctx, db, op, scanFOIARequest, query, append(args, limit)...)
}

// UpdateFOIARequester saves r's requester, description, fee category and
// case link, and nothing else: not the receipt, track or expedite fields
// the clock runs from, not the snapshot, not UpdatedAt, which follows the
// history. Returns NotFound.
func (db *DB) UpdateFOIARequester(ctx context.Context, r *steward.FOIARequest) error {
	const op steward.Op = "sqlite.UpdateFOIARequester"
	if r == nil || r.ID == "" {
		return steward.E(op, steward.Invalid, "no FOIA request")
	}
	q := r.Requester
	res, err := db.w.ExecContext(ctx, `UPDATE foia_requests SET requester_name = ?, requester_org = ?,
		requester_email = ?, requester_address = ?, description = ?, fee_category = ?, case_id = ?
		WHERE id = ?`, q.Name, q.Organization, q.Email, q.Address, r.Description, string(r.FeeCategory),
		r.CaseID, r.ID)
	if err != nil {
		return dbErr(op, db.checkClosed(err), "")
	}
	return rowsAffected(op, res, "FOIA request not found")
}

// AppendFOIAEvent appends ev to the history of r.ID as its event number
// r.Version and replaces the stored snapshot (Track, Status, Disposition,
// AppealOutcome, Version, UpdatedAt) with r's, in one transaction. It
// sets ev.RequestID, ev.ID when empty, and ev.RecordedAt to now when
// zero; a zero r.UpdatedAt is set to ev.RecordedAt. Returns Invalid
// without a request, an event or its time, for a Version below 1, or an
// event of another request; Conflict, storing nothing, if the stored
// Version is not r.Version-1 or an event has ev.ID; NotFound.
func (db *DB) AppendFOIAEvent(ctx context.Context, r *steward.FOIARequest, ev *steward.FOIAEvent) error {
	const op steward.Op = "sqlite.AppendFOIAEvent"
	switch {
	case r == nil || ev == nil || r.ID == "" || ev.At.IsZero():
		return steward.E(op, steward.Invalid, "an event needs a request and a time")
	case r.Version < 1:
		return steward.E(op, steward.Invalid, "a request with an event appended is at version 1 or more")
	case ev.RequestID != "" && ev.RequestID != r.ID:
		return steward.E(op, steward.Invalid, "the event belongs to another request")
	}
	e := *ev
	e.RequestID = r.ID
	if e.ID == "" {
		e.ID = steward.NewID()
	}
	if e.RecordedAt.IsZero() {
		e.RecordedAt = now()
	}
	updated := r.UpdatedAt
	if updated.IsZero() {
		updated = e.RecordedAt
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE foia_requests SET track = ?, status = ?, disposition = ?,
			appeal_outcome = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?`,
			string(r.Track), string(r.Status), string(r.Disposition), string(r.AppealOutcome), r.Version,
			nanos(updated), r.ID, r.Version-1)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var cur int
			err := tx.QueryRowContext(ctx, `SELECT version FROM foia_requests WHERE id = ?`, r.ID).Scan(&cur)
			if errors.Is(err, sql.ErrNoRows) {
				return steward.E(op, steward.NotFound, "FOIA request not found")
			} else if err != nil {
				return err
			}
			return steward.Errorf(op, steward.Conflict,
				"the request is at version %d, not %d: another event was recorded since it was read", cur, r.Version-1)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO foia_events (request_id, seq, id, kind, at, actor, recorded_at,
			toll, days, circumstance, track, disposition, appeal_outcome)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.RequestID, r.Version, e.ID, string(e.Kind), nanos(e.At), e.Actor, nanos(e.RecordedAt),
			string(e.Toll), e.Days, string(e.Circumstance), string(e.Track), string(e.Disposition),
			string(e.AppealOutcome))
		return err
	})
	if err != nil {
		return db.txErr(op, err, "an event with that id exists")
	}
	*ev = e
	r.UpdatedAt = updated
	return nil
}

// FOIAEvents returns the history of a request in the order appended.
// Returns NotFound if there is no such request.
func (db *DB) FOIAEvents(ctx context.Context, requestID string) ([]steward.FOIAEvent, error) {
	const op steward.Op = "sqlite.FOIAEvents"
	var evs []*steward.FOIAEvent
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM foia_requests WHERE id = ?`, requestID).Scan(&n); err != nil {
			return err
		} else if n == 0 {
			return steward.E(op, steward.NotFound, "FOIA request not found")
		}
		rows, err := tx.QueryContext(ctx, `SELECT request_id, id, kind, at, actor, recorded_at, toll, days,
			circumstance, track, disposition, appeal_outcome FROM foia_events WHERE request_id = ? ORDER BY seq`,
			requestID)
		if err != nil {
			return err
		}
		evs, err = collect(rows, scanFOIAEvent)
		return err
	})
	if err != nil {
		return nil, db.txErr(op, err, "")
	}
	return derefAll(evs), nil
}

func scanFOIARequest(s scanner) (*steward.FOIARequest, error) {
	var r steward.FOIARequest
	var received, created, updated int64
	var first sql.NullInt64
	q := &r.Requester
	err := s.Scan(&r.ID, &q.Name, &q.Organization, &q.Email, &q.Address, &r.Description, &r.FeeCategory,
		&received, &first, &r.ExpediteRequested, &r.InitialTrack, &r.Track, &r.Status, &r.Disposition,
		&r.AppealOutcome, &r.Version, &r.CaseID, &created, &r.CreatedBy, &updated)
	if err != nil {
		return nil, err
	}
	r.ReceivedAt, r.CreatedAt, r.UpdatedAt = fromNanos(received), fromNanos(created), fromNanos(updated)
	if first.Valid {
		r.FirstReceivedAt = fromNanos(first.Int64)
	}
	return &r, nil
}

func scanFOIAEvent(s scanner) (*steward.FOIAEvent, error) {
	var e steward.FOIAEvent
	var at, recorded int64
	err := s.Scan(&e.RequestID, &e.ID, &e.Kind, &at, &e.Actor, &recorded, &e.Toll, &e.Days, &e.Circumstance,
		&e.Track, &e.Disposition, &e.AppealOutcome)
	if err != nil {
		return nil, err
	}
	e.At, e.RecordedAt = fromNanos(at), fromNanos(recorded)
	return &e, nil
}
