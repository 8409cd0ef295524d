package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-gov/steward/internal/archive"
	"github.com/steward-gov/steward/internal/fra"
	"github.com/steward-gov/steward/internal/keys"
	"github.com/steward-gov/steward/internal/localfs"
	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/sqlite"
	"github.com/steward-gov/steward/internal/steward"
)

// exportsServer is a Server over real parts (SQLite, sealed blobs, the
// log, the pipeline) with its Exports, and two captured messages: one
// captured at once, one 25 days after it was sent.
func exportsServer(t *testing.T) (*Server, *Exports, string, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(filepath.Join(dir, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := localfs.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	var k [32]byte
	rand.Read(k[:])
	kr, err := keys.ParseKeyring(base64.StdEncoding.EncodeToString(k[:]))
	if err != nil {
		t.Fatal(err)
	}
	env := &keys.Envelope{KEK: kr}
	skey, vkey, err := archive.GenerateKey("steward/exports-test")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := archive.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	lg, err := archive.Open(ctx, db, signer, archive.Options{Origin: signer.Name(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close(context.Background()); db.Close() })
	p := &pipeline.Pipeline{Log: lg, Sealer: env, Blobs: blobs, Conversations: db, Index: db,
		Identity: &pipeline.DirectoryResolver{Identities: db, Contacts: db}, Logger: logger}
	s := &Server{Store: db, Log: lg, Pipeline: p, Opener: env, Blobs: blobs, Logger: logger}
	x := &Exports{Signer: signer, PublicKey: vkey, Dir: filepath.Join(dir, "transfers")}
	var ids []string
	for i, sent := range []time.Time{time.Now().Add(-time.Minute), time.Now().Add(-25 * 24 * time.Hour)} {
		c, err := p.Capture(ctx, &steward.Item{Type: steward.EventMessage, Channel: "signal",
			ChannelMessageID: "steward:" + string(rune('a'+i)), Direction: steward.DirOutbound,
			Sender: steward.Party{Address: "+12025550140"}, Recipients: []steward.Party{{Address: "+14155550140"}},
			Body: "hello", SentAt: sent})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.Ref.ID)
	}
	return s, x, ids[0], ids[1]
}

func serve(t *testing.T, s *Server, h func(*Server, http.ResponseWriter, *http.Request), method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	rec := httptest.NewRecorder()
	mux := http.NewServeMux()
	pattern := method + " " + strings.SplitN(target, "?", 2)[0]
	if strings.HasPrefix(target, "/api/v1/transfers/") {
		pattern = method + " /api/v1/transfers/{id}"
	}
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { h(s, w, r) })
	mux.ServeHTTP(rec, req)
	return rec
}

func TestGetFRAReport(t *testing.T) {
	s, x, _, late := exportsServer(t)
	rec := serve(t, s, x.GetFRAReport, "GET", "/api/v1/reports/fra", "")
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var rep struct {
		Messages      int    `json:"messages"`
		OverThreshold int    `json:"over_threshold"`
		SignedSummary string `json:"signed_summary"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Messages != 2 || rep.OverThreshold != 1 || !strings.Contains(rep.SignedSummary, late) {
		t.Errorf("report: %s", rec.Body)
	}
	v, _ := archive.NewVerifier(x.PublicKey)
	if _, err := fra.Open([]byte(rep.SignedSummary), v); err != nil {
		t.Errorf("signed summary: %v", err)
	}
	if rec := serve(t, s, x.GetFRAReport, "GET", "/api/v1/reports/fra?threshold=30d", ""); rec.Code != 200 ||
		!strings.Contains(rec.Body.String(), `"over_threshold":0`) {
		t.Errorf("30d: %d %s", rec.Code, rec.Body)
	}
	if rec := serve(t, s, x.GetFRAReport, "GET", "/api/v1/reports/fra?threshold=soon", ""); rec.Code != 400 {
		t.Errorf("bad threshold: %d %s", rec.Code, rec.Body)
	}
}

func TestPostAndGetTransfer(t *testing.T) {
	s, x, a, b := exportsServer(t)
	rec := serve(t, s, x.PostTransfer, "POST", "/api/v1/transfers", `{"records":["`+a+`","`+b+`"]}`)
	if rec.Code != 201 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var resp struct {
		Package struct {
			PackageID string `json:"package_id"`
			Records   int    `json:"records"`
		} `json:"package"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.Package.Records != 2 {
		t.Fatalf("response %s: %v", rec.Body, err)
	}
	id := resp.Package.PackageID
	if fi, err := os.Stat(filepath.Join(x.Dir, id, "manifest.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("package on disk: %v, %v", fi, err)
	}
	rec = serve(t, s, x.GetTransfer, "GET", "/api/v1/transfers/"+id, "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"ok":true`) {
		t.Fatalf("get: %d %s", rec.Code, rec.Body)
	}
	// Tampering shows.
	os.WriteFile(filepath.Join(x.Dir, id, "README.txt"), []byte("changed"), 0o600)
	rec = serve(t, s, x.GetTransfer, "GET", "/api/v1/transfers/"+id, "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"ok":false`) || !strings.Contains(rec.Body.String(), `"file":"README.txt"`) {
		t.Errorf("tampered: %d %s", rec.Code, rec.Body)
	}
	for _, c := range []struct {
		h      func(*Server, http.ResponseWriter, *http.Request)
		method string
		target string
		body   string
		code   int
	}{
		{x.PostTransfer, "POST", "/api/v1/transfers", `{}`, 400},
		{x.PostTransfer, "POST", "/api/v1/transfers", `{"due":true,"records":["` + a + `"]}`, 400},
		{x.PostTransfer, "POST", "/api/v1/transfers", `{"due":true,"through":"2999-01-01"}`, 400},
		{x.PostTransfer, "POST", "/api/v1/transfers", `{"records":["nope"]}`, 404},
		{x.PostTransfer, "POST", "/api/v1/transfers", `{"due":true}`, 200}, // nothing is on a permanent item
		{x.GetTransfer, "GET", "/api/v1/transfers/.hidden", "", 404},
		{x.GetTransfer, "GET", "/api/v1/transfers/" + steward.NewID(), "", 404},
	} {
		if rec := serve(t, s, c.h, c.method, c.target, c.body); rec.Code != c.code {
			t.Errorf("%s %s %s: %d %s, want %d", c.method, c.target, c.body, rec.Code, rec.Body, c.code)
		}
	}
}
