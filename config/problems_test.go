package config

import (
	"errors"
	"strings"
	"testing"
)

// A file that leaves out sandbox: (or enabled:) gets the documented
// default, enabled: true; only enabled: false turns it off.
func TestSandboxEnabledByDefault(t *testing.T) {
	const vendors = "vendors: [{protocol: solo}]\n"
	tests := []struct {
		name    string
		yaml    string
		enabled bool
		addr    string
	}{
		{"no sandbox key", vendors, true, "127.0.0.1:0"},
		{"sandbox without enabled", "sandbox: {addr: 127.0.0.1:9999}\n" + vendors, true, "127.0.0.1:9999"},
		{"sandbox null", "sandbox:\n" + vendors, true, "127.0.0.1:0"},
		{"enabled true", "sandbox: {enabled: true}\n" + vendors, true, "127.0.0.1:0"},
		{"enabled false", "sandbox: {enabled: false}\nvendors: [{protocol: solo, base_url: 'http://x', client_id: a, client_secret: b}]\n", false, "127.0.0.1:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml), env(nil))
			if err != nil {
				t.Fatal(err)
			}
			if c.Sandbox.Enabled != tt.enabled || c.Sandbox.Addr != tt.addr {
				t.Errorf("sandbox %+v, want enabled %v addr %s", c.Sandbox, tt.enabled, tt.addr)
			}
		})
	}
}

// An external vendor (one with a base_url) needs its own credentials: it
// is refused at start, naming each missing key, rather than starting and
// failing every call with 401. A sandbox vendor has the demo ones.
func TestExternalVendorNeedsCredentials(t *testing.T) {
	tests := []struct {
		name    string
		vendor  string
		env     map[string]string
		wantErr []string // every one in the error; none: valid
	}{
		{name: "solo without credentials", vendor: "protocol: solo, base_url: 'http://v/solo'",
			wantErr: []string{"line 3: vendors[0].client_id is required", "line 3: vendors[0].client_secret is required: a solo vendor with a base_url needs its own client_id and client_secret"}},
		{name: "solo without secret", vendor: "protocol: solo, base_url: 'http://v/solo', client_id: me",
			wantErr: []string{"vendors[0].client_secret is required"}},
		{name: "bulk without secret", vendor: "protocol: bulk, base_url: 'http://v/bulk', api_key: k",
			wantErr: []string{"vendors[0].secret is required: a bulk vendor with a base_url needs its own api_key and secret"}},
		{name: "session without user", vendor: "protocol: session, base_url: 'http://v/session', password: p",
			wantErr: []string{"vendors[0].user is required: a session vendor with a base_url needs its own user and password"}},
		{name: "solo with credentials", vendor: "protocol: solo, base_url: 'http://v/solo', client_id: me, client_secret: s"},
		{name: "bulk with credentials from env", vendor: "protocol: bulk, base_url: 'http://v/bulk', api_key: k, secret: \"${S}\"", env: map[string]string{"S": "x"}},
		{name: "session with credentials", vendor: "protocol: session, base_url: 'http://v/session', user: u, password: p"},
		{name: "sandbox vendor without credentials", vendor: "protocol: session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte("sandbox: {enabled: true}\nvendors:\n  - {"+tt.vendor+"}\n"), env(tt.env))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

// A bad config's error lists every problem at once, each with its line,
// the key and the form expected, in the file's terms: no YAML tags or Go
// type names.
func TestProblemsNameKeyLineAndForm(t *testing.T) {
	const vendors = "vendors: [{protocol: solo}]\n"
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want []string // in this order
		n    int      // problems
	}{
		{name: "duration in words", yaml: "search:\n  default_timeout: 5 seconds\n" + vendors, n: 1,
			want: []string{`line 2: search.default_timeout must be a duration such as 5s, 250ms or 1m30s, not "5 seconds"`}},
		{name: "duration as a number", yaml: "archive:\n  segment_age: 60\n" + vendors, n: 1,
			want: []string{`line 2: archive.segment_age must be a duration such as 5s`}},
		{name: "boolean", yaml: "sandbox:\n  enabled: yes please\n" + vendors, n: 1,
			want: []string{`line 2: sandbox.enabled must be true or false, not "yes please"`}},
		{name: "number", yaml: "search: {max_hotels: many}\n" + vendors, n: 1,
			want: []string{`line 1: search.max_hotels must be a whole number, not "many"`}},
		{name: "section not a mapping", yaml: "search: 5\n" + vendors, n: 1,
			want: []string{`line 1: search must be a mapping of keys, not "5"`}},
		{name: "vendors not a list", yaml: "vendors: {protocol: solo}\n", n: 1,
			want: []string{`line 1: vendors must be a list, not a mapping`}},
		{name: "string given a list", yaml: "listen: [a, b]\n" + vendors, n: 1,
			want: []string{`line 1: listen must be a string, not a list`}},
		{name: "key given twice", yaml: "listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n" + vendors, n: 1,
			want: []string{`line 2: listen is given twice (also on line 1)`}},
		{name: "unknown vendor key", yaml: "vendors:\n  - protocol: solo\n    concurency: 3\n", n: 1,
			want: []string{`line 3: field concurency not found in vendors[0]; did you mean concurrency?`}},
		{name: "structure and settings together", n: 4,
			yaml: "search:\n  default_timeout: 5 seconds\n  max_hotels: -1\nvendors:\n  - protocol: solo\n    base_url: http://x\n    client_id: ${ID}\n",
			want: []string{
				"4 problems:",
				`line 2: search.default_timeout must be a duration such as 5s, 250ms or 1m30s, not "5 seconds"`,
				"line 3: search.max_hotels must not be negative, not -1",
				"line 5: vendors[0].client_secret is required",
				"line 7: environment variable ID is not set (vendors[0].client_id)",
			}},
		{name: "every problem at once, in the file's order", n: 5, env: map[string]string{"C": "hunter2-secret"},
			yaml: "log_levle: debug\nsearch:\n  max_timeout: 30 seconds\nvendors:\n  - protocol: bulk\n    concurrency: ${C}\n    password: ${PW}\n    hedge: maybe\n",
			want: []string{
				"5 problems:",
				"line 1: field log_levle not found at the top level; did you mean log_level?",
				`line 3: search.max_timeout must be a duration such as 5s, 250ms or 1m30s, not "30 seconds"`,
				"line 6: vendors[0].concurrency must be a whole number, not the value of ${C}",
				"line 7: environment variable PW is not set (vendors[0].password)",
				`line 8: vendors[0].hedge must be true or false, not "maybe"`,
			}},
		{name: "invalid settings with their lines", n: 6,
			yaml: "sandbox: {enabled: false}\nlog_level: loud\nvendors:\n  - protocol: bulk\n    retry_budget: 1.5\n    burst: -1\n  - {protocol: soap}\n",
			want: []string{
				"6 problems:",
				`line 2: log_level must be debug, info, warn or error, not "loud"`,
				"line 4: vendors[0].base_url is required when the sandbox is not enabled",
				"line 5: vendors[0].retry_budget must be between 0 and 1, not 1.5",
				"line 6: vendors[0].burst must not be negative, not -1",
				`line 7: vendors[1].protocol must be one of [solo bulk session amadeus rapid hotelbeds], not "soap"`,
			}},
		{name: "archive settings each named", n: 3,
			yaml: "archive:\n  segment_bytes: 10\n  queue: -1\n  upload_timeout: 1ms\nvendors: [{protocol: solo}]\n",
			want: []string{"line 2: archive.segment_bytes must be at least 1024", "line 3: archive.queue must be at least 1", "line 4: archive.upload_timeout must be at least 1s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), env(tt.env))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			at := 0
			for _, w := range tt.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("error lacks %q (in order) in:\n%s", w, msg)
				}
				at += i + len(w)
			}
			for _, bad := range []string{"!!", "config.", "time.Duration", "unmarshal", "hunter2"} {
				if strings.Contains(msg, bad) {
					t.Errorf("error has %q:\n%s", bad, msg)
				}
			}
			var ps Problems
			if !errors.As(err, &ps) || len(ps) != tt.n {
				t.Errorf("%d problems, want %d:\n%s", len(ps), tt.n, msg)
			}
			for _, p := range ps {
				if p.Line == 0 || p.Key == "" {
					t.Errorf("problem without line or key: %+v", p)
				}
			}
		})
	}
}
