package httpapi

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docs/authorization.md carries the authorization table between these
// markers; TestAuthorizationDoc renders it from the routes table, so the
// document cannot drift. Run with STEWARD_UPDATE_DOCS=1 to rewrite it.
const (
	authzDocPath  = "../../docs/authorization.md"
	authzDocBegin = "<!-- BEGIN ROUTE TABLE: generated from internal/httpapi/server.go; do not edit -->\n"
	authzDocEnd   = "<!-- END ROUTE TABLE -->\n"
)

func renderAuthzTable() string {
	var b strings.Builder
	b.WriteString("| route | scope (machine tokens) | roles (employees) |\n|---|---|---|\n")
	for _, ra := range RouteTable() {
		scope := "none (unauthenticated)"
		if ra.Scope != "" {
			scope = "`" + string(ra.Scope) + "`"
		}
		var roles []string
		for _, r := range ra.Roles {
			roles = append(roles, "`"+string(r)+"`")
		}
		rs := strings.Join(roles, ", ")
		if rs == "" {
			rs = "none"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", ra.Pattern, scope, rs)
	}
	return b.String()
}

func TestAuthorizationDoc(t *testing.T) {
	path := filepath.FromSlash(authzDocPath)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, authzDocBegin), strings.Index(doc, authzDocEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the route table markers", authzDocPath)
	}
	want := doc[:i+len(authzDocBegin)] + renderAuthzTable() + doc[j:]
	if doc == want {
		return
	}
	if os.Getenv("STEWARD_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s is out of date with the routes table; run STEWARD_UPDATE_DOCS=1 go test ./internal/httpapi -run TestAuthorizationDoc", authzDocPath)
}
