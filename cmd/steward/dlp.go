package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/steward-gov/steward/internal/dlp"
)

const dlpUsage = `Usage:
  steward dlp scan [FILE|-]
  steward dlp edm-hash [FILE|-]

dlp scan prints, as JSON lines, what the built-in detectors find in a text
file (or standard input): detector, byte span, confidence and whether the
value passed validation. It reads nothing from the archive and needs no
data directory; it is how detectors are tested and detection measured.

dlp edm-hash reads sensitive values, one a line, and prints the hex SHA-256
of each normalized value, one a line: what an agency uploads for an exact
data match detector, so that Steward never sees the values themselves.
`

// maxScan bounds what dlp scan reads, as the API does.
const maxScan = 16 << 20

// dlpCmd runs `steward dlp scan` and `steward dlp edm-hash`.
func dlpCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "edm-hash" {
		return dlpEDMHash(args[1:], stdin, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "scan" || len(args) > 2 {
		fmt.Fprint(stderr, dlpUsage)
		return fmt.Errorf("dlp: want scan [FILE|-]")
	}
	in := stdin
	if len(args) == 2 && args[1] != "-" {
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	b, err := io.ReadAll(io.LimitReader(in, maxScan+1))
	if err != nil {
		return err
	}
	if len(b) > maxScan {
		return fmt.Errorf("dlp scan: input exceeds %d bytes", maxScan)
	}
	enc := json.NewEncoder(stdout)
	for _, f := range dlp.Scan(string(b), dlp.Options{}) {
		if err := enc.Encode(findingJSON(f)); err != nil {
			return err
		}
	}
	return nil
}

// findingJSON is a finding as dlp scan and the API print it.
func findingJSON(f dlp.Finding) map[string]any {
	return map[string]any{"detector": f.Detector, "start": f.Start, "end": f.End,
		"confidence": f.Confidence, "valid": f.Valid}
}
