package transfer_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// testRef is a test named in the matrix: `internal/records.TestEvaluate`.
var testRef = regexp.MustCompile("`((?:internal|cmd)/[a-z0-9_/]+)\\.((?:Test|Fuzz|Benchmark)[A-Za-z0-9_]+)`")

// TestConformanceMatrix keeps docs/records-conformance.md honest: every
// test it names must exist in the named package, and every duty it marks
// "tested" or "partial" must name at least one test.
func TestConformanceMatrix(t *testing.T) {
	doc, err := os.ReadFile("../../docs/records-conformance.md")
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]string{} // package dir → its test sources
	named := 0
	for _, m := range testRef.FindAllStringSubmatch(string(doc), -1) {
		dir, name := m[1], m[2]
		src, ok := sources[dir]
		if !ok {
			files, _ := filepath.Glob(filepath.Join("..", "..", filepath.FromSlash(dir), "*_test.go"))
			if len(files) == 0 {
				t.Errorf("%s.%s: no test files in %s", dir, name, dir)
			}
			var b strings.Builder
			for _, f := range files {
				text, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				b.Write(text)
			}
			src = b.String()
			sources[dir] = src
		}
		if !regexp.MustCompile(`(?m)^func ` + name + `\(`).MatchString(src) {
			t.Errorf("the matrix names %s.%s, which does not exist", dir, name)
		}
		named++
	}
	if named < 50 {
		t.Errorf("the matrix names only %d tests", named)
	}
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(line, "|")
		status := ""
		for _, c := range cells {
			switch c = strings.TrimSpace(c); {
			case c == "tested" || c == "partial" || c == "missing" || strings.HasPrefix(c, "pending"):
				status = c
			}
		}
		if (status == "tested" || status == "partial") && !testRef.MatchString(line) {
			t.Errorf("a duty marked %s names no test: %s", status, line)
		}
	}
}
