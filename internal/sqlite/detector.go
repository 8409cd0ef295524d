package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/steward-gov/steward/internal/steward"
)

// detectorNameRE is the form of a custom detector's name: findings are
// keyed by it beside the built-in detectors' names, in policy conditions
// among other places. The dlp package checks the rest of a detector.
var detectorNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,47}$`)

const selectDetectorSQL = `SELECT v.id, v.version, v.name, v.kind, v.pattern, v.keywords, v.context,
	v.confidence, v.enabled, v.deleted, v.updated_by, v.updated_at, d.edm_values
	FROM detector_versions v JOIN detectors d ON d.id = v.id AND d.version = v.version`

// SaveDetector stores d as the next version of detector d.ID, or as a new
// detector when d.ID is unknown (a new ID is assigned when it is empty),
// and sets d.ID, d.Version and d.UpdatedAt (to now). A detector saved
// with a kind other than edm loses its digests. Returns Invalid for an
// unknown kind or a malformed name, Conflict if d.Version is not the
// current version (0 for a new detector) or if another detector that is
// not deleted has d.Name.
func (db *DB) SaveDetector(ctx context.Context, d *steward.CustomDetector) error {
	const op steward.Op = "sqlite.SaveDetector"
	if d == nil {
		return steward.E(op, steward.Invalid, "no detector")
	}
	switch d.Kind {
	case steward.DetectorRegex, steward.DetectorKeywords, steward.DetectorLexicon, steward.DetectorEDM:
	default:
		return steward.Errorf(op, steward.Invalid, "unknown detector kind %q", d.Kind)
	}
	if !detectorNameRE.MatchString(d.Name) {
		return steward.E(op, steward.Invalid, "a detector name is a-z then up to 47 of a-z, 0-9 and '_'")
	}
	keywords, err := encodeStrings(d.Keywords)
	if err != nil {
		return steward.E(op, steward.Invalid, "keywords cannot be encoded", err)
	}
	contextWords, err := encodeStrings(d.Context)
	if err != nil {
		return steward.E(op, steward.Invalid, "context words cannot be encoded", err)
	}
	id, at, next := d.ID, now(), d.Version+1
	if id == "" {
		id = steward.NewID()
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if err := checkVersion(ctx, tx, op, "detectors", "detector", id, d.Version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO detector_versions (id, version, name, kind, pattern,
			keywords, context, confidence, enabled, deleted, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, next, d.Name, string(d.Kind), d.Pattern, keywords, contextWords, d.Confidence, d.Enabled,
			d.Deleted, d.UpdatedBy, nanos(at)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO detectors (id, version, name, deleted) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET version = excluded.version, name = excluded.name,
			deleted = excluded.deleted`, id, next, d.Name, d.Deleted); err != nil {
			return err
		}
		if d.Kind == steward.DetectorEDM {
			return nil
		}
		return replaceDigests(ctx, tx, id, nil)
	})
	if err != nil {
		return db.txErr(op, err, "another detector has that name")
	}
	d.ID, d.Version, d.UpdatedAt = id, next, at
	return nil
}

// Detectors returns the current version of every custom detector not
// deleted, by name.
func (db *DB) Detectors(ctx context.Context) ([]*steward.CustomDetector, error) {
	const op steward.Op = "sqlite.Detectors"
	return queryAll(ctx, db, op, scanDetector, selectDetectorSQL+` WHERE d.deleted = 0 ORDER BY d.name, d.id`)
}

// DetectorByID returns a detector's current version, deleted or not.
// Returns NotFound.
func (db *DB) DetectorByID(ctx context.Context, id string) (*steward.CustomDetector, error) {
	const op steward.Op = "sqlite.DetectorByID"
	d, err := scanDetector(db.r.QueryRowContext(ctx, selectDetectorSQL+` WHERE d.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "detector not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return d, nil
}

// SetEDMDigests replaces the digests of an exact-data-match detector in
// one transaction; duplicates count once. Returns NotFound, Invalid if
// the detector is not of kind edm or a digest is empty.
func (db *DB) SetEDMDigests(ctx context.Context, detectorID string, digests [][]byte) error {
	const op steward.Op = "sqlite.SetEDMDigests"
	for _, d := range digests {
		if len(d) == 0 {
			return steward.E(op, steward.Invalid, "an empty digest")
		}
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var kind steward.DetectorKind
		err := tx.QueryRowContext(ctx, `SELECT v.kind FROM detectors d
			JOIN detector_versions v ON v.id = d.id AND v.version = d.version WHERE d.id = ?`, detectorID).Scan(&kind)
		if errors.Is(err, sql.ErrNoRows) {
			return steward.E(op, steward.NotFound, "detector not found")
		} else if err != nil {
			return err
		}
		if kind != steward.DetectorEDM {
			return steward.Errorf(op, steward.Invalid, "detector is of kind %s, not edm", kind)
		}
		return replaceDigests(ctx, tx, detectorID, digests)
	})
	if err != nil {
		return db.txErr(op, err, "")
	}
	return nil
}

// digestBatch is how many digests one INSERT statement writes.
const digestBatch = 500

// replaceDigests replaces detectorID's digests and their count. The
// digests go in sorted, duplicates dropped, and many to a statement:
// random keys inserted in order fill B-tree pages one after another
// instead of splitting pages all over the table, which makes a large
// upload several times faster.
func replaceDigests(ctx context.Context, tx *sql.Tx, detectorID string, digests [][]byte) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM edm_digests WHERE detector_id = ?`, detectorID); err != nil {
		return err
	}
	digests = slices.Clone(digests)
	slices.SortFunc(digests, bytes.Compare)
	digests = slices.CompactFunc(digests, bytes.Equal)
	args := make([]any, 0, 2*digestBatch)
	for rest := digests; len(rest) > 0; {
		n := min(len(rest), digestBatch)
		args = args[:0]
		for _, d := range rest[:n] {
			args = append(args, detectorID, d)
		}
		q := `INSERT INTO edm_digests (detector_id, digest) VALUES (?, ?)` + strings.Repeat(`, (?, ?)`, n-1)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		rest = rest[n:]
	}
	_, err := tx.ExecContext(ctx, `UPDATE detectors SET edm_values = ? WHERE id = ?`, len(digests), detectorID)
	return err
}

// EDMDigests returns a detector's digests in no particular order. Returns
// NotFound if there is no such detector.
func (db *DB) EDMDigests(ctx context.Context, detectorID string) ([][]byte, error) {
	const op steward.Op = "sqlite.EDMDigests"
	var out [][]byte
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM detectors WHERE id = ?`, detectorID).Scan(&n); err != nil {
			return err
		} else if n == 0 {
			return steward.E(op, steward.NotFound, "detector not found")
		}
		rows, err := tx.QueryContext(ctx, `SELECT digest FROM edm_digests WHERE detector_id = ?`, detectorID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d []byte
			if err := rows.Scan(&d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, db.txErr(op, err, "")
	}
	return out, nil
}

func scanDetector(s scanner) (*steward.CustomDetector, error) {
	var d steward.CustomDetector
	var keywords, contextWords string
	var updated int64
	err := s.Scan(&d.ID, &d.Version, &d.Name, &d.Kind, &d.Pattern, &keywords, &contextWords, &d.Confidence,
		&d.Enabled, &d.Deleted, &d.UpdatedBy, &updated, &d.EDMValues)
	if err != nil {
		return nil, err
	}
	if d.Keywords, err = decodeStrings(keywords); err != nil {
		return nil, fmt.Errorf("detector %s: keywords: %w", d.ID, err)
	}
	if d.Context, err = decodeStrings(contextWords); err != nil {
		return nil, fmt.Errorf("detector %s: context: %w", d.ID, err)
	}
	d.UpdatedAt = fromNanos(updated)
	return &d, nil
}
