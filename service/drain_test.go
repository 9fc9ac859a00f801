package service

import (
	"testing"
	"time"
)

func TestDrainMargin(t *testing.T) {
	tests := []struct {
		grace, want time.Duration
	}{
		{grace: 500 * time.Millisecond, want: 250 * time.Millisecond},
		{grace: 2 * time.Second, want: time.Second},
		{grace: 5 * time.Second, want: time.Second},
		{grace: 8 * time.Second, want: 1600 * time.Millisecond},
		{grace: 30 * time.Second, want: 2 * time.Second},
	}
	for _, tt := range tests {
		if got := drainMargin(tt.grace); got != tt.want {
			t.Errorf("drainMargin(%v) = %v, want %v", tt.grace, got, tt.want)
		}
	}
}
