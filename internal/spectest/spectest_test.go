package spectest

import (
	"net/http"
	"testing"
)

func TestLoadPublishedSpecs(t *testing.T) {
	tests := []struct {
		file, base, method, path, query string
	}{
		{"amadeus/HotelSearch_v3_swagger_specification.json", "/v3", http.MethodGet, "/v3/shopping/hotel-offers", "hotelIds=MCLONGHM&adults=1"},
		{"rapid/specs.yaml", "/v3", http.MethodGet, "/v3/properties/availability", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c := Load(t, tt.file)
			if c.Base() != tt.base {
				t.Fatalf("base %q, want %q", c.Base(), tt.base)
			}
			if _, err := c.input(tt.method, tt.path, tt.query, http.Header{}, nil); err != nil {
				t.Fatalf("route %s %s not found: %v", tt.method, tt.path, err)
			}
			if err := c.Request(tt.method, "/v3/no/such/path", "", http.Header{}, nil); err == nil {
				t.Fatal("a path the spec does not have was accepted")
			}
		})
	}
}
