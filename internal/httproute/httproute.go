// Package httproute holds what Steward's three HTTP surfaces (the JSON
// API, the web inbox and SCIM) share about their route tables: knowing
// which methods a path serves, so that a known path asked with another
// method is answered 405 with an Allow header instead of 404.
package httproute

import (
	"net/http"
	"strings"
)

// Methods maps route paths to the methods they serve. Add every pattern
// of a table ("METHOD /path/{param}"), then ask Allow for requests no
// route matched. It is filled once, before serving, and then only read.
type Methods struct {
	paths *http.ServeMux // every path, whatever the method
	allow map[string][]string
}

// Add records a "METHOD /path" pattern as ServeMux understands it.
func (m *Methods) Add(pattern string) {
	if m.paths == nil {
		m.paths, m.allow = http.NewServeMux(), map[string][]string{}
	}
	method, path, _ := strings.Cut(pattern, " ")
	if m.allow[path] == nil {
		m.paths.HandleFunc(path, func(http.ResponseWriter, *http.Request) {})
	}
	m.allow[path] = append(m.allow[path], method)
}

// Allow returns the value of the Allow header for r's path, and whether
// any route serves that path at all.
func (m *Methods) Allow(r *http.Request) (string, bool) {
	if m.paths == nil {
		return "", false
	}
	if _, p := m.paths.Handler(r); p != "" {
		return strings.Join(m.allow[p], ", "), true
	}
	return "", false
}
