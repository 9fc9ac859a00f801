// Command hotelrates loads hotel rates from many vendors at once.
//
// Subcommands:
//
//	serve      run the rate service (default: embedded sandbox vendors, local archive)
//	search     run one search and print a table
//	vendorsim  run the vendor sandbox on its own
//	archive    list archived segments, or print the records of one search
//	loadtest   measure latency against the physical floor, with baselines
//	version    print the version
//
// Run `hotelrates COMMAND --help` for a command's flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "hotelrates:", err)
		}
		os.Exit(2)
	}
}

const usage = `usage: hotelrates COMMAND [flags]

commands:
  serve      run the rate service (default: embedded sandbox vendors, local archive)
  search     run one search and print a table
  vendorsim  run the vendor sandbox on its own
  archive    list archived segments, or print the records of one search
  loadtest   measure latency against the physical floor, with baselines; writes a report
  version    print the version

Run 'hotelrates COMMAND --help' for a command's flags.
`

// run is the whole program, testable: it returns when ctx ends or the
// subcommand is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	// HOTELRATES_LOG_LEVEL, when set, wins over the config's log_level.
	level := new(slog.LevelVar)
	env := getenv("HOTELRATES_LOG_LEVEL")
	if env != "" {
		l, err := logLevel(env)
		if err != nil {
			return err
		}
		level.Set(l)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if env != "" {
		level = nil
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return runServe(ctx, rest, getenv, log, level, stdout, stderr)
	case "search":
		return runSearch(ctx, rest, getenv, log, level, stdout, stderr)
	case "loadtest":
		return runLoadtest(ctx, rest, getenv, log, stdout, stderr)
	case "archive":
		return runArchive(ctx, rest, getenv, stdout, stderr)
	case "vendorsim":
		return runVendorsim(ctx, rest, log, stdout, stderr)
	case "version", "--version":
		return runVersion(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// logLevel parses HOTELRATES_LOG_LEVEL: debug, info, warn or error.
func logLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		if len(s) > 64 {
			s = s[:64] + "..."
		}
		return 0, fmt.Errorf("HOTELRATES_LOG_LEVEL %q: want debug, info, warn or error", s)
	}
	return l, nil
}
