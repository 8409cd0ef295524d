package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/steward-gov/steward/internal/pipeline"
	"github.com/steward-gov/steward/internal/steward"
)

const passwordUsage = `Usage:
  steward password set --employee USER [--data DIR] < password-file

password set gives an employee a local inbox password (argon2id), for
installations that run without an identity provider and start serve with
--local-login. The password is read from the first line of standard input,
never from a flag, and must be at least 12 characters. It is audited
(the password itself is not recorded).
`

// passwordCmd runs `steward password set`.
func passwordCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "set" {
		fmt.Fprint(stderr, passwordUsage)
		return fmt.Errorf("password: want the subcommand set")
	}
	fs, ptrs := newFlags("password set", tokenSettings...)
	employee := fs.String("employee", "", "user name or id of the employee")
	cfg, err := parseConfig(fs, ptrs, args[1:], tokenSettings...)
	if err != nil {
		return err
	}
	if *employee == "" {
		return fmt.Errorf("password set: --employee is required")
	}
	logger, err := newLogger(cfg)
	if err != nil {
		return err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("read the password from standard input: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	a, err := openApp(ctx, cfg, logger, false)
	if err != nil {
		return err
	}
	defer a.Close()
	e, err := a.db.EmployeeByUserName(ctx, *employee)
	if steward.Is(steward.NotFound, err) {
		e, err = a.db.EmployeeByID(ctx, *employee)
	}
	if err != nil {
		return fmt.Errorf("employee %q: %w", *employee, err)
	}
	if err := steward.SetLocalPassword(ctx, a.db, e.ID, pw, time.Now()); err != nil {
		return err
	}
	if _, err := a.pipeline.Audit(ctx, pipeline.AuditEntry{Actor: cliActor(), Action: "employee.password.set", Subject: e.ID}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "local password set for %s (%s)\n", e.UserName, e.ID)
	return nil
}

// stdinOf is the process's standard input; tests replace it.
var stdinOf io.Reader = os.Stdin
