package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A setting is one configuration knob. Its value comes from, in order of
// precedence: the command-line flag, the STEWARD_* environment variable,
// the config file (JSON, keys are the flag names), then the default.
type setting struct {
	name string // flag name and config-file key
	def  string
	help string
	// secret settings are never accepted as flags, because flags show up
	// in process listings; only the environment or the config file.
	secret bool
}

func (s setting) env() string {
	return "STEWARD_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
}

// settings is the whole configuration surface; docs/configuration.md
// mirrors it and a test checks that it does.
var settings = []setting{
	{name: "config", help: "path of a JSON config file whose keys are these flag names"},
	{name: "data", def: "./steward-data", help: "data directory: database, sealed blobs, keys"},
	{name: "addr", def: "127.0.0.1:8080", help: "API listen address (serve, demo)"},
	{name: "metrics-addr", def: "127.0.0.1:9090", help: "Prometheus /metrics listen address, loopback by default; \"off\" disables"},
	{name: "kek-file", help: "key-encryption key file (default DATA/keys/kek, created on first start)"},
	{name: "kek", secret: true, help: "key-encryption keyring text (one base64 key or id:base64 per line; last is current); overrides kek-file"},
	{name: "log-key-file", help: "checkpoint signing key file, a note signer key (default DATA/keys/log.key, created on first start)"},
	{name: "log-key", secret: true, help: "checkpoint signing key text; overrides log-key-file"},
	{name: "log-origin", help: "origin line of checkpoints, used only when the signing key is first created (default steward/archive/<random>)"},
	{name: "checkpoint-every", def: "1000", help: "issue a signed checkpoint after this many new records"},
	{name: "checkpoint-interval", def: "10s", help: "issue a signed checkpoint at least this often while records arrive"},
	{name: "max-body", def: "67108864", help: "largest capture request in bytes, attachments included"},
	{name: "log-level", def: "info", help: "debug, info, warn or error"},
	{name: "log-format", def: "text", help: "text or json (written to stderr)"},
	{name: "signal-cli-url", help: "base URL of a signal-cli daemon (multi-account, --http) to capture from, e.g. http://127.0.0.1:8081; demo starts a simulator when unset"},
	{name: "demo-interval", def: "2s", help: "demo: time between simulated messages"},
	{name: "consent-text", def: defaultConsentText, help: "the recording notice sent to a new outside contact; a changed text becomes a new version"},
	{name: "consent-version", help: "name of the consent text's version (default sha256-<first 12 hex digits of the text>)"},
	{name: "consent-expiry", def: "168h", help: "how long a consent request waits for a reply before the contact expires"},
	{name: "consent-reconsent", def: "true", help: "ask active contacts again, on their next message, when the consent text changed"},
	{name: "consent-keywords", help: "JSON object of reply keywords per language, e.g. {\"en\":{\"accept\":[\"YES\"],\"decline\":[\"NO\"],\"stop\":[\"STOP\"]}}; default English, Spanish and French"},
	{name: "oidc-issuer", help: "OpenID Connect issuer URL of the identity provider (Entra ID, Okta, …); setting it turns on OIDC sign-in to the inbox and turns local sign-in off"},
	{name: "oidc-client-id", help: "OIDC client id registered for Steward"},
	{name: "oidc-client-secret", secret: true, help: "OIDC client secret"},
	{name: "oidc-redirect-url", help: "OIDC redirect URL registered at the provider: https://HOST/inbox/auth/callback"},
	{name: "oidc-claim", def: "email", help: "ID-token claim matched to an employee's user name or email (use preferred_username or upn for Entra ID)"},
	{name: "oidc-scopes", def: "email profile", help: "OIDC scopes requested besides openid, space-separated"},
	{name: "oidc-cookie-key", secret: true, help: "32-byte key, base64, sealing the short-lived sign-in flow cookie; default random per process (sign-ins in progress then fail across restarts and between instances)"},
	{name: "local-login", def: "false", help: "allow user name and password sign-in to the inbox (argon2id; for demos and small installations without an identity provider); ignored when oidc-issuer is set"},
	{name: "session-idle-timeout", def: "30m", help: "inbox sessions end after this long without a request"},
	{name: "session-lifetime", def: "12h", help: "inbox sessions end this long after sign-in, whatever the activity"},
	{name: "public-url", help: "the URL users and identity providers reach Steward at, e.g. https://steward.example.org (behind a TLS proxy); used for SCIM resource locations. Default: taken from each request"},
	{name: "secure-cookies", def: "false", help: "mark the inbox sign-in cookie Secure; set true whenever users reach Steward over HTTPS"},
	{name: "default-policies", def: "true", help: "install the default policy set (docs/policy.md) on first start, when no policy has ever been saved"},
	{name: "default-schedules", def: "true", help: "install the built-in retention schedules and default assignment rules (docs/records.md) on first start, when none was ever saved"},
	{name: "search-index", def: "true", help: "keep the blind search index DATA/index.db current in the background, off the capture path (docs/search.md)"},
	{name: "foia-time-zone", def: "America/New_York", help: "IANA time zone of the FOIA office, in which FOIA days begin and end (docs/foia.md)"},
	{name: "foia-closures", help: "extra days the agency is closed, beyond federal holidays, for the FOIA clock: comma-separated YYYY-MM-DD=name, e.g. 2024-12-24=Executive Order 14137"},
	{name: "foia-cutoff", def: "17:00", help: "time of day (HH:MM) from which a FOIA request or answer counts as received on the next working day; off turns the rule off"},
	{name: "disposition-approvals", def: "2", help: "distinct approvers a disposition batch needs; at 2 or more the requester cannot approve their own (the two-person rule)"},
	{name: "public-key", help: "verify: the checkpoint verifier key (vkey text or a file holding it); default DATA/keys/log.pub"},
	{name: "checkpoint", help: "verify: a signed checkpoint saved earlier that the archive must still be consistent with"},
}

// defaultConsentText is the recording notice used until an administrator
// sets the organization's own.
const defaultConsentText = "This number belongs to a government employee. To meet federal records law, " +
	"this conversation will be recorded and kept by the agency, and may be released under FOIA. " +
	"Reply ACCEPT to continue or DECLINE to opt out. You can reply STOP at any time."

// Config is the resolved configuration of one command.
type Config struct {
	values map[string]string
	fs     *flag.FlagSet
}

func settingByName(name string) setting {
	for _, s := range settings {
		if s.name == name {
			return s
		}
	}
	panic("unknown setting " + name)
}

// newFlags registers the named settings on a new flag set.
func newFlags(cmd string, names ...string) (*flag.FlagSet, map[string]*string) {
	fs := flag.NewFlagSet("steward "+cmd, flag.ContinueOnError)
	ptrs := map[string]*string{}
	for _, n := range append([]string{"config"}, names...) {
		s := settingByName(n)
		if s.secret {
			continue
		}
		help := s.help + " (env " + s.env() + ")"
		ptrs[n] = fs.String(n, s.def, help)
	}
	return fs, ptrs
}

// loadConfig parses args and resolves every named setting by precedence.
func loadConfig(cmd string, args []string, names ...string) (*Config, error) {
	fs, ptrs := newFlags(cmd, names...)
	return parseConfig(fs, ptrs, args, names...)
}

// parseConfig is loadConfig for a flag set to which the command has added
// flags of its own.
func parseConfig(fs *flag.FlagSet, ptrs map[string]*string, args []string, names ...string) (*Config, error) {
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })

	cfgPath := os.Getenv("STEWARD_CONFIG")
	if explicit["config"] {
		cfgPath = *ptrs["config"]
	}
	file := map[string]any{}
	if cfgPath != "" {
		b, err := os.ReadFile(cfgPath)
		if err != nil {
			return nil, fmt.Errorf("config file: %w", err)
		}
		if err := json.Unmarshal(b, &file); err != nil {
			return nil, fmt.Errorf("config file %s: not a JSON object: %w", cfgPath, err)
		}
		for k := range file {
			if !known(k) {
				return nil, fmt.Errorf("config file %s: unknown key %q", cfgPath, k)
			}
			if settingByName(k).secret {
				if fi, err := os.Stat(cfgPath); err == nil && fi.Mode().Perm()&0o077 != 0 {
					return nil, fmt.Errorf("config file %s holds the secret %q but is readable by others (mode %v); chmod 600 it",
						cfgPath, k, fi.Mode().Perm())
				}
			}
		}
	}
	c := &Config{values: map[string]string{}, fs: fs}
	for _, n := range append([]string{"config"}, names...) {
		s := settingByName(n)
		v := s.def
		if fv, ok := file[n]; ok {
			v = fileValue(fv)
		}
		if ev, ok := os.LookupEnv(s.env()); ok {
			v = ev
		}
		if p, ok := ptrs[n]; ok && explicit[n] {
			v = *p
		}
		c.values[n] = v
	}
	return c, nil
}

// fileValue turns a config-file value into the setting's text: strings as
// they are, numbers and booleans printed, objects and lists as JSON (for
// structured settings such as consent-keywords).
func fileValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64, bool:
		return fmt.Sprint(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func known(k string) bool {
	for _, s := range settings {
		if s.name == k {
			return true
		}
	}
	return false
}

func (c *Config) String(name string) string { return c.values[name] }

func (c *Config) Int(name string) (int64, error) {
	v, err := strconv.ParseInt(c.values[name], 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%s: %q is not a non-negative whole number", name, c.values[name])
	}
	return v, nil
}

func (c *Config) Duration(name string) (time.Duration, error) {
	v, err := time.ParseDuration(c.values[name])
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive duration such as 10s", name, c.values[name])
	}
	return v, nil
}

// Args returns the positional arguments left after the flags.
func (c *Config) Args() []string { return c.fs.Args() }

// settingNames lists every setting, sorted, for documentation checks.
func settingNames() []string {
	var out []string
	for _, s := range settings {
		out = append(out, s.name)
	}
	sort.Strings(out)
	return out
}
