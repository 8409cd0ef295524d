package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigPrecedence checks flag > environment > config file > default.
func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "steward.json")
	if err := os.WriteFile(file, []byte(`{"addr":"127.0.0.1:1111","metrics-addr":"127.0.0.1:2222","data":"/from/file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STEWARD_METRICS_ADDR", "127.0.0.1:3333")
	t.Setenv("STEWARD_DATA", "/from/env")
	cfg, err := loadConfig("serve", []string{"--config", file, "--data", "/from/flag"}, serveSettings...)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"addr":         "127.0.0.1:1111", // file beats default
		"metrics-addr": "127.0.0.1:3333", // env beats file
		"data":         "/from/flag",     // flag beats env
		"log-level":    "info",           // default
	} {
		if got := cfg.String(name); got != want {
			t.Errorf("%s=%q, want %q", name, got, want)
		}
	}
	if err := os.WriteFile(file, []byte(`{"adr":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig("serve", []string{"--config", file}, serveSettings...); err == nil || !strings.Contains(err.Error(), `"adr"`) {
		t.Fatalf("unknown config key accepted: %v", err)
	}
}

// TestSecretsNotFlags: secrets are never accepted on the command line.
func TestSecretsNotFlags(t *testing.T) {
	if _, err := loadConfig("serve", []string{"--kek", "abc"}, serveSettings...); err == nil {
		t.Fatal("--kek accepted as a flag")
	}
	t.Setenv("STEWARD_KEK", "from-env")
	cfg, err := loadConfig("serve", nil, serveSettings...)
	if err != nil || secretSetting(cfg, "kek") != "from-env" {
		t.Fatalf("STEWARD_KEK not read: %v", err)
	}
}

// TestConfigurationDocumented: every setting and its environment variable
// appear in docs/configuration.md.
func TestConfigurationDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, s := range settings {
		if !strings.Contains(doc, "`"+s.name+"`") || !strings.Contains(doc, s.env()) {
			t.Errorf("docs/configuration.md does not document %s (%s)", s.name, s.env())
		}
	}
}
