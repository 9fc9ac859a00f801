package httpapi

import "testing"

func TestWantsNDJSON(t *testing.T) {
	tests := []struct {
		accept string
		want   bool
	}{
		{"", false},
		{"application/json", false},
		{"application/x-ndjson", true},
		{"application/ndjson", true},
		{"application/json, application/x-ndjson;q=0.5", true},
		{"application/x-ndjson;q=0", false},
		{"application/x-ndjson;q=0.0, application/json", false},
		{"application/x-ndjson;q=nonsense", false},
		{"text/html;;;, application/x-ndjson", true},
	}
	for _, tt := range tests {
		if got := wantsNDJSON(tt.accept); got != tt.want {
			t.Errorf("wantsNDJSON(%q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}
