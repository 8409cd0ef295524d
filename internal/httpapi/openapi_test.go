package httpapi

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/steward-gov/steward/internal/steward"
)

// The API contract, api/openapi.yaml, must describe exactly the routes in
// the routes table, each with the scope the table gives it. go.mod has no
// YAML library and one test does not justify adding one, so the document
// keeps a disciplined layout (stated in its header comment) and this file
// reads its `paths:` and `components:` sections line by line:
//
//	paths:
//	  /api/v1/records/{id}:          path key, 2 spaces
//	    parameters:                  path-level field, 4 spaces
//	      - name: id                 path parameter: name, then in: path
//	        in: path
//	    get:                         method, 4 spaces
//	      x-steward-scope: read      operation field, 6 spaces
//	      security:
//	        - bearerAuth: [read]     exactly one requirement naming the scope
//
// and `security: []` with `x-steward-scope: ""` for unauthenticated routes.
// Block scalars (`description: |`) are skipped, so prose cannot confuse it.
// Anything under `paths:` that does not fit the layout is an error rather
// than something silently ignored.

const openAPIPath = "../../api/openapi.yaml"

// openAPIOp is one operation found under paths.
type openAPIOp struct {
	line     int
	scope    string
	hasScope bool
	// x-steward-roles: the roles an employee needs, as a flow list.
	rolesList []string
	hasRoles  bool
	// security: noSecurity is `security: []`; roles lists the roles of
	// each `- bearerAuth: [...]` requirement, one entry per requirement.
	hasSecurity bool
	noSecurity  bool
	schemes     []string
	roles       [][]string
}

type openAPIDoc struct {
	version    string
	ops        map[string]*openAPIOp // "METHOD /path"
	pathParams map[string][]string   // path → names declared `in: path`
	components map[string]bool       // "schemas/Name", "responses/Name", …
	refs       map[string]int        // "#/components/…" target → first line
}

var openAPIMethods = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true,
	"options": true, "head": true, "patch": true, "trace": true,
}

// pathItemFields are the non-method keys allowed at 4 spaces under a path.
var pathItemFields = map[string]bool{
	"parameters": true, "summary": true, "description": true, "servers": true,
}

// parseOpenAPI reads the parts of an OpenAPI document in the layout above.
func parseOpenAPI(text string) (*openAPIDoc, error) {
	doc := &openAPIDoc{
		ops:        map[string]*openAPIOp{},
		pathParams: map[string][]string{},
		components: map[string]bool{},
		refs:       map[string]int{},
	}
	var (
		section     string     // top-level key we are in
		path        string     // current path key under paths
		op          *openAPIOp // current operation, nil at path level
		inSecurity  bool       // inside an operation's `security:` list
		lastName    string     // the last `name:` seen in the current path item
		compSection string     // current section under components
		blockIndent = -1       // indent of the key owning a block scalar being skipped
		seenPaths   = map[string]bool{}
	)
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i, raw := range lines {
		n := i + 1
		bad := func(format string, args ...any) error {
			return fmt.Errorf("openapi.yaml:%d: %s", n, fmt.Sprintf(format, args...))
		}
		content := strings.TrimLeft(raw, " ")
		indent := len(raw) - len(content)
		if strings.HasPrefix(content, "\t") {
			return nil, bad("tab in indentation")
		}
		trimmed := strings.TrimSpace(content)
		if blockIndent >= 0 {
			if trimmed == "" || indent > blockIndent {
				continue // inside a block scalar
			}
			blockIndent = -1
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		key, value, isKey := splitYAMLKey(trimmed)
		if isKey && isBlockScalarIndicator(value) {
			// The key's own indent; for a "- key: |" item, the item's key
			// sits two columns further in.
			blockIndent = indent
			if strings.HasPrefix(trimmed, "- ") {
				blockIndent += 2
			}
		}
		if strings.HasPrefix(key, "$ref") || strings.HasPrefix(key, "- $ref") {
			target := unquoteYAML(value)
			if strings.HasPrefix(target, "#/components/") {
				if _, ok := doc.refs[target]; !ok {
					doc.refs[target] = n
				}
			}
		}

		if indent == 0 {
			if !isKey {
				return nil, bad("top-level line is not a key: %q", trimmed)
			}
			section, path, op, inSecurity, compSection = key, "", nil, false, ""
			if key == "openapi" {
				doc.version = unquoteYAML(value)
			}
			continue
		}

		switch section {
		case "components":
			switch {
			case indent == 2 && isKey:
				compSection = key
			case indent == 4 && isKey && compSection != "":
				doc.components[compSection+"/"+unquoteYAML(key)] = true
			}

		case "paths":
			switch {
			case indent%2 != 0:
				return nil, bad("odd indentation (%d spaces): the layout is two-space", indent)
			case indent == 2:
				p := unquoteYAML(key)
				if !isKey || value != "" || !strings.HasPrefix(p, "/") {
					return nil, bad("expected a path key such as `  /api/v1/x:` at 2 spaces, got %q", trimmed)
				}
				if seenPaths[p] {
					return nil, bad("path %s listed twice", p)
				}
				seenPaths[p] = true
				path, op, inSecurity, lastName = p, nil, false, ""
			case path == "":
				return nil, bad("indented line under paths before any path key")
			case indent == 4:
				if !isKey {
					return nil, bad("expected a method or path-item field at 4 spaces, got %q", trimmed)
				}
				inSecurity = false
				if openAPIMethods[key] {
					if value != "" {
						return nil, bad("method %s must open a block", key)
					}
					id := strings.ToUpper(key) + " " + path
					if _, dup := doc.ops[id]; dup {
						return nil, bad("operation %s listed twice", id)
					}
					op = &openAPIOp{line: n}
					doc.ops[id] = op
				} else if pathItemFields[key] {
					op = nil
				} else {
					return nil, bad("unexpected key %q at 4 spaces under %s (methods are lower case)", key, path)
				}
			default:
				// Path parameters may be declared at path level or in an
				// operation: a `name:` line, then its `in: path` line.
				if v, ok := strings.CutPrefix(trimmed, "- name:"); ok {
					lastName = unquoteYAML(strings.TrimSpace(v))
				} else if key == "name" {
					lastName = unquoteYAML(value)
				}
				if key == "in" || key == "- in" {
					if unquoteYAML(value) == "path" {
						if lastName == "" {
							return nil, bad("`in: path` without a preceding `name:`")
						}
						if !slices.Contains(doc.pathParams[path], lastName) {
							doc.pathParams[path] = append(doc.pathParams[path], lastName)
						}
					}
				}
				if op == nil {
					continue
				}
				if indent == 6 {
					inSecurity = false
					if !isKey {
						continue
					}
					switch key {
					case "x-steward-scope":
						if op.hasScope {
							return nil, bad("x-steward-scope given twice")
						}
						op.hasScope, op.scope = true, unquoteYAML(value)
					case "x-steward-roles":
						if op.hasRoles {
							return nil, bad("x-steward-roles given twice")
						}
						list, err := parseFlowList(value)
						if err != nil {
							return nil, bad("x-steward-roles: %v", err)
						}
						op.hasRoles, op.rolesList = true, list
					case "security":
						if op.hasSecurity {
							return nil, bad("security given twice")
						}
						op.hasSecurity = true
						switch value {
						case "[]":
							op.noSecurity = true
						case "":
							inSecurity = true
						default:
							return nil, bad("security must be `[]` or a block list of `- bearerAuth: [scope]`")
						}
					}
				} else if indent == 8 && inSecurity {
					req, ok := strings.CutPrefix(trimmed, "- ")
					if !ok {
						return nil, bad("security requirement must be a list item `- bearerAuth: [scope]`")
					}
					scheme, roles, ok := splitYAMLKey(req)
					if !ok {
						return nil, bad("malformed security requirement %q", trimmed)
					}
					list, err := parseFlowList(roles)
					if err != nil {
						return nil, bad("security requirement %q: %v", trimmed, err)
					}
					op.schemes = append(op.schemes, scheme)
					op.roles = append(op.roles, list)
				} else if indent < 8 {
					inSecurity = false
				}
			}
		}
	}
	return doc, nil
}

// splitYAMLKey splits "key: value" (or "key:"). A key may be quoted.
func splitYAMLKey(s string) (key, value string, ok bool) {
	if strings.HasPrefix(s, `"`) || strings.HasPrefix(s, `'`) {
		q := s[:1]
		end := strings.Index(s[1:], q)
		if end < 0 {
			return "", "", false
		}
		key, rest := s[:end+2], s[end+2:]
		if rest == ":" {
			return key, "", true
		}
		if v, ok := strings.CutPrefix(rest, ": "); ok {
			return key, stripYAMLComment(strings.TrimSpace(v)), true
		}
		return "", "", false
	}
	if k, ok := strings.CutSuffix(s, ":"); ok && !strings.Contains(k, ": ") {
		return k, "", true
	}
	k, v, ok := strings.Cut(s, ": ")
	if !ok {
		return "", "", false
	}
	return k, stripYAMLComment(strings.TrimSpace(v)), true
}

// stripYAMLComment drops a trailing " # comment" from an unquoted value.
func stripYAMLComment(v string) string {
	if strings.HasPrefix(v, `"`) || strings.HasPrefix(v, `'`) {
		return v
	}
	if i := strings.Index(v, " #"); i >= 0 {
		return strings.TrimSpace(v[:i])
	}
	return v
}

func isBlockScalarIndicator(v string) bool {
	switch v {
	case "|", "|-", "|+", ">", ">-", ">+":
		return true
	}
	return false
}

func unquoteYAML(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

// parseFlowList parses "[]" or "[a, b]".
func parseFlowList(s string) ([]string, error) {
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		return nil, fmt.Errorf("want a flow list such as [read]")
	}
	var out []string
	for _, f := range strings.Split(s[1:len(s)-1], ",") {
		if f = unquoteYAML(f); f != "" {
			out = append(out, f)
		}
	}
	return out, nil
}

var pathParamRE = regexp.MustCompile(`\{([^{}]+)\}`)

func loadOpenAPI(t *testing.T) *openAPIDoc {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(openAPIPath))
	if err != nil {
		t.Fatalf("read the API contract: %v", err)
	}
	doc, err := parseOpenAPI(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.version, "3.1.") {
		t.Fatalf("openapi.yaml: `openapi:` is %q, want 3.1.x", doc.version)
	}
	if len(doc.ops) == 0 {
		t.Fatal("openapi.yaml: no operations found under paths:")
	}
	return doc
}

// TestOpenAPIMatchesRoutes: the contract lists exactly the routes of the
// table, each with the table's scope and a matching security requirement.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	routes := Routes()

	var missing, extra []string
	for pattern := range routes {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok || method != strings.ToUpper(method) || !strings.HasPrefix(path, "/") {
			t.Errorf("route pattern %q is not \"METHOD /path\"; this test (and the contract) need that form", pattern)
			continue
		}
		if _, ok := doc.ops[pattern]; !ok {
			missing = append(missing, pattern)
		}
	}
	for id := range doc.ops {
		if _, ok := routes[id]; !ok {
			extra = append(extra, id)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, m := range missing {
		t.Errorf("route %q is in the routes table (internal/httpapi/server.go) but not documented in api/openapi.yaml", m)
	}
	for _, e := range extra {
		t.Errorf("api/openapi.yaml documents %q, which is not in the routes table", e)
	}
	if !doc.components["securitySchemes/bearerAuth"] {
		t.Errorf("openapi.yaml: components.securitySchemes has no bearerAuth")
	}

	for id, op := range doc.ops {
		want, ok := routes[id]
		if !ok {
			continue
		}
		where := fmt.Sprintf("openapi.yaml:%d: %s", op.line, id)
		if !op.hasScope {
			t.Errorf("%s: no x-steward-scope (want %q)", where, want)
		} else if steward.Scope(op.scope) != want {
			t.Errorf("%s: x-steward-scope is %q, the routes table says %q", where, op.scope, want)
		}
		var wantRoles []string
		for _, ra := range RouteTable() {
			if ra.Pattern == id {
				for _, r := range ra.Roles {
					wantRoles = append(wantRoles, string(r))
				}
			}
		}
		if !op.hasRoles {
			t.Errorf("%s: no x-steward-roles (want %v)", where, wantRoles)
		} else if !slices.Equal(op.rolesList, wantRoles) {
			t.Errorf("%s: x-steward-roles is %v, the routes table says %v (same order)", where, op.rolesList, wantRoles)
		}
		if !op.hasSecurity {
			t.Errorf("%s: no security: the contract states it on every operation", where)
			continue
		}
		if want == "" {
			if !op.noSecurity {
				t.Errorf("%s: unauthenticated route must have `security: []`", where)
			}
			continue
		}
		if op.noSecurity {
			t.Errorf("%s: `security: []` on a route that needs the %q scope", where, want)
			continue
		}
		if len(op.schemes) != 1 || op.schemes[0] != "bearerAuth" || !slices.Equal(op.roles[0], []string{string(want)}) {
			t.Errorf("%s: security is %v %v, want exactly `- bearerAuth: [%s]`", where, op.schemes, op.roles, want)
		}
	}
}

// TestOpenAPIPathParams: every {param} in a documented path is declared as
// a path parameter, and no other path parameter is declared.
func TestOpenAPIPathParams(t *testing.T) {
	doc := loadOpenAPI(t)
	paths := map[string]bool{}
	for id := range doc.ops {
		_, p, _ := strings.Cut(id, " ")
		paths[p] = true
	}
	for p := range paths {
		var want []string
		for _, m := range pathParamRE.FindAllStringSubmatch(p, -1) {
			want = append(want, m[1])
		}
		got := append([]string(nil), doc.pathParams[p]...)
		sort.Strings(want)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("openapi.yaml: %s declares path parameters %v, its template has %v", p, got, want)
		}
	}
}

// TestOpenAPIRefsResolve: every "#/components/…" reference names a
// component that the document defines.
func TestOpenAPIRefsResolve(t *testing.T) {
	doc := loadOpenAPI(t)
	if len(doc.refs) == 0 {
		t.Fatal("openapi.yaml: no $ref found; the parser is probably reading the wrong file")
	}
	for target, line := range doc.refs {
		name := strings.TrimPrefix(target, "#/components/")
		if strings.Count(name, "/") != 1 || !doc.components[name] {
			t.Errorf("openapi.yaml:%d: $ref %q names no component", line, target)
		}
	}
}

// TestOpenAPIParser checks the parser itself on small documents, so that a
// layout it cannot read fails loudly instead of passing vacuously.
func TestOpenAPIParser(t *testing.T) {
	good := `openapi: 3.1.0
paths:
  /healthz:
    get:
      x-steward-scope: ""
      security: []
  "/api/v1/things/{id}":
    description: |
      Prose that looks like YAML must be skipped:
        - name: bogus
          in: path
        $ref: "#/components/responses/Nope"

    parameters:
      - name: id
        in: path
    delete:
      summary: x
      x-steward-scope: admin # comment
      x-steward-roles: [admin, auditor]
      security:
        - bearerAuth: [admin]
      responses:
        "204":
          $ref: "#/components/responses/Empty"
components:
  responses:
    Empty:
      description: none
`
	doc, err := parseOpenAPI(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.ops) != 2 {
		t.Fatalf("ops = %v, want GET /healthz and DELETE /api/v1/things/{id}", sortedKeys(doc.ops))
	}
	h := doc.ops["GET /healthz"]
	if h == nil || !h.hasScope || h.scope != "" || !h.noSecurity {
		t.Errorf("GET /healthz parsed as %+v", h)
	}
	d := doc.ops["DELETE /api/v1/things/{id}"]
	if d == nil || d.scope != "admin" || !slices.Equal(d.rolesList, []string{"admin", "auditor"}) || d.noSecurity || len(d.roles) != 1 || !slices.Equal(d.roles[0], []string{"admin"}) {
		t.Errorf("DELETE /api/v1/things/{id} parsed as %+v", d)
	}
	if !slices.Equal(doc.pathParams["/api/v1/things/{id}"], []string{"id"}) {
		t.Errorf("path params = %v", doc.pathParams)
	}
	if !doc.components["responses/Empty"] || doc.refs["#/components/responses/Empty"] == 0 || len(doc.refs) != 1 {
		t.Errorf("components %v, refs %v", doc.components, doc.refs)
	}

	for name, bad := range map[string]string{
		"tab":            "openapi: 3.1.0\npaths:\n  /a:\n\tget:\n",
		"method case":    "openapi: 3.1.0\npaths:\n  /a:\n    GET:\n",
		"duplicate op":   "openapi: 3.1.0\npaths:\n  /a:\n    get:\n      x-steward-scope: read\n    get:\n",
		"duplicate path": "openapi: 3.1.0\npaths:\n  /a:\n    get:\n  /a:\n    post:\n",
		"not a path":     "openapi: 3.1.0\npaths:\n  a:\n    get:\n",
		"roles twice":    "openapi: 3.1.0\npaths:\n  /a:\n    get:\n      x-steward-roles: []\n      x-steward-roles: []\n",
		"roles not flow": "openapi: 3.1.0\npaths:\n  /a:\n    get:\n      x-steward-roles: admin\n",
		"scope twice":    "openapi: 3.1.0\npaths:\n  /a:\n    get:\n      x-steward-scope: read\n      x-steward-scope: read\n",
		"flow security":  "openapi: 3.1.0\npaths:\n  /a:\n    get:\n      security: [{bearerAuth: [read]}]\n",
		"misindented":    "openapi: 3.1.0\npaths:\n  /a:\n     get:\n",
	} {
		if _, err := parseOpenAPI(bad); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
