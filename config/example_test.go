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
	if *c.Search.ShareCalls != *d.Search.ShareCalls || c.Search.MaxHotels != d.Search.MaxHotels || c.Search.DefaultTimeout != d.Search.DefaultTimeout || c.Archive != d.Archive || c.Sandbox != d.Sandbox || c.Listen != d.Listen || c.ShutdownGrace != d.ShutdownGrace {
		t.Errorf("example differs from the defaults:\n%+v\n%+v", c, d)
	}
	if len(c.Vendors) != 3 || !reflect.DeepEqual([]string{c.Vendors[0].Protocol, c.Vendors[1].Protocol, c.Vendors[2].Protocol}, Protocols) {
		t.Errorf("vendors %+v", c.Vendors)
	}
}
