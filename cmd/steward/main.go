// Command steward is Steward's single binary: the archive server, the
// demo, the offline verifier, token administration and benchmarks.
//
// This is the only package that builds concrete types (the SQLite store,
// the filesystem blob store, the key-encryption keyring, the archive log)
// and wires them together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Steward: governed, archived messaging for the public sector.

Usage: steward <command> [flags]

Commands:
  serve     run the archive server (API, capture pipeline, checkpoints)
  demo      run the server with seed data and live simulated traffic
  verify    check the archive offline: every leaf, every checkpoint
  transfer  build or verify a package of permanent records for NARA
  report    reports: fra (the 44 U.S.C. 2911 capture-lag evidence, signed)
  token     create, list or revoke API tokens
  password  set an employee's local inbox password (for --local-login)
  dlp       scan a text for sensitive data with the built-in detectors
  bench     measure capture and verify throughput
  sim       run a simulator of an outside service (signal: a fake signal-cli daemon)
  version   print the version

Run "steward <command> -h" for the flags of a command.
Every flag can also be set as STEWARD_<NAME> or in a JSON config file (--config).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serveCmd(ctx, args[1:], stdout, false)
	case "demo":
		err = serveCmd(ctx, args[1:], stdout, true)
	case "verify":
		var ok bool
		ok, err = verifyCmd(ctx, args[1:], stdout, stderr)
		if err == nil && !ok {
			return 1
		}
	case "transfer":
		err = transferCmd(ctx, args[1:], stdout, stderr)
	case "report":
		err = reportCmd(ctx, args[1:], stdout, stderr)
	case "token":
		err = tokenCmd(ctx, args[1:], stdout, stderr)
	case "password":
		err = passwordCmd(ctx, args[1:], stdinOf, stdout, stderr)
	case "dlp":
		err = dlpCmd(ctx, args[1:], stdinOf, stdout, stderr)
	case "bench":
		err = benchCmd(ctx, args[1:], stdout, stderr)
	case "sim":
		err = simCmd(ctx, args[1:], stdout, stderr)
	case "version":
		// Like every command, version accepts the common settings, so a
		// wrapper can pass --data to all of them alike.
		if _, err = loadConfig("version", args[1:], "data"); err == nil {
			fmt.Fprintln(stdout, "steward", version)
		}
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "steward: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "steward:", err)
		return 1
	}
	return 0
}
