package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/steward-gov/steward/internal/steward"
)

const selectConsentTextSQL = `SELECT version, text, sha256, created_at, created_by, current
	FROM consent_texts`

// AddConsentText stores t as a new version and makes it the current one,
// in one transaction. An empty SHA256 is computed (steward.TextDigest);
// CreatedAt is set to now when zero; t.Current is set.
//
// If the version exists with the same text, nothing is stored but the
// version becomes current again, and t takes its stored SHA256, CreatedAt
// and CreatedBy. Returns Invalid if Version or Text is empty or SHA256 is
// not the digest of Text, Conflict if the version exists with another text.
func (db *DB) AddConsentText(ctx context.Context, t *steward.ConsentText) error {
	const op steward.Op = "sqlite.AddConsentText"
	if t == nil || t.Version == "" || t.Text == "" {
		return steward.E(op, steward.Invalid, "consent text needs a version and a text")
	}
	digest := steward.TextDigest(t.Text)
	if t.SHA256 == "" {
		t.SHA256 = digest
	} else if t.SHA256 != digest {
		return steward.E(op, steward.Invalid, "sha256 is not the digest of the text")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now()
	}
	var stored *steward.ConsentText
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanConsentText(tx.QueryRowContext(ctx, selectConsentTextSQL+` WHERE version = ?`, t.Version))
		switch {
		case err == nil && old.Text != t.Text:
			return steward.Errorf(op, steward.Conflict, "consent text version %q exists with another text", t.Version)
		case err == nil:
			stored = old
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE consent_texts SET current = 0 WHERE current = 1`); err != nil {
			return err
		}
		if stored != nil {
			_, err = tx.ExecContext(ctx, `UPDATE consent_texts SET current = 1 WHERE version = ?`, t.Version)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO consent_texts (version, text, sha256, created_at,
				created_by, current) VALUES (?, ?, ?, ?, ?, 1)`,
				t.Version, t.Text, t.SHA256, nanos(t.CreatedAt), t.CreatedBy)
		}
		return err
	})
	if err != nil {
		return dbErr(op, db.checkClosed(err), "consent text version already exists")
	}
	if stored != nil {
		t.SHA256, t.CreatedAt, t.CreatedBy = stored.SHA256, stored.CreatedAt, stored.CreatedBy
	}
	t.Current = true
	return nil
}

// CurrentConsentText returns NotFound if no version was ever added.
func (db *DB) CurrentConsentText(ctx context.Context) (*steward.ConsentText, error) {
	const op steward.Op = "sqlite.CurrentConsentText"
	t, err := scanConsentText(db.r.QueryRowContext(ctx, selectConsentTextSQL+` WHERE current = 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "no consent text")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return t, nil
}

// ConsentTextByVersion returns NotFound if there is no such version.
func (db *DB) ConsentTextByVersion(ctx context.Context, version string) (*steward.ConsentText, error) {
	const op steward.Op = "sqlite.ConsentTextByVersion"
	t, err := scanConsentText(db.r.QueryRowContext(ctx, selectConsentTextSQL+` WHERE version = ?`, version))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.E(op, steward.NotFound, "consent text version not found")
	} else if err != nil {
		return nil, dbErr(op, db.checkClosed(err), "")
	}
	return t, nil
}

// ConsentTexts lists every version, newest (by CreatedAt) first.
func (db *DB) ConsentTexts(ctx context.Context) ([]*steward.ConsentText, error) {
	const op steward.Op = "sqlite.ConsentTexts"
	return queryAll(ctx, db, op, scanConsentText, selectConsentTextSQL+` ORDER BY created_at DESC, version DESC`)
}

func scanConsentText(s scanner) (*steward.ConsentText, error) {
	var t steward.ConsentText
	var created int64
	if err := s.Scan(&t.Version, &t.Text, &t.SHA256, &created, &t.CreatedBy, &t.Current); err != nil {
		return nil, err
	}
	t.CreatedAt = fromNanos(created)
	return &t, nil
}
