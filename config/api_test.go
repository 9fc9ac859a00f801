package config

import (
	"reflect"
	"strings"
	"testing"
)

// api_keys come from the environment and are checked without their
// values ever being repeated; listen_max_conns has a default and a floor.
func TestAPIKeysAndMaxConns(t *testing.T) {
	const base = "sandbox: {enabled: true}\nvendors: [{protocol: bulk}]\n"
	const key = "k-0123456789abcdef-secret"
	tests := []struct {
		name      string
		yaml      string
		env       map[string]string
		wantErr   string
		wantKeys  []string
		wantConns int
	}{
		{name: "defaults: open, capped", yaml: base, wantConns: DefaultListenMaxConns},
		{name: "keys from env", yaml: base + "api_keys:\n  - ${API_KEY}\n  - ${API_KEY_OLD}\nlisten_max_conns: 64\n",
			env: map[string]string{"API_KEY": key, "API_KEY_OLD": key + "-old"}, wantKeys: []string{key, key + "-old"}, wantConns: 64},
		{name: "unset env", yaml: base + "api_keys:\n  - ${API_KEY}\n", wantErr: "line 4: environment variable API_KEY is not set"},
		{name: "short key", yaml: base + "api_keys:\n  - ${API_KEY}\n", env: map[string]string{"API_KEY": "short-key"}, wantErr: "api_keys[0] must be at least 16 bytes"},
		{name: "key with a space", yaml: base + "api_keys:\n  - ok-0123456789abcdef\n  - ${API_KEY}\n", env: map[string]string{"API_KEY": "bad key 0123456789abcdef"}, wantErr: "api_keys[1] must be printable ASCII"},
		{name: "negative conns", yaml: base + "listen_max_conns: -1\n", wantErr: "listen_max_conns must be at least 1"},
		{name: "misspelt key", yaml: base + "api_key: [x]\n", wantErr: "field api_key not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml), env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				for _, v := range tt.env {
					if strings.Contains(err.Error(), v) {
						t.Errorf("error %q repeats a key", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.APIKeys, tt.wantKeys) || c.ListenMaxConns != tt.wantConns {
				t.Errorf("keys %q conns %d, want %q %d", c.APIKeys, c.ListenMaxConns, tt.wantKeys, tt.wantConns)
			}
		})
	}
	if d := Default(); len(d.APIKeys) != 0 || d.ListenMaxConns != DefaultListenMaxConns {
		t.Errorf("embedded default: keys %d, conns %d", len(d.APIKeys), d.ListenMaxConns)
	}
}
