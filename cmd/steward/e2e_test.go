package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

var crashRounds = flag.Int("crash.rounds", 3, "kill -9 rounds in TestCrashRecovery (use 100 for the long run)")

// TestCrashRecovery hammers a `steward serve` process with captures and
// kill -9s it at random moments. After each restart every acknowledged
// capture must be present exactly once, and at the end `steward verify`
// must pass.
func TestCrashRecovery(t *testing.T) {
	data := t.TempDir()
	token := mustToken(t, data, "crash", "capture,read")
	acked := map[string]string{} // idempotency key → record id
	var mu sync.Mutex
	var seq atomic.Int64
	for round := 0; round < *crashRounds; round++ {
		s := startServer(t, "serve", data, "--checkpoint-every", "200")
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for p := 0; p < 8; p++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					n := seq.Add(1)
					// Every tenth request replays an earlier id, acknowledged or not.
					if n%10 == 0 && n > 20 {
						n = mrand.Int64N(n - 1)
					}
					id := fmt.Sprintf("crash-%d", n)
					var out struct {
						RecordID string `json:"record_id"`
					}
					code, err := tryCall(ctx, "POST", s.base+"/api/v1/capture", token, msg(id, "body "+id), &out)
					if err != nil {
						continue // the process died mid-request: not acknowledged
					}
					if code != 201 && code != 200 {
						t.Errorf("capture %s: status %d", id, code)
						continue
					}
					mu.Lock()
					if prev, ok := acked["api:"+id]; ok && prev != out.RecordID {
						t.Errorf("replay of %s answered %s, first answer was %s", id, out.RecordID, prev)
					}
					acked["api:"+id] = out.RecordID
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(150+mrand.IntN(600)) * time.Millisecond)
		s.kill()
		cancel()
		wg.Wait()
	}
	if len(acked) == 0 {
		t.Fatal("no capture was acknowledged")
	}
	// Every acknowledged capture is present, once, with the id we were given.
	db, err := sql.Open("sqlite", dbPath(data))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT idem_key, id FROM records WHERE kind = 'message'`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{}
	for rows.Next() {
		var k, id string
		if err := rows.Scan(&k, &id); err != nil {
			t.Fatal(err)
		}
		if _, dup := stored[k]; dup {
			t.Errorf("idempotency key %s stored twice", k)
		}
		stored[k] = id
	}
	rows.Close()
	for k, id := range acked {
		if stored[k] != id {
			t.Errorf("acknowledged capture %s (record %s) is missing after crashes (found %q)", k, id, stored[k])
		}
	}
	t.Logf("%d rounds: %d acknowledged captures, %d stored messages", *crashRounds, len(acked), len(stored))
	out, _, code := runSteward(t, "verify", "--data", data)
	if code != 0 {
		t.Fatalf("verify after crashes: exit %d\n%s", code, out)
	}
	// A restart after the crashes still serves and verifies.
	s := startServer(t, "serve", data)
	if c := call(t, "POST", s.base+"/api/v1/capture", token, msg("after-crash", "x"), nil); c != 201 {
		t.Fatalf("capture after crash recovery: %d", c)
	}
	s.stop(t)
	if out, _, code := runSteward(t, "verify", "--data", data); code != 0 {
		t.Fatalf("verify after restart: exit %d\n%s", code, out)
	}
}

// TestReplayStoredOnce sends one capture 50 times, half of them at once:
// it is stored once, the first answer is 201 and every other one is 200
// with the same body.
func TestReplayStoredOnce(t *testing.T) {
	data := t.TempDir()
	token := mustToken(t, data, "replay", "capture,read")
	s := startServer(t, "serve", data)
	type resp struct {
		RecordID  string `json:"record_id"`
		LeafIndex int64  `json:"leaf_index"`
	}
	var first resp
	if c := call(t, "POST", s.base+"/api/v1/capture", token, msg("same-1", "hello"), &first); c != 201 {
		t.Fatalf("first capture: %d", c)
	}
	var wg sync.WaitGroup
	for i := 0; i < 49; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r resp
			if c := call(t, "POST", s.base+"/api/v1/capture", token, msg("same-1", "hello"), &r); c != 200 {
				t.Errorf("replay answered %d, want 200", c)
			}
			if r != first {
				t.Errorf("replay answered %+v, want %+v", r, first)
			}
		}()
	}
	wg.Wait()
	s.stop(t)
	db, err := sql.Open("sqlite", dbPath(data))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM records WHERE idem_key = 'api:same-1'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("stored %d times (err %v), want once", n, err)
	}
}

// TestNoPlaintextAtRest captures a message and an attachment that carry a
// canary string, then searches every byte of the data directory and of the
// server's logs for it.
func TestNoPlaintextAtRest(t *testing.T) {
	data := t.TempDir()
	token := mustToken(t, data, "canary", "capture,read")
	s := startServer(t, "serve", data, "--log-level", "debug")
	canary := "CANARY-" + randHex(8)
	m := msg("canary-1", "the secret word is "+canary)
	m["attachments"] = []map[string]string{{"filename": canary + ".txt", "content_type": "text/plain",
		"data": base64.StdEncoding.EncodeToString([]byte("attachment says " + canary))}}
	m["extra"] = map[string]any{"note": canary}
	var out struct {
		RecordID    string `json:"record_id"`
		Attachments []struct {
			RecordID string `json:"record_id"`
		} `json:"attachments"`
	}
	if c := call(t, "POST", s.base+"/api/v1/capture", token, m, &out); c != 201 {
		t.Fatalf("capture: %d", c)
	}
	// The content is really there, for an authorized reader.
	var rec struct {
		Content struct {
			Body string `json:"body"`
		} `json:"content"`
	}
	if c := call(t, "GET", s.base+"/api/v1/records/"+out.RecordID+"?purpose=test", token, nil, &rec); c != 200 || !strings.Contains(rec.Content.Body, canary) {
		t.Fatalf("read back: %d %q", c, rec.Content.Body)
	}
	req, _ := http.NewRequest("GET", s.base+"/api/v1/records/"+out.Attachments[0].RecordID+"/blob?purpose=test", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 200)
	n, _ := resp.Body.Read(b)
	resp.Body.Close()
	if !strings.Contains(string(b[:n]), canary) {
		t.Fatalf("attachment read back %q", b[:n])
	}
	s.stop(t)

	if strings.Contains(s.logs(), canary) {
		t.Errorf("the canary appears in the server's logs")
	}
	err = filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.Contains(p, canary) {
			t.Errorf("the canary appears in a file name: %s", p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), canary) {
			t.Errorf("the canary appears in plaintext in %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randInt(n int64) int64 {
	v, _ := rand.Int(rand.Reader, big.NewInt(n))
	return v.Int64()
}

var metricsRE = regexp.MustCompile(`msg="metrics listening" addr=(\S+)`)

// TestMetricsListener: /metrics is served on its own loopback listener,
// counts captures, and is absent from the API listener.
func TestMetricsListener(t *testing.T) {
	data := t.TempDir()
	token := mustToken(t, data, "metrics", "capture")
	s := startServer(t, "serve", data, "--metrics-addr", "127.0.0.1:0")
	m := metricsRE.FindStringSubmatch(s.logs())
	if m == nil {
		t.Fatalf("no metrics listener in the logs:\n%s", s.logs())
	}
	if c := call(t, "POST", s.base+"/api/v1/capture", token, msg("m-1", "x"), nil); c != 201 {
		t.Fatalf("capture: %d", c)
	}
	if c := call(t, "GET", s.base+"/metrics", token, nil, nil); c != 404 {
		t.Fatalf("/metrics on the API listener: %d, want 404", c)
	}
	resp, err := http.Get("http://" + m[1] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `steward_captures_total{result="stored",type="message"} 1`) {
		t.Fatalf("metrics do not count the capture:\n%.2000s", body)
	}
}
