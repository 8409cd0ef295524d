package main

import (
	"context"
	"fmt"
	"io"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/steward-gov/steward/internal/steward"
)

const tokenUsage = `Usage:
  steward token create --name NAME --scope capture,read,admin,inbox,scim,audit,compliance,records,discovery,foia [--employee USER] [--ttl 720h] [--data DIR]
  steward token list [--data DIR]
  steward token revoke --id ID [--data DIR]

create prints the secret once on stdout; only its hash is stored. An inbox
token acts for one employee (--employee, by user name or id) in the web inbox
and the conversation API.
`

var tokenSettings = []string{"data", "kek-file", "kek", "log-key-file", "log-key", "log-origin",
	"checkpoint-every", "checkpoint-interval", "log-level", "log-format"}

// tokenCmd administers API tokens directly in the data directory. It works
// whether or not a server is running; each change is audited in the log.
func tokenCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return fmt.Errorf("token: missing subcommand")
	}
	sub, args := args[0], args[1:]
	fs, ptrs := newFlags("token "+sub, tokenSettings...)
	name := fs.String("name", "", "token name (create)")
	scope := fs.String("scope", "", "comma-separated scopes: capture, read, admin, inbox, scim, audit, compliance, records, discovery, foia (create)")
	ttl := fs.Duration("ttl", 0, "lifetime, e.g. 720h; 0 means no expiry (create)")
	employee := fs.String("employee", "", "user name or id of the employee an inbox token acts for (create)")
	id := fs.String("id", "", "token id (revoke)")
	cfg, err := parseConfig(fs, ptrs, args, tokenSettings...)
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, logger, sub == "create")
	if err != nil {
		return err
	}
	defer a.Close()
	now := time.Now()
	switch sub {
	case "create":
		scopes, err := steward.ParseScopes(*scope)
		if err != nil {
			return err
		}
		spec := steward.TokenSpec{Name: *name, Scopes: scopes, TTL: *ttl}
		if *employee != "" {
			e, err := a.db.EmployeeByUserName(ctx, *employee)
			if steward.Is(steward.NotFound, err) {
				e, err = a.db.EmployeeByID(ctx, *employee)
			}
			if err != nil {
				return fmt.Errorf("employee %q: %w", *employee, err)
			}
			spec.EmployeeID = e.ID
		}
		secret, t, err := a.pipeline.IssueToken(ctx, a.db, cliActor(), spec, now)
		if err != nil {
			return err
		}
		exp := "never"
		if t.ExpiresAt != nil {
			exp = t.ExpiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(stderr, "created token %s (%s), scopes %s, expires %s; the secret below is shown only once:\n",
			t.ID, t.Name, joinScopes(t.Scopes), exp)
		fmt.Fprintln(stdout, secret)
	case "list":
		ts, err := a.db.Tokens(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED\tEXPIRES\tSTATE")
		for _, t := range ts {
			exp, state := "never", "active"
			if t.ExpiresAt != nil {
				exp = t.ExpiresAt.Format(time.RFC3339)
			}
			if !t.Usable(now) {
				state = "expired"
			}
			if t.RevokedAt != nil {
				state = "revoked"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, joinScopes(t.Scopes), t.CreatedAt.Format(time.RFC3339), exp, state)
		}
		return tw.Flush()
	case "revoke":
		if *id == "" {
			return fmt.Errorf("token revoke: --id is required")
		}
		if err := a.pipeline.RevokeToken(ctx, a.db, cliActor(), *id, now); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "revoked token %s\n", *id)
	default:
		fmt.Fprint(stderr, tokenUsage)
		return fmt.Errorf("token: unknown subcommand %q", sub)
	}
	return nil
}

// cliActor names the operator in audit records: the OS user running the
// command line, since the CLI has no token of its own.
func cliActor() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return "cli:" + name
}

func joinScopes(ss []steward.Scope) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return strings.Join(out, ",")
}
