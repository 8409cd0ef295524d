package main

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steward-gov/steward/internal/dlp"
)

// TestDLPEDMHashCommand: `steward dlp edm-hash` prints one hex client hash
// per non-blank line, in order, equal however a value is written, and
// never the value itself.
func TestDLPEDMHashCommand(t *testing.T) {
	in := "123-45-6789\n\n  Jane Q.   Public \r\n123 45 6789\nCASE-0042"
	cmd := exec.Command(stewardBin, "dlp", "edm-hash", "-")
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader(in)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("edm-hash: %v %s", err, errb.String())
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := []string{"123-45-6789", "Jane Q. Public", "123456789", "case-0042"}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines: %q", len(lines), out.String())
	}
	for i, v := range want {
		h := dlp.ClientHash(v)
		if lines[i] != hex.EncodeToString(h[:]) {
			t.Errorf("line %d = %s, want the hash of %q", i+1, lines[i], v)
		}
	}
	if lines[0] != lines[2] {
		t.Error("123-45-6789 and 123 45 6789 hash differently")
	}
	if strings.Contains(out.String()+errb.String(), "6789") || !strings.Contains(errb.String(), "4 values hashed, 1 blank lines skipped") {
		t.Errorf("stdout %q stderr %q", out.String(), errb.String())
	}

	// From a file, and the same hashes.
	path := filepath.Join(t.TempDir(), "values.txt")
	if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _, code := runSteward(t, "dlp", "edm-hash", path); code != 0 || got != out.String() {
		t.Errorf("from a file: code %d, %q", code, got)
	}
	if _, _, code := runSteward(t, "dlp", "edm-hash", "a", "b"); code == 0 {
		t.Error("two files accepted")
	}
	if _, _, code := runSteward(t, "dlp", "edm-hash", filepath.Join(t.TempDir(), "missing")); code == 0 {
		t.Error("missing file accepted")
	}
}
