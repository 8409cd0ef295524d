package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/steward-gov/steward/internal/dlp"
)

// maxEDMLine bounds one value of dlp edm-hash.
const maxEDMLine = 1 << 20

// dlpEDMHash runs `steward dlp edm-hash [FILE|-]`: for each non-blank line
// of the input it prints the hex dlp.ClientHash of the line, in order, and
// at the end it tells standard error how many values it hashed. It is
// meant to run on the agency's own machine: it needs no server, no data
// directory and no key, and it never prints a value.
func dlpEDMHash(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 1 {
		fmt.Fprint(stderr, dlpUsage)
		return fmt.Errorf("dlp: want edm-hash [FILE|-]")
	}
	in := stdin
	if len(args) == 1 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), maxEDMLine)
	w := bufio.NewWriter(stdout)
	line, hashed := 0, 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		h := dlp.ClientHash(sc.Text())
		fmt.Fprintf(w, "%x\n", h[:])
		hashed++
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("dlp edm-hash: line %d is longer than %d bytes", line+1, maxEDMLine)
		}
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "edm-hash: %d values hashed, %d blank lines skipped\n", hashed, line-hashed)
	return nil
}
