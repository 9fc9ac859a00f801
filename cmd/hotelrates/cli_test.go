package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"hotelrates/httpapi"
	"hotelrates/internal/offertest"
	"hotelrates/internal/testlog"
)

// --help (or -h) prints the command's help to stdout and succeeds; each
// subcommand's help lists its own flags only, written as --name ARG.
func TestHelp(t *testing.T) {
	tests := []struct {
		args    []string
		want    []string
		notWant []string
	}{
		{[]string{"--help"}, []string{"usage: hotelrates COMMAND", "Run 'hotelrates COMMAND --help'", "version"}, nil},
		{[]string{"help"}, []string{"usage: hotelrates COMMAND"}, nil},
		{[]string{"serve", "--help"}, []string{"usage: hotelrates serve", "--sandbox FILE\n", "the one vendorsim --config takes", "--config FILE", "--addr HOST:PORT", "--archive URL"},
			[]string{"-sandbox vendorsim", "--hotels", "--search-id"}},
		{[]string{"serve", "-h"}, []string{"usage: hotelrates serve"}, nil},
		{[]string{"search", "--help"}, []string{"usage: hotelrates search", "--hotels", "--check-in", "--nights", "(default 2)"}, []string{"--sandbox", "--search-id"}},
		{[]string{"vendorsim", "--help"}, []string{"usage: hotelrates vendorsim", "--addr", "(default 127.0.0.1:9090)"}, []string{"--hotels"}},
		{[]string{"loadtest", "--help"}, []string{"usage: hotelrates loadtest", "--quick", "--out"}, []string{"--hotels"}},
		{[]string{"archive", "--help"}, []string{"usage: hotelrates archive list|show", "archive list --help"}, nil},
		{[]string{"archive", "list", "--help"}, []string{"usage: hotelrates archive list", "--archive URL", "--spool DIR", "--vendor", "--date"}, []string{"search-id"}},
		{[]string{"archive", "show", "--help"}, []string{"usage: hotelrates archive show --search-id ID", "--search-id"}, nil},
		{[]string{"version", "--help"}, []string{"usage: hotelrates version"}, nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errs bytes.Buffer
			if err := run(context.Background(), tt.args, noenv, &out, &errs); err != nil {
				t.Fatalf("err %v, want nil (exit 0); stderr:\n%s", err, errs.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("help lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out.String(), w) {
					t.Errorf("help has %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// A command line not understood prints the usage to stderr and fails
// (exit 2) without a second message.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string // on stderr
	}{
		{nil, "usage: hotelrates COMMAND"},
		{[]string{"serve", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"archive"}, "usage: hotelrates archive"},
		{[]string{"archive", "list", "--search-id", "x"}, "flag provided but not defined: -search-id"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errs bytes.Buffer
			err := run(context.Background(), tt.args, noenv, &out, &errs)
			if !errors.Is(err, errUsage) || !strings.Contains(errs.String(), tt.want) {
				t.Errorf("err %v, stderr %q; want errUsage and %q", err, errs.String(), tt.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"version"}, noenv, &out, &errs); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.HasPrefix(s, "hotelrates ") || !strings.Contains(s, runtime.Version()) {
		t.Errorf("version %q", s)
	}
}

// archive list and show fail (exit status not 0) with a message when there
// is nothing to read: a missing directory, a search with no records. A
// missing directory is not created.
func TestArchiveNothingToRead(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"list a missing directory", []string{"archive", "list", "--archive", "file://" + missing, "--spool", "-"}, "directory " + missing + " does not exist"},
		{"show from a missing directory", []string{"archive", "show", "--search-id", "s1", "--archive", "file://" + missing, "--spool", "-"}, "does not exist"},
		{"list a missing spool", []string{"archive", "list", "--archive", "file://" + empty, "--spool", missing}, "--spool: directory " + missing + " does not exist"},
		{"show a search with no records", []string{"archive", "show", "--search-id", "nope", "--archive", "file://" + empty, "--spool", "-"}, "no records of search nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			err := run(context.Background(), tt.args, noenv, &out, &errs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want %q", err, tt.want)
			}
			if _, err := os.Stat(missing); err == nil {
				t.Errorf("%s was created", missing)
			}
		})
	}
	// An empty archive that exists lists fine.
	var out, errs bytes.Buffer
	if err := run(context.Background(), []string{"archive", "list", "--archive", "file://" + empty, "--spool", "-"}, noenv, &out, &errs); err != nil {
		t.Errorf("empty archive: %v", err)
	}
}

// Not on a terminal, progress is plain lines (no \r), at most one a second,
// and a last one at the end.
func TestProgressPlainWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 5)
	now := time.Unix(1000, 0)
	p.now = func() time.Time { return now }
	steps := []time.Duration{0, 100 * time.Millisecond, 1100 * time.Millisecond, 1200 * time.Millisecond, 3 * time.Second}
	for i, d := range steps {
		now = time.Unix(1000, 0).Add(d)
		p.update(i + 1)
	}
	p.done(5)
	if got, want := buf.String(), "1/5 hotels\n3/5 hotels\n5/5 hotels\n"; got != want {
		t.Errorf("progress %q, want %q", got, want)
	}
}

func TestInRequestOrder(t *testing.T) {
	hotels := func(ids ...string) []httpapi.Hotel {
		var hs []httpapi.Hotel
		for _, id := range ids {
			hs = append(hs, httpapi.Hotel{HotelID: id})
		}
		return hs
	}
	tests := []struct {
		name      string
		completed []string
		request   []string
		want      []string
	}{
		{"completion order to request order", []string{"H3", "H1", "H2"}, []string{"H2", "H3", "H1"}, []string{"H2", "H3", "H1"}},
		{"duplicate ids in the request", []string{"H1", "H2"}, []string{"H2", "H1", "H2"}, []string{"H2", "H1"}},
		{"a hotel not asked goes last", []string{"X", "H1"}, []string{"H1"}, []string{"H1", "X"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, h := range inRequestOrder(hotels(tt.completed...), tt.request) {
				got = append(got, h.HotelID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("order %v, want %v", got, tt.want)
			}
		})
	}
}

// The search table lists hotels in the request's order, and progress to a
// pipe or file has no \r.
func TestSearchTableInRequestOrder(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "hotelrates.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir: %s\nvendors: [{protocol: solo}, {protocol: bulk}, {protocol: session}]\n", dir)), 0o644)
	order := []string{"H00012", "H00003", "H00100", "H00001", "H00007", "H00002"}
	var out, errs testlog.Buffer
	err := run(context.Background(), []string{"search", "--config", cfg, "--hotels", strings.Join(order, ","), "--check-in", offertest.FutureDate(30).String(), "--nights", "2"}, noenv, &out, &errs)
	if err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	row := regexp.MustCompile(`(?m)^(H\d{5})\s`)
	var got []string
	for _, m := range row.FindAllStringSubmatch(out.String(), -1) {
		got = append(got, m[1])
	}
	if !slices.Equal(got, order) {
		t.Errorf("table order %v, want %v:\n%s", got, order, out.String())
	}
	if s := errs.String(); strings.Contains(s, "\r") || !strings.Contains(s, "6/6 hotels\n") {
		t.Errorf("progress %q", s)
	}
}
