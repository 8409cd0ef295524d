package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The end-to-end tests drive the real binary as separate processes over
// real HTTP, with real SQLite files and a real data directory.

var stewardBin string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "steward-e2e-bin-")
	if err != nil {
		panic(err)
	}
	stewardBin = filepath.Join(dir, "steward")
	out, err := exec.Command("go", "build", "-o", stewardBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build steward: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// steward runs the binary to completion and returns stdout, stderr and
// the exit code.
func runSteward(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(stewardBin, args...)
	cmd.Env = cleanEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run steward %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// cleanEnv drops STEWARD_* variables so a developer's environment cannot
// change what the tests see.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STEWARD_") {
			env = append(env, kv)
		}
	}
	return env
}

// mustToken creates an API token in data with the given scopes.
func mustToken(t *testing.T, data, name, scopes string) string {
	t.Helper()
	out, errs, code := runSteward(t, "token", "create", "--data", data, "--name", name, "--scope", scopes)
	if code != 0 {
		t.Fatalf("token create: exit %d: %s", code, errs)
	}
	return strings.TrimSpace(out)
}

// server is a running `steward serve` (or demo) process.
type server struct {
	cmd    *exec.Cmd
	base   string
	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan struct{}
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

// startServer starts `steward <mode> --data data` on a free port and waits
// until it answers /readyz.
func startServer(t *testing.T, mode, data string, extra ...string) *server {
	t.Helper()
	args := append([]string{mode, "--data", data, "--addr", "127.0.0.1:0", "--metrics-addr", "off"}, extra...)
	s := &server{cmd: exec.Command(stewardBin, args...), done: make(chan struct{})}
	s.cmd.Env = cleanEnv()
	pr, pw := io.Pipe()
	s.cmd.Stdout = pw
	s.cmd.Stderr = &lockedWriter{mu: &s.mu, w: &s.stderr}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.stdout.WriteString(line + "\n")
			s.mu.Unlock()
			if m := listenRE.FindStringSubmatch(line); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { s.cmd.Wait(); pw.Close(); close(s.done) }()
	t.Cleanup(func() { s.kill() })
	select {
	case s.base = <-urlc:
	case <-s.done:
		t.Fatalf("steward %s exited early:\n%s", mode, s.logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("steward %s did not start:\n%s", mode, s.logs())
	}
	for i := 0; ; i++ {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if i > 100 {
			t.Fatalf("server never became ready:\n%s", s.logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

func (s *server) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stdout.String() + s.stderr.String()
}

// kill sends SIGKILL: no shutdown path runs.
func (s *server) kill() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
	<-s.done
}

// stop sends SIGINT and waits for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not stop")
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("server exited %d:\n%s", code, s.logs())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// call makes an API request and decodes a JSON answer into out (if non-nil).
func call(t testing.TB, method, url, token string, body any, out any) int {
	t.Helper()
	code, err := tryCall(context.Background(), method, url, token, body, out)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return code
}

func tryCall(ctx context.Context, method, url, token string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %q: %w", b, err)
		}
	}
	return resp.StatusCode, nil
}

// msg is a minimal valid capture request.
func msg(id, body string) map[string]any {
	return map[string]any{
		"channel": "api", "channel_message_id": id, "direction": "inbound",
		"sender":     map[string]string{"address": "+15550001111", "name": "Outside Party"},
		"recipients": []map[string]string{{"address": "+12025550101"}},
		"body":       body,
	}
}
