package httproute

import (
	"net/http/httptest"
	"testing"
)

func TestMethods(t *testing.T) {
	var m Methods
	for _, p := range []string{"GET /a/{id}", "POST /a/{id}", "DELETE /b"} {
		m.Add(p)
	}
	cases := []struct {
		method, path, allow string
		known               bool
	}{
		{"PUT", "/a/7", "GET, POST", true},
		{"GET", "/b", "DELETE", true},
		{"GET", "/c", "", false},
		{"GET", "/a/7/x", "", false},
	}
	for _, c := range cases {
		allow, known := m.Allow(httptest.NewRequest(c.method, c.path, nil))
		if allow != c.allow || known != c.known {
			t.Errorf("%s %s: %q %v, want %q %v", c.method, c.path, allow, known, c.allow, c.known)
		}
	}
	var empty Methods
	if _, known := empty.Allow(httptest.NewRequest("GET", "/", nil)); known {
		t.Error("an empty table knows a path")
	}
}
