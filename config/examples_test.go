package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSupplierExamplesAreValid: each supplier's example (examples/NAME.yaml)
// parses, points its vendor of that protocol at a real host and takes its
// credentials from the environment.
func TestSupplierExamplesAreValid(t *testing.T) {
	files, err := filepath.Glob("examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var vars []string
			c, err := Load(f, func(k string) string { vars = append(vars, k); return "from-env-" + strings.ToLower(k) })
			if err != nil {
				t.Fatal(err)
			}
			protocol := strings.TrimSuffix(filepath.Base(f), ".yaml")
			found := false
			for _, v := range c.Vendors {
				if v.Protocol != protocol {
					continue
				}
				found = true
				if !strings.HasPrefix(v.BaseURL, "https://") {
					t.Errorf("%s: base_url %q is not a real host", v.Name, v.BaseURL)
				}
				for _, cred := range v.credentials() {
					if !strings.HasPrefix(cred.value, "from-env-") {
						t.Errorf("%s: %s is not taken from the environment", v.Name, cred.key)
					}
				}
			}
			if !found {
				t.Errorf("no vendor with protocol %s", protocol)
			}
			if c.Sandbox.Enabled {
				t.Error("a real supplier's example should not run the sandbox")
			}
			if len(vars) == 0 {
				t.Error("no ${ENV} credentials")
			}
		})
	}
}
