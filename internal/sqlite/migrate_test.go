package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/steward-gov/steward/internal/steward"
)

// TestMigrateFrom001 upgrades a store made by the first migration alone:
// its rows survive, records gain the conversation id their metadata
// names, and contacts gain empty consent fields.
func TestMigrateFrom001(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "steward.db")
	old, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	initial, err := fs.ReadFile(migrationFS, "migrations/001_initial.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`PRAGMA journal_mode = WAL`,
		`CREATE TABLE migrations (name TEXT PRIMARY KEY)`,
		string(initial),
		`INSERT INTO migrations (name) VALUES ('001_initial.sql')`,
		`INSERT INTO records VALUES (0, 'rec-0', 'message', 'k0', 1,
			CAST('{"channel":"signal","conversation_id":"conv-1"}' AS BLOB), x'00', 'kek', x'00', x'00')`,
		`INSERT INTO records VALUES (1, 'rec-1', 'audit', 'k1', 2, CAST('{"actor":"admin"}' AS BLOB),
			x'00', 'kek', x'00', x'00')`,
		`INSERT INTO employees VALUES ('emp-1', NULL, 'ada', '', '', '', '', '', 1, 1, 1)`,
		`INSERT INTO contacts VALUES ('con-1', 'emp-1', 'signal', '+15550200', 'Client', 'pending', 'v1', 1, 1)`,
		`INSERT INTO tokens VALUES ('tok-1', 'ci', 'capture', x'01', 1, NULL, NULL, NULL)`,
	} {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i, want := range []string{"conv-1", ""} {
		r, err := db.RecordAt(ctx, int64(i))
		if err != nil {
			t.Fatal(err)
		}
		if r.ConversationID != want {
			t.Fatalf("record %d: ConversationID = %q, want %q", i, r.ConversationID, want)
		}
	}
	recs, err := db.ConversationRecords(ctx, "conv-1", -1, 10)
	if err != nil || len(recs) != 1 || recs[0].ID != "rec-0" {
		t.Fatalf("ConversationRecords(conv-1) = %+v, %v; want rec-0", recs, err)
	}
	c, err := db.ContactByID(ctx, "con-1")
	if err != nil {
		t.Fatal(err)
	}
	if c.DisplayName != "Client" || c.RequestedAt != nil || c.ConsentChangedAt != nil || c.ConsentReason != "" {
		t.Fatalf("migrated contact = %+v", c)
	}
	// Migration 004 folds existing user names, so SCIM's case-insensitive
	// lookup finds employees made before it.
	es, n, err := db.QueryEmployees(ctx, steward.EmployeeQuery{UserName: "ADA"})
	if err != nil || n != 1 || len(es) != 1 || es[0].ID != "emp-1" || es[0].Caveats != nil || es[0].SCIMResource != nil {
		t.Fatalf("QueryEmployees(ADA) = %+v, %d, %v; want emp-1 without SCIM fields", es, n, err)
	}
	tk, err := db.TokenByHash(ctx, []byte{1})
	if err != nil || tk.Name != "ci" || tk.EmployeeID != "" {
		t.Fatalf("migrated token = %+v, %v", tk, err)
	}
}
