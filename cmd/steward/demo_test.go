package main

import (
	"regexp"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/httpapi"
)

var adminTokenRE = regexp.MustCompile(`Admin token\s+(stw_\S+)`)
var exampleRecordRE = regexp.MustCompile(`/api/v1/records/([0-9a-f-]{36})[\s?]`)

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
	if code := call(t, "GET", s.base+"/api/v1/records/"+record+"?purpose=test", token, nil, &rec); code != 200 || rec.Content == nil || rec.Content.Body == "" {
		t.Fatalf("example record: %d %+v", code, rec)
	}
	// Our own captures, half a second apart, show the demo's traffic
	// arriving in between.
	var c1, c2 httpapi.CaptureResponse
	call(t, "POST", s.base+"/api/v1/capture", token, msg("probe-1", "probe"), &c1)
	time.Sleep(500 * time.Millisecond)
	call(t, "POST", s.base+"/api/v1/capture", token, msg("probe-2", "probe"), &c2)
	if c2.LeafIndex-c1.LeafIndex < 5 {
		t.Fatalf("demo traffic is not arriving: leaves %d then %d", c1.LeafIndex, c2.LeafIndex)
	}
	if code := call(t, "GET", s.base+"/api/v1/proof-does-not-exist", token, nil, nil); code != 404 {
		t.Fatalf("unknown route: %d", code)
	}
	s.stop(t)
	// A second run on the same directory finds the seed data in place.
	s = startServer(t, "demo", data, "--demo-interval", "1h")
	s.stop(t)
	if out, _, code := runSteward(t, "verify", "--data", data); code != 0 {
		t.Fatalf("verify after demo: exit %d\n%s", code, out)
	}
}
