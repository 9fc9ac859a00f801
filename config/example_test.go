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
	var protocols []string
	for _, v := range c.Vendors {
		protocols = append(protocols, v.Protocol)
	}
	if !reflect.DeepEqual(protocols, Protocols) {
		t.Fatalf("the example's vendors are %v, want one of each protocol %v", protocols, Protocols)
	}
	if c.Mapping != d.Mapping || c.Currency != d.Currency {
		t.Errorf("the example's mapping %q and currency %+v are not the defaults", c.Mapping, c.Currency)
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
