package archive

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"hotelrates"
)

// findRec returns a record with an id, of a vendor and search ids.
func findRec(id, vendor, searchIDs string) hotelrates.Exchange {
	ex := withID(exchange(vendor, 0, t0), id)
	ex.SearchID = searchIDs
	return ex
}

// ndjson returns the records as NDJSON lines.
func ndjson(t *testing.T, exs ...hotelrates.Exchange) string {
	t.Helper()
	var b strings.Builder
	for _, ex := range exs {
		b.WriteString(marshal(t, ex) + "\n")
	}
	return b.String()
}

// putSegment stores body in sink under key.
func putSegment(t *testing.T, sink Sink, key string, body []byte) {
	t.Helper()
	if err := sink.Put(context.Background(), key, bytes.NewReader(body), int64(len(body))); err != nil {
		t.Fatal(err)
	}
}

// spoolFile writes a segment into the spool directory dir, closed (body
// is gzip) or open (body is plain NDJSON), as the archiver lays it out.
func spoolFile(t *testing.T, dir, key string, ready bool, body []byte) string {
	t.Helper()
	path := filepath.Join(dir, "ready", url.PathEscape(key))
	if !ready {
		path = filepath.Join(dir, "open", url.PathEscape(key)+openSuffix)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func ids(exs []hotelrates.Exchange) []string {
	out := []string{}
	for _, ex := range exs {
		out = append(out, ex.ID)
	}
	return out
}

func TestFindSegments(t *testing.T) {
	day1, day2 := t0, t0.Add(time.Hour) // 2025-11-28 23:59, 2025-11-29 00:59
	sink, spoolDir := newDirSink(t), t.TempDir()
	seg := gz(t, ndjson(t, findRec("r", "solo", "s")))
	for _, k := range []string{
		segmentKey("arch", "solo", "a", day1, 1),
		segmentKey("arch", "solo", "a", day2, 2),
		segmentKey("arch", "solo2", "a", day1, 3),
		segmentKey("arch", "Big Hotels", "a", day1, 4),
		segmentKey("other", "solo", "a", day1, 5), // not under the prefix
	} {
		putSegment(t, sink, k, seg)
	}
	spoolFile(t, spoolDir, segmentKey("arch", "bulk", "b", day1, 6), true, seg)
	spoolFile(t, spoolDir, segmentKey("arch", "solo", "b", day2, 7), false, []byte(ndjson(t, findRec("r", "solo", "s"))))

	tests := []struct {
		name         string
		spool        string
		filter       Filter
		wantArchived []string // the segments' SEQ
		wantSpooled  []string
	}{
		{"everything", spoolDir, Filter{}, []string{"4", "1", "2", "3"}, []string{"6", "7"}},
		{"vendor", spoolDir, Filter{Vendor: "solo"}, []string{"1", "2"}, []string{"7"}},
		{"date", spoolDir, Filter{Date: "2025-11-28"}, []string{"4", "1", "3"}, []string{"6"}},
		{"vendor and date", spoolDir, Filter{Vendor: "solo", Date: "2025-11-29"}, []string{"2"}, []string{"7"}},
		{"vendor sanitized as in keys", spoolDir, Filter{Vendor: "Big Hotels"}, []string{"4"}, nil},
		{"vendor as in keys", spoolDir, Filter{Vendor: "Big_Hotels"}, []string{"4"}, nil},
		{"no such vendor", spoolDir, Filter{Vendor: "sol"}, nil, nil},
		{"no such date", spoolDir, Filter{Vendor: "solo", Date: "2025-11-30"}, nil, nil},
		{"no spool", "", Filter{Vendor: "solo"}, []string{"1", "2"}, nil},
	}
	seq := func(key string) string {
		return strings.TrimLeft(strings.TrimSuffix(key[strings.LastIndexByte(key, '-')+1:], SegmentSuffix), "0")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			segs, err := FindSegments(t.Context(), Source{Sink: sink, Prefix: "arch", SpoolDir: tt.spool}, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			var archived, spooled []string
			for _, o := range segs.Archived {
				archived = append(archived, seq(o.Key))
			}
			for _, s := range segs.Spooled {
				spooled = append(spooled, seq(s.Key))
				if s.Ready != (seq(s.Key) == "6") {
					t.Errorf("%s: ready %v", s.Key, s.Ready)
				}
			}
			if !slices.Equal(archived, tt.wantArchived) || !slices.Equal(spooled, tt.wantSpooled) {
				t.Errorf("archived %v, spooled %v; want %v, %v", archived, spooled, tt.wantArchived, tt.wantSpooled)
			}
		})
	}
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := FindSegments(t.Context(), Source{Sink: sink, SpoolDir: notDir}, Filter{}); err == nil {
		t.Error("an unreadable spool directory is no error")
	}
}

func TestFindRecords(t *testing.T) {
	key := func(vendor string, seq uint64) string { return segmentKey("", vendor, "i", t0, seq) }
	type seg struct {
		key   string
		where string // "sink", "ready" or "open"
		body  []byte
	}
	tests := []struct {
		name     string
		segs     []seg
		filter   Filter
		searchID string
		want     []string // record ids, in order
		wantErrs []string // keys of the segments reported
		wantIs   error    // every reported error wraps it
	}{
		{
			name: "sink and spool",
			segs: []seg{
				{key("solo", 1), "sink", gz(t, ndjson(t, findRec("a", "solo", "s1"), findRec("b", "solo", "s2"), findRec("c", "solo", "s1")))},
				{key("bulk", 2), "ready", gz(t, ndjson(t, findRec("d", "bulk", "s1")))},
				{key("bulk", 3), "open", []byte(ndjson(t, findRec("e", "bulk", "s2"), findRec("f", "bulk", "s1")))},
			},
			searchID: "s1",
			want:     []string{"a", "c", "d", "f"},
		},
		{
			name: "search id list with commas",
			segs: []seg{
				{key("solo", 1), "sink", gz(t, ndjson(t, findRec("a", "solo", "s1,s2"), findRec("b", "solo", "s10"), findRec("c", "solo", "s0,s1")))},
				{key("bulk", 2), "open", []byte(ndjson(t, findRec("d", "bulk", "s2,s1,s3"), findRec("e", "bulk", "s1s2")))},
			},
			searchID: "s1",
			want:     []string{"a", "c", "d"},
		},
		{
			name: "a list is not one id",
			segs: []seg{
				{key("solo", 1), "sink", gz(t, ndjson(t, findRec("a", "solo", "s1,s2")))},
			},
			searchID: "s1,s2",
		},
		{
			name: "vendor filter",
			segs: []seg{
				{key("solo", 1), "sink", gz(t, ndjson(t, findRec("a", "solo", "s1")))},
				{key("bulk", 2), "sink", gz(t, ndjson(t, findRec("b", "bulk", "s1")))},
				{key("bulk", 3), "ready", gz(t, ndjson(t, findRec("c", "bulk", "s1")))},
				{key("solo", 4), "open", []byte(ndjson(t, findRec("d", "solo", "s1")))},
			},
			filter:   Filter{Vendor: "solo", Date: t0.Format(time.DateOnly)},
			searchID: "s1",
			want:     []string{"a", "d"},
		},
		{
			name: "corrupt spool segment is reported",
			segs: []seg{
				{key("solo", 1), "sink", gz(t, ndjson(t, findRec("a", "solo", "s1")))},
				{key("bulk", 2), "ready", []byte("this is not gzip\n")},
				{key("bulk", 3), "ready", gz(t, ndjson(t, findRec("b", "bulk", "s1")))},
			},
			searchID: "s1",
			want:     []string{"a", "b"},
			wantErrs: []string{key("bulk", 2)},
			wantIs:   gzip.ErrHeader,
		},
		{
			name: "corrupt record keeps the others",
			segs: []seg{
				{key("bulk", 2), "ready", gz(t, ndjson(t, findRec("a", "bulk", "s1"))+"{oops\n"+ndjson(t, findRec("b", "bulk", "s1")))},
			},
			searchID: "s1",
			want:     []string{"a", "b"},
			wantErrs: []string{key("bulk", 2)},
			wantIs:   ErrCorruptRecord,
		},
		{
			name: "corrupt sink segment is reported",
			segs: []seg{
				{key("solo", 1), "sink", gz(t, ndjson(t, findRec("a", "solo", "s1"))+`{"id":"b","search_id":"s1"`)},
				{key("bulk", 2), "open", []byte(ndjson(t, findRec("c", "bulk", "s1")))},
			},
			searchID: "s1",
			want:     []string{"a", "c"},
			wantErrs: []string{key("solo", 1)},
			wantIs:   ErrTornRecord,
		},
		{
			name: "torn last line of an open segment is being written",
			segs: []seg{
				{key("solo", 1), "open", []byte(ndjson(t, findRec("a", "solo", "s1")) + `{"id":"b","search_id":"s1"`)},
			},
			searchID: "s1",
			want:     []string{"a"},
		},
		{
			name: "uploaded and still spooled: read once",
			segs: []seg{
				{key("solo", 1), "sink", gz(t, ndjson(t, findRec("a", "solo", "s1")))},
				{key("solo", 1), "ready", gz(t, ndjson(t, findRec("a", "solo", "s1")))},
				{key("solo", 2), "open", []byte(ndjson(t, findRec("b", "solo", "s1")))},
				{key("solo", 2), "ready", gz(t, ndjson(t, findRec("b", "solo", "s1")))},
			},
			searchID: "s1",
			want:     []string{"a", "b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := Source{Sink: newDirSink(t), SpoolDir: t.TempDir()}
			for _, s := range tt.segs {
				if s.where == "sink" {
					putSegment(t, src.Sink, s.key, s.body)
				} else {
					spoolFile(t, src.SpoolDir, s.key, s.where == "ready", s.body)
				}
			}
			got, err := FindRecords(t.Context(), src, tt.filter, tt.searchID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got.Exchanges), tt.want) {
				t.Errorf("records %v, want %v", ids(got.Exchanges), tt.want)
			}
			var errKeys []string
			for _, e := range got.Errors {
				errKeys = append(errKeys, e.Key)
				if !errors.Is(e, tt.wantIs) || !strings.HasPrefix(e.Error(), "spool "+e.Path+": ") && !strings.HasPrefix(e.Error(), e.Key+": ") {
					t.Errorf("error %q (%#v), want one wrapping %v", e, e.Err, tt.wantIs)
				}
				if fromSpool := slices.ContainsFunc(tt.segs, func(s seg) bool { return s.key == e.Key && s.where != "sink" }); fromSpool != (e.Path != "") {
					t.Errorf("error %q: path %q", e, e.Path)
				}
			}
			if !slices.Equal(errKeys, tt.wantErrs) {
				t.Errorf("errors for %v, want %v", errKeys, tt.wantErrs)
			}
		})
	}
	if _, err := FindRecords(t.Context(), Source{Sink: newDirSink(t)}, Filter{}, ""); err == nil {
		t.Error("no error for an empty search id")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	sink := newDirSink(t)
	putSegment(t, sink, key("solo", 1), gz(t, ndjson(t, findRec("a", "solo", "s1"))))
	if _, err := FindRecords(ctx, Source{Sink: sink}, Filter{}, "s1"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// A segment that moves while FindRecords reads it (closed, or uploaded
// and removed from the spool) is read where it went; one gone from
// everywhere is reported.
func TestFindRecordsSegmentMoved(t *testing.T) {
	key := segmentKey("", "solo", "i", t0, 1)
	body := ndjson(t, findRec("a", "solo", "s1"))
	tests := []struct {
		name    string
		seg     SpoolSegment // as listed; its file is gone
		closed  bool         // the segment is now closed in the spool
		sink    bool         // the segment is now in the sink
		wantN   int
		wantErr bool
	}{
		{"open, now closed", SpoolSegment{Key: key}, true, false, 1, false},
		{"open, now uploaded", SpoolSegment{Key: key}, false, true, 1, false},
		{"closed, now uploaded", SpoolSegment{Key: key, Ready: true}, false, true, 1, false},
		{"gone", SpoolSegment{Key: key}, false, false, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := Source{Sink: newDirSink(t), SpoolDir: t.TempDir()}
			tt.seg.Path = filepath.Join(src.SpoolDir, "open", "gone")
			if tt.closed {
				spoolFile(t, src.SpoolDir, key, true, gz(t, body))
			}
			if tt.sink {
				putSegment(t, src.Sink, key, gz(t, body))
			}
			exs, err := readSpooled(t.Context(), src, tt.seg)
			if len(exs) != tt.wantN || (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, fs.ErrNotExist)) {
				t.Errorf("%d records, err %v", len(exs), err)
			}
		})
	}
}
