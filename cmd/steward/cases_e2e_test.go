package main

import (
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/discovery"
	"github.com/steward-gov/steward/internal/httpapi"
	"github.com/steward-gov/steward/internal/steward"
)

// TestCaseSearch runs eDiscovery end to end over HTTP against the real
// binary: messages captured through the capture API are indexed in the
// background; a case over Dana alone, opened with a discovery token,
// finds Dana's message and not Erin's, with its highlight; the search is
// in the audit trail; an admin reaches none of it and cannot issue a
// discovery token; a closed case refuses searches.
func TestCaseSearch(t *testing.T) {
	t.Parallel()
	const danaAddr, erinAddr = "+12025550181", "+12025550182"
	data := t.TempDir()
	admin := mustToken(t, data, "cases-admin", "admin")
	capture := mustToken(t, data, "cases-capture", "capture")
	disc := mustToken(t, data, "cases-discovery", "discovery")
	auditor := mustToken(t, data, "cases-auditor", "audit")
	s := startServer(t, "serve", data, "--default-policies", "false")
	base := s.base

	employee := func(user, name, addr string) string {
		t.Helper()
		var emp steward.Employee
		if code := call(t, "POST", base+"/api/v1/employees", admin, map[string]string{"user_name": user, "display_name": name}, &emp); code != 201 {
			t.Fatalf("create employee %s: %d", user, code)
		}
		if code := call(t, "PUT", base+"/api/v1/employees/"+emp.ID+"/identities", admin, map[string]any{
			"channel": "api", "address": addr, "mode": steward.IdentityGoverned}, nil); code != 201 {
			t.Fatalf("identity %s: %d", addr, code)
		}
		return emp.ID
	}
	dana := employee("dana@agency.example.gov", "Dana Whitfield", danaAddr)
	employee("erin@agency.example.gov", "Erin Okafor", erinAddr)
	counsel := employee("counsel@agency.example.gov", "Lee Counsel", "+12025550189")

	to := func(id, addr, body string) map[string]any {
		m := msg(id, body)
		m["recipients"] = []map[string]string{{"address": addr}}
		return m
	}
	var forDana, forErin httpapi.CaptureResponse
	if code := call(t, "POST", base+"/api/v1/capture", capture, to("case-1", danaAddr, "the culvert bid is due Friday"), &forDana); code != 201 {
		t.Fatalf("capture for Dana: %d", code)
	}
	if code := call(t, "POST", base+"/api/v1/capture", capture, to("case-2", erinAddr, "culvert plans attached"), &forErin); code != 201 {
		t.Fatalf("capture for Erin: %d", code)
	}

	// Separation of duties: an admin neither issues discovery tokens nor
	// reaches cases.
	if code := call(t, "POST", base+"/api/v1/tokens", admin, map[string]any{"name": "sneaky", "scopes": []string{"discovery"}}, nil); code != 403 {
		t.Fatalf("admin issues a discovery token: %d, want 403", code)
	}
	if code := call(t, "GET", base+"/api/v1/cases", admin, nil, nil); code != 403 {
		t.Fatalf("admin lists cases: %d, want 403", code)
	}
	if code := call(t, "POST", base+"/api/v1/cases", admin, map[string]any{"name": "x", "custodians": []string{dana}, "owner": counsel}, nil); code != 403 {
		t.Fatalf("admin opens a case: %d, want 403", code)
	}

	var c steward.Case
	if code := call(t, "POST", base+"/api/v1/cases", disc, map[string]any{"name": "Culvert bid protest",
		"custodians": []string{dana}, "owner": counsel}, &c); code != 201 || c.ID == "" || c.Version != 1 {
		t.Fatalf("open case: %d %+v", code, c)
	}
	if code := call(t, "POST", base+"/api/v1/cases/"+c.ID+"/search", admin, map[string]any{"query": "culvert"}, nil); code != 403 {
		t.Fatalf("admin searches a case: %d, want 403", code)
	}
	var eb httpapi.ErrorBody
	if code := call(t, "POST", base+"/api/v1/cases/"+c.ID+"/search", disc, map[string]any{"query": "culvert AND"}, &eb); code != 400 || eb.Error.Code != "invalid" {
		t.Fatalf("malformed query: %d %+v", code, eb)
	}

	// The index catches up in the background: poll until Dana's message
	// is found.
	var res discovery.SearchResult
	deadline := time.Now().Add(15 * time.Second)
	for {
		if code := call(t, "POST", base+"/api/v1/cases/"+c.ID+"/search", disc, map[string]any{"query": "culvert"}, &res); code != 200 {
			t.Fatalf("search: %d", code)
		}
		if len(res.Results) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(res.Results) != 1 || res.Results[0].Message.RecordID != forDana.RecordID {
		t.Fatalf("search found %+v, want Dana's %s only (Erin's is %s)", res.Results, forDana.RecordID, forErin.RecordID)
	}
	hit := res.Results[0]
	if hit.Message.Body != "the culvert bid is due Friday" || len(hit.Highlights) != 1 ||
		hit.Message.Body[hit.Highlights[0].Start:hit.Highlights[0].End] != "culvert" {
		t.Fatalf("hit %+v", hit)
	}

	// The read is in the audit trail, with the case as its purpose.
	var trail struct {
		Entries []httpapi.AuditEntry `json:"entries"`
	}
	if code := call(t, "GET", base+"/api/v1/audit?action=case.search&limit=1", auditor, nil, &trail); code != 200 ||
		len(trail.Entries) != 1 || trail.Entries[0].Subject != c.ID {
		t.Fatalf("audit trail: %d %+v", code, trail)
	}

	// Saved searches, then closing: a closed case refuses searches.
	var ss steward.SavedSearch
	if code := call(t, "POST", base+"/api/v1/cases/"+c.ID+"/searches", disc, map[string]any{"name": "culvert", "query": "culvert"}, &ss); code != 201 {
		t.Fatalf("save search: %d", code)
	}
	if code := call(t, "POST", base+"/api/v1/cases/"+c.ID+"/close", disc, nil, &c); code != 200 || c.ClosedAt == nil {
		t.Fatalf("close: %d %+v", code, c)
	}
	if code := call(t, "POST", base+"/api/v1/cases/"+c.ID+"/search", disc, map[string]any{"query": "culvert"}, &eb); code != 409 {
		t.Fatalf("search of a closed case: %d, want 409", code)
	}
}
