package config

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		env     map[string]string
		wantErr string
		check   func(Config) string
	}{
		{name: "empty file is the defaults without vendors", yaml: "", wantErr: "at least one vendor"},
		{name: "minimal sandbox", yaml: "sandbox: {enabled: true}\nvendors:\n  - protocol: solo\n", check: func(c Config) string {
			if c.Vendors[0].Name != "solo" || c.Search.MaxHotels != 5000 || c.Archive.URL != "file://./data/archive" {
				return "defaults not applied"
			}
			return ""
		}},
		{name: "env expansion", yaml: "vendors:\n  - name: s\n    protocol: solo\n    base_url: http://v.example/solo\n    client_secret: ${SOLO_SECRET}\n",
			env: map[string]string{"SOLO_SECRET": "s3cr3t: with colon"}, check: func(c Config) string {
				if c.Vendors[0].ClientSecret != "s3cr3t: with colon" {
					return "secret " + c.Vendors[0].ClientSecret
				}
				return ""
			}},
		{name: "unset env", yaml: "vendors:\n  - name: s\n    protocol: solo\n    base_url: http://x/solo\n    client_secret: ${NOPE}\n", wantErr: "line 5: environment variable NOPE is not set"},
		{name: "env in numbers, durations and booleans", yaml: "sandbox:\n  enabled: ${SB}\nsearch:\n  max_timeout: ${MAXT}\nvendors:\n  - protocol: bulk\n    concurrency: ${BULK_C}\n",
			env: map[string]string{"SB": "true", "MAXT": "12s", "BULK_C": "3"}, check: func(c Config) string {
				if !c.Sandbox.Enabled || c.Search.MaxTimeout != 12*time.Second || c.Vendors[0].Concurrency != 3 {
					return fmt.Sprintf("got %v %v %d", c.Sandbox.Enabled, c.Search.MaxTimeout, c.Vendors[0].Concurrency)
				}
				return ""
			}},
		{name: "env secret that looks like a number", yaml: "vendors:\n  - name: s\n    protocol: solo\n    base_url: http://v.example/solo\n    client_secret: ${SOLO_SECRET}\n",
			env: map[string]string{"SOLO_SECRET": "0012345"}, check: func(c Config) string {
				if c.Vendors[0].ClientSecret != "0012345" {
					return "secret " + c.Vendors[0].ClientSecret
				}
				return ""
			}},
		{name: "env that is not a number", yaml: "sandbox: {enabled: true}\nvendors:\n  - protocol: bulk\n    concurrency: ${BULK_C}\n", env: map[string]string{"BULK_C": "many"}, wantErr: "cannot unmarshal"},
		{name: "type error and unknown key", yaml: "search: {max_hotel: 3, max_timeout: x}\n", wantErr: "line 1: field max_hotel not found"},
		{name: "unknown key with line", yaml: "search:\n  max_hotel: 3\n", wantErr: "line 2: field max_hotel not found"},
		{name: "unknown vendor key", yaml: "vendors:\n  - name: s\n    protokol: solo\n", wantErr: "line 3: field protokol not found"},
		{name: "bad protocol", yaml: "sandbox: {enabled: true}\nvendors: [{name: a, protocol: soap}]\n", wantErr: "vendors[0].protocol"},
		{name: "no base url without sandbox", yaml: "vendors: [{name: a, protocol: bulk}]\n", wantErr: "vendors[0].base_url is required"},
		{name: "duplicate name", yaml: "sandbox: {enabled: true}\nvendors: [{protocol: bulk}, {protocol: bulk}]\n", wantErr: "used twice"},
		{name: "workers above concurrency", yaml: "sandbox: {enabled: true}\nvendors: [{protocol: bulk, concurrency: 2, max_workers: 3}]\n", wantErr: "max_workers 3 is above"},
		{name: "timeouts", yaml: "sandbox: {enabled: true}\nsearch: {default_timeout: 40s}\nvendors: [{protocol: bulk}]\n", wantErr: "above search.max_timeout"},
		{name: "durations", yaml: "sandbox: {enabled: true}\nsearch: {default_timeout: 2s, max_timeout: 9s}\nvendors: [{protocol: bulk}]\n", check: func(c Config) string {
			if c.Search.DefaultTimeout != 2*time.Second || c.Search.MaxTimeout != 9*time.Second {
				return "durations not read"
			}
			return ""
		}},
		{name: "cache defaults and off", yaml: "sandbox: {enabled: true}\nvendors: [{protocol: bulk}, {protocol: solo, cache_ttl: 0s}, {protocol: session, cache_ttl: 10s}]\n", check: func(c Config) string {
			if *c.Vendors[0].CacheTTL != 3*time.Minute || *c.Vendors[1].CacheTTL != 0 || *c.Vendors[2].CacheTTL != 10*time.Second || c.Vendors[0].CacheEmptyTTL != 30*time.Second {
				return fmt.Sprintf("cache ttls %v %v %v", *c.Vendors[0].CacheTTL, *c.Vendors[1].CacheTTL, *c.Vendors[2].CacheTTL)
			}
			return ""
		}},
		{name: "archive url", yaml: "sandbox: {enabled: true}\narchive: {url: 'ftp://x'}\nvendors: [{protocol: bulk}]\n", wantErr: "archive.url"},
		{name: "s3 without bucket", yaml: "sandbox: {enabled: true}\narchive: {url: 's3:///x'}\nvendors: [{protocol: bulk}]\n", wantErr: "names no bucket"},
		{name: "s3 archive", yaml: "sandbox: {enabled: true}\narchive: {url: 's3://bkt/raw/x', path_style: true, region: eu-west-1}\nvendors: [{protocol: bulk}]\n", check: func(c Config) string {
			if c.Archive.URL != "s3://bkt/raw/x" || !c.Archive.PathStyle || c.Archive.Region != "eu-west-1" {
				return "s3 settings not read"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml), env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg := tt.check(c); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.Vendors) != 3 || !c.Sandbox.Enabled || c.Archive.URL != "file://./data/archive" || c.Archive.SpoolDir != "./data/spool" {
		t.Errorf("default %+v", c)
	}
}
