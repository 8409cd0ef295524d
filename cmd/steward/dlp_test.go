package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/steward-gov/steward/internal/steward"
)

const dlpSample = "Per the case file, her SSN is 123-45-6789; card 4111 1111 1111 1111.\n" +
	"Not an SSN: 666-12-3456. SECRET//NOFORN\n"

// TestDLPScanCommand: `steward dlp scan -` prints one JSON line per
// validated finding, with spans into the input and no matched text.
func TestDLPScanCommand(t *testing.T) {
	cmd := exec.Command(stewardBin, "dlp", "scan", "-")
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader(dlpSample)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("dlp scan: %v %s", err, errb.String())
	}
	got := map[string]string{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var f struct {
			Detector   string
			Start, End int
			Valid      bool
		}
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		got[f.Detector] = dlpSample[f.Start:f.End]
	}
	if got["us_ssn"] != "123-45-6789" || !strings.Contains(got["payment_card"], "4111") || got["classification"] == "" {
		t.Fatalf("findings: %v", got)
	}
	if strings.Contains(out.String(), "123-45-6789") {
		t.Fatal("the output echoes the matched value")
	}
}

// TestDLPScanAPI: the API twin answers compliance officers and admins, and
// audits counts only.
func TestDLPScanAPI(t *testing.T) {
	a, srv := newTestAPI(t)
	admin := issue(t, a, "admin", 0, steward.ScopeAdmin)
	capture := issue(t, a, "cap", 0, steward.ScopeCapture)
	var out struct {
		Findings []struct {
			Detector   string
			Start, End int
		}
		Summary map[string]int
	}
	if code := call(t, "POST", srv.URL+"/api/v1/dlp/scan", admin, map[string]string{"text": dlpSample}, &out); code != 200 {
		t.Fatalf("scan: %d", code)
	}
	if out.Summary["us_ssn"] != 1 || out.Summary["payment_card"] != 1 {
		t.Fatalf("summary %v", out.Summary)
	}
	if code := call(t, "POST", srv.URL+"/api/v1/dlp/scan", capture, map[string]string{"text": dlpSample}, nil); code != 403 {
		t.Fatalf("capture token scanning: %d, want 403", code)
	}
}
