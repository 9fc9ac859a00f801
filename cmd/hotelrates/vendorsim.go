package main

import (
	"context"
	"io"
	"log/slog"

	"hotelrates/sandbox"
	"hotelrates/vendorsim"
)

func runVendorsim(ctx context.Context, args []string, log *slog.Logger, stdout, stderr io.Writer) error {
	fs := newCommand("vendorsim", "vendorsim [flags]", "Run the three sandbox vendors (solo, bulk, session) on one listener until interrupted.")
	addr := fs.String("addr", "127.0.0.1:9090", "listen address")
	cfgPath := fs.String("config", "", "sandbox YAML config (default: built-in defaults)")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return helpOr(err)
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
		"client_id", v.Solo.Credentials.ClientID, "client_secret", demoOnly(v.Solo.Credentials.ClientSecret, sandbox.DemoSoloClientSecret))
	log.Info("vendor", "name", sandbox.Bulk, "url", sim.VendorURL(sandbox.Bulk), "auth", "signed requests",
		"api_key", v.Bulk.Credentials.APIKey, "secret", demoOnly(v.Bulk.Credentials.Secret, sandbox.DemoBulkSecret))
	log.Info("vendor", "name", sandbox.Session, "url", sim.VendorURL(sandbox.Session), "auth", "login sessions",
		"user", v.Session.Credentials.User, "password", demoOnly(v.Session.Credentials.Password, sandbox.DemoSessionPassword))
	log.Info("vendor", "name", sandbox.Amadeus, "url", sim.VendorURL(sandbox.Amadeus), "auth", "oauth2 client credentials (Amadeus Hotel Search v3)",
		"client_id", v.Amadeus.Credentials.ClientID, "client_secret", demoOnly(v.Amadeus.Credentials.ClientSecret, sandbox.DemoAmadeusClientSecret))
	log.Info("vendor", "name", sandbox.Rapid, "url", sim.VendorURL(sandbox.Rapid), "auth", "signed requests (Expedia Rapid)",
		"api_key", v.Rapid.Credentials.APIKey, "secret", demoOnly(v.Rapid.Credentials.Secret, sandbox.DemoRapidSecret))
	log.Info("vendor", "name", sandbox.Hotelbeds, "url", sim.VendorURL(sandbox.Hotelbeds), "auth", "signed requests (Hotelbeds APItude)",
		"api_key", v.Hotelbeds.Credentials.APIKey, "secret", demoOnly(v.Hotelbeds.Credentials.Secret, sandbox.DemoHotelbedsSecret))
	<-ctx.Done()
	log.Info("vendor sandbox stopping")
	return sim.Close()
}

// demoOnly returns a sandbox secret for the log only when it is the
// built-in demo value, which docs/sandbox.md publishes; a secret set in
// the sandbox's config file is never logged.
func demoOnly(secret, demo string) string {
	if secret == demo {
		return secret
	}
	return "(set in --config; not logged)"
}
