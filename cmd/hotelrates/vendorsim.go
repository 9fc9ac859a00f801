package main

import (
	"context"
	"flag"
	"io"
	"log/slog"

	"hotelrates/sandbox"
	"hotelrates/vendorsim"
)

func runVendorsim(ctx context.Context, args []string, log *slog.Logger, stderr io.Writer) error {
	fs := flag.NewFlagSet("vendorsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9090", "listen address")
	cfgPath := fs.String("config", "", "sandbox YAML config (default: built-in defaults)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := sandbox.DefaultConfig()
	if *cfgPath != "" {
		var err error
		if cfg, err = sandbox.LoadConfig(*cfgPath); err != nil {
			return err
		}
	}
	sim, err := vendorsim.Start(cfg, *addr)
	if err != nil {
		return err
	}
	v := cfg.Vendors
	log.Info("vendor sandbox ready", "url", sim.URL(), "stats", sim.URL()+"/_sandbox/stats")
	log.Info("vendor", "name", sandbox.Solo, "url", sim.VendorURL(sandbox.Solo), "auth", "oauth2 client credentials",
		"client_id", v.Solo.Credentials.ClientID, "client_secret", v.Solo.Credentials.ClientSecret)
	log.Info("vendor", "name", sandbox.Bulk, "url", sim.VendorURL(sandbox.Bulk), "auth", "signed requests",
		"api_key", v.Bulk.Credentials.APIKey, "secret", v.Bulk.Credentials.Secret)
	log.Info("vendor", "name", sandbox.Session, "url", sim.VendorURL(sandbox.Session), "auth", "login sessions",
		"user", v.Session.Credentials.User, "password", v.Session.Credentials.Password)
	<-ctx.Done()
	log.Info("vendor sandbox stopping")
	return sim.Close()
}
