package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"hotelrates"
	"hotelrates/config"
	"hotelrates/sandbox"
	"hotelrates/service"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, log *slog.Logger, level *slog.LevelVar, stdout, stderr io.Writer) error {
	fs := newCommand("serve", "serve [flags]", "Run the rate service until interrupted (SIGINT or SIGTERM), then shut down gracefully.")
	cfgPath := fs.String("config", "", "YAML config `FILE` (default: the embedded default: sandbox vendors in-process, archive under ./data)")
	addr := fs.String("addr", "", "listen address `HOST:PORT` (overrides the config's listen)")
	sandboxFile := fs.String("sandbox", "", "behaviour of the embedded sandbox: a sandbox YAML `FILE`, the one vendorsim --config takes")
	sandboxAddr := fs.String("sandbox-addr", "", "listen address `HOST:PORT` of the embedded sandbox, to read its /_sandbox/stats")
	archiveURL := fs.String("archive", "", "archive `URL`: s3://BUCKET/PREFIX or file:///DIR (overrides the config's archive.url)")
	adminAddr := fs.String("admin-addr", "", "admin listener `HOST:PORT`: net/http/pprof and /metrics, off by default (overrides the config's admin.listen; /metrics then leaves the API's listener)")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return helpOr(err)
	}
	cfg, err := loadConfig(*cfgPath, getenv)
	if err != nil {
		return err
	}
	if level != nil && cfg.LogLevel != "" {
		l, err := logLevel(cfg.LogLevel) // config.Validate has checked it
		if err != nil {
			return err
		}
		level.Set(l)
	}
	if *addr != "" {
		cfg.Listen = *addr
	}
	if *sandboxAddr != "" {
		cfg.Sandbox.Addr = *sandboxAddr
	}
	if *archiveURL != "" {
		cfg.Archive.URL = *archiveURL
	}
	if *adminAddr != "" {
		cfg.Admin.Listen = *adminAddr
	}
	opts := service.Options{Logger: log}
	if *sandboxFile != "" {
		sc, err := sandbox.LoadConfig(*sandboxFile)
		if err != nil {
			return err
		}
		opts.Sandbox = &sc
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	svc, err := service.New(cfg, opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		svc.Close(context.Background())
		return err
	}
	var admin net.Listener
	if cfg.Admin.Listen != "" {
		if admin, err = net.Listen("tcp", cfg.Admin.Listen); err != nil {
			ln.Close()
			svc.Close(context.Background())
			return err
		}
	}
	url := "http://" + ln.Addr().String()
	attrs := []any{"url", url, "archive", cfg.Archive.URL, "vendors", svc.Engine.VendorNames()}
	if svc.Sim != nil {
		attrs = append(attrs, "sandbox", svc.Sim.URL())
	}
	log.Info("hotelrates ready", attrs...)
	// The example's stay is a month ahead, like search's default
	// --check-in: the API refuses a check-in in the past.
	in := hotelrates.DateOf(time.Now().AddDate(0, 1, 0))
	fmt.Fprintf(stdout, `hotelrates is serving on %s. Try:

  curl -s %s/v1/search -H 'Content-Type: application/json' \
    -d '{"hotel_ids":["H00001","H00002","H00003"],"check_in":"%s","check_out":"%s","adults":2,"rooms":1,"currency":"USD"}'

`, url, url, in, in.AddDays(3))
	return svc.ServeAdmin(ctx, ln, admin)
}

func loadConfig(path string, getenv func(string) string) (config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path, getenv)
}
