package compliance_test

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/steward-gov/steward/internal/compliance"
	"github.com/steward-gov/steward/internal/dlp"
	"github.com/steward-gov/steward/internal/policy"
	"github.com/steward-gov/steward/internal/steward"
)

// TestSavePolicy: policies are checked, versioned and audited, and each
// change is in force for the next message.
func TestSavePolicy(t *testing.T) {
	e := newEnv(t)
	tender := func() steward.PolicyAction {
		return e.sealed(e.capture(send(danaAddr, rileyAddr, "About the tender"))).Action
	}

	_, err := e.svc.SavePolicy(e.ctx, "admin", &steward.Policy{Name: "typo", Kind: steward.PolicyMessage,
		Condition: `sender.departmnet == "x"`, Action: steward.ActionFlag, Enabled: true})
	wantKind(t, "a condition that does not type-check", err, steward.Invalid, "departmnet")
	_, err = e.svc.SavePolicy(e.ctx, "admin", &steward.Policy{Name: "Bad Name", Kind: steward.PolicyMessage,
		Condition: `true`, Action: steward.ActionFlag})
	wantKind(t, "a malformed name", err, steward.Invalid)
	_, err = e.svc.SavePolicy(e.ctx, "admin", &steward.Policy{Name: "new", Kind: steward.PolicyMessage,
		Condition: `true`, Action: steward.ActionFlag, Version: 3})
	wantKind(t, "a new policy with a version", err, steward.Invalid)
	_, err = e.svc.SavePolicy(e.ctx, "admin", &steward.Policy{ID: "no-such-policy", Name: "ghost", Kind: steward.PolicyMessage,
		Condition: `true`, Action: steward.ActionFlag, Version: 1})
	wantKind(t, "an update of an unknown policy", err, steward.NotFound)
	if n := e.audits("policy.create") + e.audits("policy.update"); n != 0 {
		t.Errorf("%d audits of refused saves", n)
	}
	if ps, _, _ := e.db.Policies(e.ctx); len(ps) != 0 {
		t.Fatalf("refused policies were stored: %+v", ps)
	}

	p := e.savePolicy(&steward.Policy{Name: "no-tenders", Kind: steward.PolicyMessage,
		Condition: `message.length > 0 && direction == "outbound"`, Action: steward.ActionBlock,
		Reason: "Tenders are closed.", Enabled: true})
	if p.Version != 1 || p.UpdatedBy != "admin" || e.audits("policy.create") != 1 {
		t.Fatalf("created %+v, %d audits", p, e.audits("policy.create"))
	}
	if a := tender(); a != steward.ActionBlock {
		t.Fatalf("the new policy is not in force: %s", a)
	}

	stale := *p
	p.Enabled = false
	if p = e.savePolicy(p); p.Version != 2 || e.audits("policy.update") != 1 {
		t.Fatalf("updated %+v", p)
	}
	if a := tender(); a != steward.ActionAllow {
		t.Fatalf("the disabled policy still applies: %s", a)
	}

	stale.Reason = "Overwritten."
	_, err = e.svc.SavePolicy(e.ctx, "admin", &stale)
	wantKind(t, "a stale update", err, steward.Conflict, "version 2")
	if n := e.audits("policy.update"); n != 1 {
		t.Errorf("%d policy.update audits after a stale update, want 1", n)
	}
	if cur, _ := e.db.PolicyByID(e.ctx, p.ID); cur.Version != 2 || cur.Reason != "Tenders are closed." {
		t.Errorf("a stale update changed the policy: %+v", cur)
	}

	wantKind(t, "a stale delete", e.svc.DeletePolicy(e.ctx, "admin", p.ID, 1), steward.Conflict)
	p.Enabled = true
	p = e.savePolicy(p)
	if err := e.svc.DeletePolicy(e.ctx, "admin", p.ID, p.Version); err != nil {
		t.Fatal(err)
	}
	if e.audits("policy.delete") != 1 {
		t.Error("the delete was not audited")
	}
	if a := tender(); a != steward.ActionAllow {
		t.Errorf("a deleted policy still applies: %s", a)
	}
	if h, err := e.db.PolicyHistory(e.ctx, p.ID); err != nil || len(h) != 4 || !h[3].Deleted {
		t.Errorf("history: %+v, %v", h, err)
	}
}

// TestReloadKeepsSetInForce: a stored policy that no longer compiles fails
// the reload, naming it, and the previous set stays in force.
func TestReloadKeepsSetInForce(t *testing.T) {
	e := newEnv(t)
	e.policy("ssn-block", `finding("us_ssn") > 0`, steward.ActionBlock)
	_, version, _ := e.db.Policies(e.ctx)
	// As if saved by an older version with other variables.
	broken := &steward.Policy{Name: "legacy", Kind: steward.PolicyMessage, Condition: `sender.clearance == "TS"`,
		Action: steward.ActionFlag, Enabled: true}
	if _, err := e.db.SavePolicy(e.ctx, broken); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "Reload", e.svc.Reload(e.ctx), steward.Invalid, "legacy")
	if o := e.sealed(e.capture(send(danaAddr, rileyAddr, ssnBody))); o.Action != steward.ActionBlock || o.SetVersion != version {
		t.Errorf("after a failed reload: %+v, want the set of version %d", o, version)
	}
}

func TestSaveDetector(t *testing.T) {
	e := newEnv(t)
	e.policy("project-names", `finding("project_names") > 0`, steward.ActionBlock)
	body := "Any news on operation bluefin?"
	if o := e.sealed(e.capture(send(danaAddr, rileyAddr, body))); o.Action != steward.ActionAllow {
		t.Fatalf("before the detector exists: %+v", o)
	}

	for _, d := range []*steward.CustomDetector{
		{Name: "broken", Kind: steward.DetectorRegex, Pattern: `(`, Confidence: 0.9, Enabled: true},
		{Name: "us_ssn", Kind: steward.DetectorRegex, Pattern: `x+`, Confidence: 0.9, Enabled: true},
		{Name: "anything", Kind: steward.DetectorRegex, Pattern: `a*`, Confidence: 0.9, Enabled: true},
		{Name: "versioned", Kind: steward.DetectorKeywords, Keywords: []string{"x"}, Confidence: 0.9, Version: 2},
	} {
		_, err := e.svc.SaveDetector(e.ctx, "admin", d)
		wantKind(t, "detector "+d.Name, err, steward.Invalid)
	}
	if n := e.audits("detector.save"); n != 0 {
		t.Errorf("%d audits of refused detectors", n)
	}

	d, err := e.svc.SaveDetector(e.ctx, "admin", &steward.CustomDetector{Name: "project_names", Kind: steward.DetectorKeywords,
		Keywords: []string{"Operation Bluefin"}, Confidence: 0.9, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != 1 || e.audits("detector.save") != 1 {
		t.Errorf("saved %+v, %d audits", d, e.audits("detector.save"))
	}
	if o := e.sealed(e.capture(send(danaAddr, rileyAddr, body))); o.Action != steward.ActionBlock {
		t.Errorf("the new detector is not in force: %+v", o)
	}
}

func TestSetEDMHashes(t *testing.T) {
	e := newEnv(t)
	regex, err := e.svc.SaveDetector(e.ctx, "admin", &steward.CustomDetector{Name: "tickets", Kind: steward.DetectorRegex,
		Pattern: `\bTKT-\d{4}\b`, Confidence: 0.9, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	edm, err := e.svc.SaveDetector(e.ctx, "admin", &steward.CustomDetector{Name: "case_numbers", Kind: steward.DetectorEDM,
		Pattern: `\bCASE-\d{6}\b`, Confidence: 0.9, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	listed, other := dlp.ClientHash("CASE-204511"), dlp.ClientHash("CASE-300001")
	good := hex.EncodeToString(listed[:])

	_, err = e.svc.SetEDMHashes(e.ctx, "admin", regex.ID, []string{good})
	wantKind(t, "hashes for a regex detector", err, steward.Invalid)
	_, err = e.svc.SetEDMHashes(e.ctx, "admin", "no-such-detector", []string{good})
	wantKind(t, "hashes for an unknown detector", err, steward.NotFound)
	for _, bad := range [][]string{{"CASE-204511"}, {good, good[:62]}, {good + "00"}, {strings.Repeat("zz", 32)}} {
		_, err = e.svc.SetEDMHashes(e.ctx, "admin", edm.ID, bad)
		wantKind(t, "malformed hashes", err, steward.Invalid, "not a hex SHA-256")
	}
	if n := e.audits("detector.edm"); n != 0 {
		t.Errorf("%d audits of refused uploads", n)
	}

	// Case and white space do not make a value twice.
	n, err := e.svc.SetEDMHashes(e.ctx, "admin", edm.ID, []string{good, " " + strings.ToUpper(good) + "\n",
		hex.EncodeToString(other[:])})
	if err != nil || n != 2 || e.audits("detector.edm") != 1 {
		t.Fatalf("upload: %d, %v", n, err)
	}
	stored, err := e.db.EDMDigests(e.ctx, edm.ID)
	if err != nil || len(stored) != 2 {
		t.Fatalf("stored digests: %d, %v", len(stored), err)
	}
	for _, d := range stored {
		if bytes.Equal(d, listed[:]) || bytes.Equal(d, other[:]) {
			t.Error("Steward stored a client hash, not its keyed digest")
		}
	}

	e.policy("cases-outside", `outside && finding("case_numbers") > 0`, steward.ActionBlock)
	if o := e.sealed(e.capture(send(danaAddr, rileyAddr, "Status of CASE-204511?"))); o.Action != steward.ActionBlock {
		t.Errorf("a listed value passed: %+v", o)
	}
	if o := e.sealed(e.capture(send(danaAddr, rileyAddr, "Status of CASE-999999?"))); o.Action != steward.ActionAllow {
		t.Errorf("an unlisted value was blocked: %+v", o)
	}
}

func TestInstallDefaults(t *testing.T) {
	e := newEnv(t)
	n, err := e.svc.InstallDefaults(e.ctx, "system")
	if err != nil || n != len(policy.Defaults()) {
		t.Fatalf("InstallDefaults: %d, %v; want %d", n, err, len(policy.Defaults()))
	}
	if n, err := e.svc.InstallDefaults(e.ctx, "system"); err != nil || n != 0 {
		t.Errorf("again: %d, %v", n, err)
	}
	// With the lexicons the default policies name.
	ds, err := e.db.Detectors(e.ctx)
	if err != nil || len(ds) != len(compliance.DefaultLexicons()) {
		t.Fatalf("detectors after InstallDefaults: %d, %v", len(ds), err)
	}
	// The defaults are in force: a credential never leaves, a threat is
	// flagged.
	key := "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq3\n-----END RSA PRIVATE KEY-----"
	if o := e.sealed(e.capture(send(danaAddr, rileyAddr, key))); o.Action != steward.ActionBlock {
		t.Errorf("a credential under the default set: %+v", o)
	}
	if o := e.sealed(e.capture(send(danaAddr, rileyAddr, "If the bid fails I will hurt you."))); !o.Flag {
		t.Errorf("a threat under the default set: %+v", o)
	}
}
