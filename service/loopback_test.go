package service

import (
	"net"
	"testing"
)

// The service warns about an open API on any but a loopback listener.
func TestLoopback(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, true},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, true},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, false},
		{&net.TCPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 8080}, false},
		{&net.TCPAddr{Port: 8080}, false}, // ":8080", every interface
	}
	for _, tt := range tests {
		if got := loopback(tt.addr); got != tt.want {
			t.Errorf("loopback(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}
