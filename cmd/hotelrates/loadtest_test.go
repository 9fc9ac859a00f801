package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestLoadtestFlags(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"stray argument", []string{"now"}, "takes no arguments"},
		{"sandbox file without server", []string{"--sandbox", "x.yaml"}, "needs --server"},
		{"direct with server", []string{"--direct", "--server", "http://127.0.0.1:1", "--sandbox-url", "http://127.0.0.1:2"}, "--direct"},
		{"server without sandbox", []string{"--server", "http://127.0.0.1:1"}, "sandbox URL"},
		{"unknown scenario", []string{"--scenarios", "stampede"}, "unknown scenario"},
		{"unknown strategy", []string{"--strategies", "threads"}, "unknown strategy"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := runLoadtest(context.Background(), tt.args, noenv, log, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want one containing %q", err, tt.want)
			}
		})
	}
}
