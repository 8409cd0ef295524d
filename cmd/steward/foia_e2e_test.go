package main

import (
	"testing"

	"github.com/steward-gov/steward/internal/foiasvc"
	"github.com/steward-gov/steward/internal/httpapi"
)

// TestFOIARequest works a FOIA request end to end over HTTP against the
// real binary: intake, acknowledgment, a toll for information and the
// answer, a ten-day extension, and the final response, with the clock
// read back after each step across Thanksgiving, Christmas, New Year's Day
// and Martin Luther King Jr. Day; the due report lists the request until
// it is answered; every event is in the audit trail; an admin reaches
// none of it and cannot issue a foia token.
func TestFOIARequest(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	admin := mustToken(t, data, "foia-admin", "admin")
	officer := mustToken(t, data, "foia-officer", "foia")
	auditor := mustToken(t, data, "foia-auditor", "audit")
	s := startServer(t, "serve", data, "--default-policies", "false", "--search-index", "false")
	base := s.base + "/api/v1/foia"

	if code := call(t, "POST", s.base+"/api/v1/tokens", admin, map[string]any{"name": "sneaky", "scopes": []string{"foia"}}, nil); code != 403 {
		t.Fatalf("admin issues a foia token: %d, want 403", code)
	}
	intake := map[string]any{"id": "2026-FOIA-0412", "description": "Emails about the culvert contract",
		"requester":   map[string]string{"name": "Pat Reporter", "email": "pat@news.example.com"},
		"received_at": "2026-11-20T10:00:00-05:00"}
	if code := call(t, "POST", base+"/requests", admin, intake, nil); code != 403 {
		t.Fatalf("admin takes in a request: %d, want 403", code)
	}
	var req foiasvc.Request
	if code := call(t, "POST", base+"/requests", officer, intake, &req); code != 201 || req.Request.Status != "received" {
		t.Fatalf("intake: %d %+v", code, req.Request)
	}
	if got := req.Clock.Due.Format("2006-01-02"); got != "2026-12-21" {
		t.Fatalf("due %s, want 2026-12-21: twenty working days after 20 November, Thanksgiving skipped", got)
	}
	if code := call(t, "GET", base+"/requests/2026-FOIA-0412", admin, nil, nil); code != 403 {
		t.Fatalf("admin reads a request: %d, want 403", code)
	}

	event := func(body map[string]any, want int) foiasvc.Request {
		t.Helper()
		var out foiasvc.Request
		if code := call(t, "POST", base+"/requests/2026-FOIA-0412/events", officer, body, &out); code != want {
			t.Fatalf("%v: %d, want %d", body, code, want)
		}
		return out
	}
	event(map[string]any{"kind": "acknowledged", "at": "2026-11-23T09:00:00-05:00"}, 201)
	event(map[string]any{"kind": "acknowledged", "at": "2026-11-23T10:00:00-05:00"}, 409)
	req = event(map[string]any{"kind": "tolled", "toll": "information", "at": "2026-11-24T15:00:00-05:00"}, 201)
	if req.Request.Status != "tolled" || !req.Clock.Tolled || req.Clock.WorkingDaysUsed != 2 {
		t.Fatalf("tolled: %s %+v", req.Request.Status, req.Clock)
	}
	req = event(map[string]any{"kind": "toll_ended", "at": "2026-12-07T09:00:00-05:00"}, 201)
	if req.Request.Status != "acknowledged" || req.Clock.TolledDays != 8 || req.Clock.Due.Format("2006-01-02") != "2027-01-04" {
		t.Fatalf("resumed: %s, %d tolled, due %s", req.Request.Status, req.Clock.TolledDays, req.Clock.Due.Format("2006-01-02"))
	}
	req = event(map[string]any{"kind": "extended", "days": 10, "circumstance": "voluminous", "at": "2026-12-08T10:00:00-05:00", "version": 3}, 201)
	if !req.Clock.Extended || req.Clock.Due.Format("2006-01-02") != "2027-01-19" {
		t.Fatalf("extended: %+v", req.Clock)
	}

	var due httpapi.FOIADueBody
	if code := call(t, "GET", base+"/reports/due?within=10000", officer, nil, &due); code != 200 || len(due.Rows) != 1 ||
		due.Rows[0].RequestID != "2026-FOIA-0412" || due.Rows[0].Due.Format("2006-01-02") != "2027-01-19" {
		t.Fatalf("due report: %d %+v", code, due)
	}
	if code := call(t, "GET", base+"/reports/due?within=soon", officer, nil, nil); code != 400 {
		t.Fatalf("within=soon: %d, want 400", code)
	}
	if code := call(t, "GET", base+"/reports/due", admin, nil, nil); code != 403 {
		t.Fatalf("admin reads the due report: %d, want 403", code)
	}

	req = event(map[string]any{"kind": "final_response", "disposition": "partial_grant", "at": "2027-01-15T16:00:00-05:00"}, 201)
	if req.Request.Status != "final_response" || req.Clock.Late || req.Request.Version != 5 {
		t.Fatalf("final response: %+v %+v", req.Request, req.Clock)
	}
	if code := call(t, "GET", base+"/requests/2026-FOIA-0412", officer, nil, &req); code != 200 || len(req.Events) != 5 {
		t.Fatalf("read back: %d, %d events", code, len(req.Events))
	}
	if code := call(t, "GET", base+"/reports/due?within=10000", officer, nil, &due); code != 200 || len(due.Rows) != 0 {
		t.Fatalf("due report after the response: %d %+v", code, due)
	}
	var list struct {
		Requests []map[string]any `json:"requests"`
	}
	if code := call(t, "GET", base+"/requests?status=final_response", officer, nil, &list); code != 200 || len(list.Requests) != 1 {
		t.Fatalf("list: %d %+v", code, list)
	}

	var trail struct {
		Entries []httpapi.AuditEntry `json:"entries"`
	}
	if code := call(t, "GET", s.base+"/api/v1/audit?action=foia.request.event&limit=20", auditor, nil, &trail); code != 200 || len(trail.Entries) != 5 {
		t.Fatalf("audit trail: %d, %d entries, want 5", code, len(trail.Entries))
	}
}
