package main

import (
	"database/sql"
	"encoding/base64"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestTamperDetected changes one byte of a stored record, a blob, a leaf,
// the stored tree hashes or a checkpoint, directly in the SQLite file or
// the data directory, and expects `steward verify` to fail and name what
// was changed. It also truncates the log and expects verify to catch it
// against a checkpoint saved earlier.
func TestTamperDetected(t *testing.T) {
	data := t.TempDir()
	token := mustToken(t, data, "tamper", "capture,read")
	s := startServer(t, "serve", data, "--checkpoint-every", "5")
	ids := make([]string, 0, 30)
	var attID string
	for i := 0; i < 30; i++ {
		m := msg("t-"+strconv.Itoa(i), "message number "+strconv.Itoa(i))
		if i == 7 {
			m["attachments"] = []map[string]string{{"filename": "a.bin", "data": base64.StdEncoding.EncodeToString([]byte("attachment bytes"))}}
		}
		var out struct {
			RecordID    string `json:"record_id"`
			Attachments []struct {
				RecordID string `json:"record_id"`
			} `json:"attachments"`
		}
		if c := call(t, "POST", s.base+"/api/v1/capture", token, m, &out); c != 201 {
			t.Fatalf("capture: %d", c)
		}
		ids = append(ids, out.RecordID)
		if i == 7 {
			attID = out.Attachments[0].RecordID
		}
	}
	// Save a checkpoint the way an auditor would.
	req, _ := http.NewRequest("GET", s.base+"/api/v1/checkpoint", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	saved, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	savedPath := filepath.Join(t.TempDir(), "checkpoint.txt")
	if err := os.WriteFile(savedPath, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	s.stop(t)
	if out, _, code := runSteward(t, "verify", "--data", data, "--checkpoint", savedPath); code != 0 {
		t.Fatalf("clean archive does not verify: %s", out)
	}

	flip := func(col string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) { flipByte(t, dir, col, ids[12]) }
	}
	cases := []struct {
		name   string
		want   string // what the verify output must contain
		args   []string
		break_ func(t *testing.T, dir string)
	}{
		{"meta byte", ids[12], nil, flip("meta")},
		{"ciphertext byte", ids[12], nil, flip("sealed")},
		{"leaf byte", ids[12], nil, flip("leaf")},
		{"tree hash byte", ids[12], nil, flip("tree_hashes")},
		{"idempotency key", ids[12], nil, func(t *testing.T, dir string) {
			execSQL(t, dir, `UPDATE records SET idem_key = 'api:forged' WHERE id = ?`, ids[12])
		}},
		{"capture time", ids[12], nil, func(t *testing.T, dir string) {
			execSQL(t, dir, `UPDATE records SET captured_at = captured_at + 1 WHERE id = ?`, ids[12])
		}},
		{"checkpoint note", "checkpoint", nil, func(t *testing.T, dir string) {
			execSQL(t, dir, `UPDATE checkpoints SET note = replace(note, X'0A', X'0A0A') WHERE size = (SELECT min(size) FROM checkpoints)`)
		}},
		{"blob byte", attID, nil, func(t *testing.T, dir string) {
			var flipped bool
			filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() || flipped {
					return err
				}
				b, _ := os.ReadFile(p)
				b[len(b)/2] ^= 1
				flipped = true
				return os.WriteFile(p, b, 0o600)
			})
			if !flipped {
				t.Fatal("no blob to tamper with")
			}
		}},
		{"truncated tail", "truncated", []string{"--checkpoint", savedPath}, func(t *testing.T, dir string) {
			execSQL(t, dir, `DELETE FROM record_keys WHERE leaf_index >= (SELECT max(leaf_index) - 3 FROM records)`)
			execSQL(t, dir, `DELETE FROM records WHERE leaf_index >= (SELECT max(leaf_index) - 3 FROM records)`)
			execSQL(t, dir, `DELETE FROM checkpoints WHERE size > (SELECT count(*) FROM records)`)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyDir(t, data)
			c.break_(t, dir)
			out, _, code := runSteward(t, append([]string{"verify", "--data", dir}, c.args...)...)
			if code == 0 {
				t.Fatalf("verify passed a tampered archive:\n%s", out)
			}
			if !strings.Contains(out, c.want) {
				t.Fatalf("verify output does not name %q:\n%s", c.want, out)
			}
		})
	}
}

// execSQL runs one statement against the archive's SQLite file directly.
func execSQL(t *testing.T, dir, q string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite", dbPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Exec(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("%s changed nothing", q)
	}
}

// copyDir copies a stopped server's data directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, _ := d.Info()
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// flipByte flips one bit in a random byte of a record's column, in the
// SQLite file itself.
func flipByte(t *testing.T, dir, col, id string) {
	t.Helper()
	db, err := sql.Open("sqlite", dbPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b []byte
	if err := db.QueryRow(`SELECT `+col+` FROM records WHERE id = ?`, id).Scan(&b); err != nil {
		t.Fatal(err)
	}
	b[randInt(int64(len(b)))] ^= 0x01
	if _, err := db.Exec(`UPDATE records SET `+col+` = ? WHERE id = ?`, b, id); err != nil {
		t.Fatal(err)
	}
}
