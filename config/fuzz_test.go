package config

import (
	"os"
	"testing"
)

// FuzzParse: no input makes Parse panic; what it accepts is valid.
func FuzzParse(f *testing.F) {
	example, _ := os.ReadFile("../config.example.yaml")
	for _, s := range []string{string(example), "", "vendors: [{protocol: solo}]", "search: {max_hotels: -1}", "a: [", "vendors:\n  - name: ${X}\n", "archive: {url: 's3://b/p'}",
		"vendors:\n  - &v {protocol: solo, concurrency: 2}\n  - <<: *v\n    name: s2\n  - *v\n", "search: {max_timeout: 5 seconds, <<: [*x]}", "listen: a\nlisten: b\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b, func(string) string { return "v" })
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("accepted an invalid config: %v", verr)
			}
		}
	})
}
