package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"hotelrates/loadtest"
	"hotelrates/sandbox"
)

// runLoadtest runs the load-test scenarios and writes results.json,
// report.md and the plots into --out.
func runLoadtest(ctx context.Context, args []string, getenv func(string) string, log *slog.Logger, stdout, stderr io.Writer) error {
	fs := newCommand("loadtest", "loadtest [flags]", "Measure latency against the physical floor, with baselines; write results.json, report.md and plots.")
	quick := fs.Bool("quick", false, "quick variants: all scenarios in under two minutes on two cores")
	out := fs.String("out", "loadtest-out", "directory for results.json, report.md and the plots")
	scenarios := fs.String("scenarios", "", "comma-separated scenarios (default all: "+strings.Join(loadtest.ScenarioNames, ",")+")")
	strategies := fs.String("strategies", "", "comma-separated strategies (default all: "+strings.Join(loadtest.Strategies, ",")+")")
	vendors := fs.String("vendors", "", "comma-separated sandbox vendors: each scenario searches only those of its vendors (default: each scenario's own)")
	server := fs.String("server", "", "a running hotelrates server's URL (default: start the service and sandbox in-process)")
	sandboxURL := fs.String("sandbox-url", "", "with --server: the running sandbox's URL (its /_sandbox/stats, and the baselines' vendors)")
	sandboxFile := fs.String("sandbox", "", "with --server: the running sandbox's YAML config (credentials and the floor's inputs; default the defaults)")
	direct := fs.Bool("direct", false, "embedded only: call the engine in-process instead of through the HTTP API")
	cost := fs.Bool("cost", false, "instead of the scenarios: the per-call cost side by side, a hand-written client against hotelrates serve on one standalone vendorsim (writes cost.md and cost.json)")
	costCalls := fs.Int("cost-calls", 0, "with --cost: one-hotel calls each client makes (default 8000)")
	costProfile := fs.String("cost-profile", "", "with --cost: write a CPU profile of hotelrates serve during its calls to this file (go tool pprof FILE)")
	costRounds := fs.Int("cost-rounds", 0, "with --cost: rounds of both clients' calls, alternating; the ratios are the rounds' medians (default 3)")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return helpOr(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("loadtest takes no arguments, got %q", fs.Args())
	}
	if *cost {
		return runCost(ctx, *out, loadtest.CostOptions{Calls: *costCalls, Rounds: *costRounds, ProfilePath: *costProfile}, stdout)
	}
	if *costCalls != 0 || *costProfile != "" || *costRounds != 0 {
		return fmt.Errorf("--cost-calls, --cost-rounds and --cost-profile go with --cost")
	}
	opts := loadtest.Options{Quick: *quick, ServerURL: *server, SandboxURL: *sandboxURL, Direct: *direct, Logger: log}
	if *scenarios != "" {
		opts.Only = strings.Split(*scenarios, ",")
	}
	if *strategies != "" {
		opts.Strategies = strings.Split(*strategies, ",")
	}
	if *vendors != "" {
		opts.Vendors = strings.Split(*vendors, ",")
	}
	if *sandboxFile != "" {
		if *server == "" {
			return fmt.Errorf("--sandbox describes a running sandbox: it needs --server and --sandbox-url")
		}
		sc, err := sandbox.LoadConfig(*sandboxFile)
		if err != nil {
			return err
		}
		opts.SandboxConfig = &sc
	}
	if *direct && *server != "" {
		return fmt.Errorf("--direct needs the embedded service, not --server")
	}
	rep, err := loadtest.Run(ctx, opts)
	if rep != nil && len(rep.Results) > 0 {
		if werr := loadtest.WriteFiles(*out, rep); werr != nil && err == nil {
			err = werr
		}
		printSummary(stdout, rep)
		fmt.Fprintf(stdout, "\nwrote %s/results.json and %s/report.md (wall time %s)\n", *out, *out, rep.Wall.Round(100*time.Millisecond))
	}
	return err
}

func printSummary(w io.Writer, rep *loadtest.Report) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "SCENARIO\tSTRATEGY\tHOTELS\tLOAD\tSEARCHES\tP50 MS\tP99 MS\tFLOOR MS\tERRORS\tSHED\tVENDOR 429\tPEAK GOROUTINES\t")
	for _, r := range rep.Results {
		load := "-"
		switch {
		case r.Users > 0:
			load = fmt.Sprintf("%d users", r.Users)
		case r.OfferedRPS > 0:
			load = fmt.Sprintf("%.0f/s", r.OfferedRPS)
		}
		var n429 int64
		for _, v := range r.Vendor429 {
			n429 += v
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%.1f\t%.1f\t%.1f\t%d\t%d\t%d\t%d\t\n",
			r.Scenario, r.Strategy, r.Hotels, load, r.Searches, r.P50MS, r.P99MS, r.FloorMS, r.Errors, r.Shed, n429, r.PeakGoroutines)
	}
	tw.Flush()
}

// runCost runs loadtest.Cost and writes its table to stdout and to
// out/cost.md, its figures to out/cost.json.
func runCost(ctx context.Context, out string, opts loadtest.CostOptions, stdout io.Writer) error {
	res, err := loadtest.Cost(ctx, opts)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var md bytes.Buffer
	loadtest.WriteCost(&md, res)
	js, _ := json.MarshalIndent(res, "", "  ")
	if err := errors.Join(os.WriteFile(filepath.Join(out, "cost.md"), md.Bytes(), 0o644), os.WriteFile(filepath.Join(out, "cost.json"), append(js, '\n'), 0o644)); err != nil {
		return err
	}
	_, err = stdout.Write(md.Bytes())
	return err
}
