package config

import (
	"reflect"
	"testing"
)

// The documented example must parse and say what the defaults are.
func TestExampleFileIsValid(t *testing.T) {
	c, err := Load("../config.example.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	d := Default()
	if !reflect.DeepEqual(c.Search, d.Search) || c.Archive != d.Archive || c.Sandbox != d.Sandbox || c.Listen != d.Listen || c.ShutdownGrace != d.ShutdownGrace {
		t.Errorf("example differs from the defaults:\n%+v\n%+v", c, d)
	}
	if len(c.Vendors) != 3 || !reflect.DeepEqual([]string{c.Vendors[0].Protocol, c.Vendors[1].Protocol, c.Vendors[2].Protocol}, Protocols) {
		t.Fatalf("vendors %+v", c.Vendors)
	}
	// The first vendor documents every key: it pins none the engine
	// defaults (concurrency is the sandbox vendor's capacity), and its
	// cache_ttl is the config's default.
	solo := vendorEngineDefaulted(c.Vendors[0])
	solo.Concurrency = 0
	if solo != (Vendor{}) || *c.Vendors[0].CacheTTL != *d.Vendors[0].CacheTTL {
		t.Errorf("the example's solo vendor pins engine defaults: %+v", solo)
	}
}
