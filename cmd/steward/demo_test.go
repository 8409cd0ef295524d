package main

import (
	"regexp"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/httpapi"
)

var adminTokenRE = regexp.MustCompile(`Admin token\s+(stw_\S+)`)
var exampleRecordRE = regexp.MustCompile(`/api/v1/records/([0-9a-f-]{36})\s`)

// TestDemo runs `steward demo` as a user would, uses the token and the
// curl targets it prints, watches its traffic arrive, stops it, and
// verifies the archive it left.
func TestDemo(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, "demo", data, "--demo-interval", "20ms")
	var token, record string
	for i := 0; i < 100 && (token == "" || record == ""); i++ {
		logs := s.logs()
		if m := adminTokenRE.FindStringSubmatch(logs); m != nil {
			token = m[1]
		}
		if m := exampleRecordRE.FindStringSubmatch(logs); m != nil {
			record = m[1]
		}
		time.Sleep(50 * time.Millisecond)
	}
	if token == "" || record == "" {
		t.Fatalf("demo did not print a token and an example record:\n%s", s.logs())
	}
	var rec httpapi.RecordResponse
	if code := call(t, "GET", s.base+"/api/v1/records/"+record, token, nil, &rec); code != 200 || rec.Content == nil || rec.Content.Body == "" {
		t.Fatalf("example record: %d %+v", code, rec)
	}
	var cp1, cp2 httpapi.CheckpointResponse
	call(t, "GET", s.base+"/api/v1/checkpoint", token, nil, &cp1)
	time.Sleep(500 * time.Millisecond)
	if code := call(t, "GET", s.base+"/api/v1/proof-does-not-exist", token, nil, nil); code != 404 {
		t.Fatalf("unknown route: %d", code)
	}
	var ready struct {
		LogSize int64 `json:"log_size"`
	}
	call(t, "GET", s.base+"/readyz", "", nil, &ready)
	call(t, "GET", s.base+"/api/v1/checkpoint", token, nil, &cp2)
	if ready.LogSize < 10 || ready.LogSize <= cp1.Size {
		t.Fatalf("demo traffic is not arriving: log size %d, first checkpoint %d", ready.LogSize, cp1.Size)
	}
	s.stop(t)
	// A second run on the same directory finds the seed data in place.
	s = startServer(t, "demo", data, "--demo-interval", "1h")
	s.stop(t)
	if out, _, code := runSteward(t, "verify", "--data", data); code != 0 {
		t.Fatalf("verify after demo: exit %d\n%s", code, out)
	}
}
