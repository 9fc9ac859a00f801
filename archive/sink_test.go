package archive

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDirSink(t *testing.T) {
	ctx := context.Background()
	s := newDirSink(t)
	put := func(key, body string) error {
		return s.Put(ctx, key, strings.NewReader(body), int64(len(body)))
	}
	for _, kv := range [][2]string{
		{"p/vendor=solo/date=2025-11-28/hour=23/a-1.ndjson.gz", "one"},
		{"p/vendor=solo/date=2025-11-28/hour=23/a-2.ndjson.gz", "two"},
		{"p/vendor=solo2/date=2025-11-28/hour=23/a-1.ndjson.gz", "three"},
		{"p/vendor=bulk/date=2025-11-29/hour=00/a-3.ndjson.gz", "four"},
		{"top", "five"},
	} {
		if err := put(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	// Overwrite on retry.
	if err := put("p/vendor=solo/date=2025-11-28/hour=23/a-2.ndjson.gz", "TWO"); err != nil {
		t.Fatal(err)
	}
	// A temporary file of an unfinished Put is not listed.
	tmp := filepath.Join(s.Dir(), "p", "vendor=solo", tempPrefix+"123")
	if err := os.WriteFile(tmp, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}

	listTests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{
			"p/vendor=bulk/date=2025-11-29/hour=00/a-3.ndjson.gz",
			"p/vendor=solo/date=2025-11-28/hour=23/a-1.ndjson.gz",
			"p/vendor=solo/date=2025-11-28/hour=23/a-2.ndjson.gz",
			"p/vendor=solo2/date=2025-11-28/hour=23/a-1.ndjson.gz",
			"top",
		}},
		{"p/vendor=solo", []string{ // a string prefix, as in S3
			"p/vendor=solo/date=2025-11-28/hour=23/a-1.ndjson.gz",
			"p/vendor=solo/date=2025-11-28/hour=23/a-2.ndjson.gz",
			"p/vendor=solo2/date=2025-11-28/hour=23/a-1.ndjson.gz",
		}},
		{"p/vendor=solo/", []string{
			"p/vendor=solo/date=2025-11-28/hour=23/a-1.ndjson.gz",
			"p/vendor=solo/date=2025-11-28/hour=23/a-2.ndjson.gz",
		}},
		{"p/vendor=solo/date=2025-11-28/hour=23/a-2", []string{"p/vendor=solo/date=2025-11-28/hour=23/a-2.ndjson.gz"}},
		{"p/vendor=none/", nil},
		{"../", nil},
	}
	for _, tt := range listTests {
		objs, err := s.List(ctx, tt.prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", tt.prefix, err)
		}
		var got []string
		for _, o := range objs {
			got = append(got, o.Key)
			if o.Size <= 0 || o.ModTime.IsZero() {
				t.Errorf("List(%q): %+v", tt.prefix, o)
			}
		}
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("List(%q) = %q, want %q", tt.prefix, got, tt.want)
		}
	}

	getTests := []struct {
		key     string
		want    string
		wantErr error
	}{
		{"p/vendor=solo/date=2025-11-28/hour=23/a-2.ndjson.gz", "TWO", nil},
		{"top", "five", nil},
		{"p/missing", "", fs.ErrNotExist},
		{"../etc/passwd", "", ErrInvalidKey},
	}
	for _, tt := range getTests {
		rc, err := s.Get(ctx, tt.key)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("Get(%q) error = %v, want %v", tt.key, err, tt.wantErr)
		}
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != tt.want {
			t.Errorf("Get(%q) = %q, want %q", tt.key, b, tt.want)
		}
	}
}

func TestDirSinkPutFailures(t *testing.T) {
	s := newDirSink(t)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		key     string
		body    string
		size    int64
		wantErr error
	}{
		{"empty key", context.Background(), "", "x", 1, ErrInvalidKey},
		{"absolute", context.Background(), "/etc/x", "x", 1, ErrInvalidKey},
		{"dot-dot", context.Background(), "a/../../x", "x", 1, ErrInvalidKey},
		{"empty element", context.Background(), "a//x", "x", 1, ErrInvalidKey},
		{"backslash", context.Background(), `a\x`, "x", 1, ErrInvalidKey},
		{"temp name", context.Background(), "a/" + tempPrefix + "x", "x", 1, ErrInvalidKey},
		{"canceled", canceled, "a/canceled", "x", 1, context.Canceled},
		{"short body", context.Background(), "a/short", "abc", 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Put(tt.ctx, tt.key, strings.NewReader(tt.body), tt.size)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Errorf("Put error = %v, want %v", err, tt.wantErr)
			}
		})
	}
	// Nothing, not even a temporary file, is left behind.
	var files []string
	filepath.WalkDir(s.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 0 {
		t.Errorf("files left behind: %q", files)
	}
}
