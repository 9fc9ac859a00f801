package archive

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"strings"

	"hotelrates"
)

// Source is where FindSegments and FindRecords look for segments: an
// archive sink and a local spool directory.
type Source struct {
	Sink     Sink   // the archive; nil for none
	Prefix   string // the key prefix of the segments in Sink, as OpenSink returns it ("" for none)
	SpoolDir string // a spool directory (Options.SpoolDir); "" for none
}

// Filter selects segments by the vendor= and date= elements of their
// keys (see the package documentation). An empty field selects all.
type Filter struct {
	// Vendor selects one vendor's segments. It is sanitized as keys are,
	// so the vendor's name as recorded or as it appears in keys both work.
	Vendor string
	// Date selects the segments of one UTC date, YYYY-MM-DD (the date of
	// a segment's first record).
	Date string
}

// Match reports whether f selects the segment key: whether the key has
// the path elements vendor=Vendor and date=Date, for those that are set.
func (f Filter) Match(key string) bool {
	vendor, date := f.Vendor == "", f.Date == ""
	wantVendor, wantDate := "vendor="+keyVendor(f.Vendor), "date="+f.Date
	for el := range strings.SplitSeq(key, "/") {
		vendor = vendor || el == wantVendor
		date = date || el == wantDate
	}
	return vendor && date
}

// listPrefix returns the Sink.List prefix under prefix that holds every
// key f selects.
func (f Filter) listPrefix(prefix string) string {
	if prefix != "" {
		prefix += "/"
	}
	if f.Vendor != "" {
		prefix += "vendor=" + keyVendor(f.Vendor) + "/"
		if f.Date != "" {
			prefix += "date=" + f.Date + "/"
		}
	}
	return prefix
}

// Segments are the segments FindSegments found, each list sorted by key.
// A segment can be in both lists for a moment: while it is uploaded, or
// (open and closed) while it is closed.
type Segments struct {
	Archived []ObjectInfo   // in the sink
	Spooled  []SpoolSegment // in the spool directory, closed and open
}

// FindSegments lists the segments of src that f selects. It fails only
// when the sink or the spool directory cannot be listed.
func FindSegments(ctx context.Context, src Source, f Filter) (Segments, error) {
	var segs Segments
	// The spool first: a segment uploaded meanwhile is then in the sink's
	// list, so FindRecords misses none.
	if src.SpoolDir != "" {
		spooled, err := ListSpool(src.SpoolDir)
		if err != nil {
			return Segments{}, fmt.Errorf("archive: list spool: %w", err)
		}
		for _, s := range spooled {
			if f.Match(s.Key) {
				segs.Spooled = append(segs.Spooled, s)
			}
		}
	}
	if src.Sink != nil {
		objs, err := src.Sink.List(ctx, f.listPrefix(src.Prefix))
		if err != nil {
			return Segments{}, err
		}
		for _, o := range objs {
			if f.Match(o.Key) {
				segs.Archived = append(segs.Archived, o)
			}
		}
	}
	return segs, nil
}

// SegmentError reports a segment that could not be read, wholly or in
// part (ReadSegment's errors, such as ErrTornRecord or ErrCorruptRecord,
// are wrapped).
type SegmentError struct {
	Key  string // the segment's key
	Path string // the spool file, or "" for a segment in the sink
	Err  error
}

// Error returns "KEY: ERR" for a segment in the sink and
// "spool PATH: ERR" for one in the spool.
func (e *SegmentError) Error() string {
	if e.Path != "" {
		return "spool " + e.Path + ": " + e.Err.Error()
	}
	return e.Key + ": " + e.Err.Error()
}

// Unwrap returns e.Err.
func (e *SegmentError) Unwrap() error { return e.Err }

// Records are what FindRecords found.
type Records struct {
	// Exchanges are the search's records: those from the sink in key
	// order, then those from the spool in key order; in a segment, in
	// the order recorded.
	Exchanges []hotelrates.Exchange
	// Errors has one entry per segment that could not be read, or only in
	// part: its records may be missing from Exchanges.
	Errors []*SegmentError
}

// FindRecords reads the segments of src that f selects and returns the
// records of the search searchID: those whose comma-separated SearchID
// (a vendor call shared by several searches) includes it.
//
// A segment that cannot be read does not stop the search: it is reported
// in Records.Errors, with the records read before the failure kept. A
// segment that is in the sink and the spool is read once, from the sink;
// one that moves while it is read (closed, or uploaded) is read where it
// went. The torn last line of an open spool segment is a record still
// being written (or cut by a crash, which the next start discards), not
// an error. The error is non-nil only if the segments could not be listed
// or ctx ended; the records found so far are returned with it.
func FindRecords(ctx context.Context, src Source, f Filter, searchID string) (Records, error) {
	var out Records
	if searchID == "" {
		return out, errors.New("archive: FindRecords needs a search id")
	}
	segs, err := FindSegments(ctx, src, f)
	if err != nil {
		return out, err
	}
	keep := func(exs []hotelrates.Exchange) {
		for _, ex := range exs {
			if hasSearch(ex.SearchID, searchID) {
				out.Exchanges = append(out.Exchanges, ex)
			}
		}
	}
	archived := make(map[string]bool, len(segs.Archived))
	for _, o := range segs.Archived {
		archived[o.Key] = true
		if err := ctx.Err(); err != nil {
			return out, err
		}
		exs, err := readArchived(ctx, src.Sink, o.Key)
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		keep(exs)
		if err != nil {
			out.Errors = append(out.Errors, &SegmentError{Key: o.Key, Err: err})
		}
	}
	for _, s := range spoolOnce(segs.Spooled) {
		if archived[s.Key] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
		exs, err := readSpooled(ctx, src, s)
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		keep(exs)
		if err != nil {
			out.Errors = append(out.Errors, &SegmentError{Key: s.Key, Path: s.Path, Err: err})
		}
	}
	return out, nil
}

// spoolOnce returns segs with a segment listed both open and closed (it
// was being closed) only once, closed. segs is sorted by key.
func spoolOnce(segs []SpoolSegment) []SpoolSegment {
	out := make([]SpoolSegment, 0, len(segs))
	for _, s := range segs {
		if n := len(out); n > 0 && out[n-1].Key == s.Key {
			if s.Ready {
				out[n-1] = s
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// readArchived reads the segment at key in sink.
func readArchived(ctx context.Context, sink Sink, key string) ([]hotelrates.Exchange, error) {
	rc, err := sink.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return ReadSegment(rc)
}

// readSpooled reads a spool segment. One that is gone was closed or
// uploaded meanwhile: it is read from the closed segment, or the sink.
func readSpooled(ctx context.Context, src Source, s SpoolSegment) ([]hotelrates.Exchange, error) {
	exs, err := readSpoolSegment(s)
	if !errors.Is(err, fs.ErrNotExist) {
		return exs, err
	}
	if !s.Ready {
		closed := s
		closed.Ready = true
		closed.Path = filepath.Join(src.SpoolDir, "ready", url.PathEscape(s.Key))
		if exs, err2 := readSpoolSegment(closed); !errors.Is(err2, fs.ErrNotExist) {
			return exs, err2
		}
	}
	if src.Sink != nil {
		if exs, err2 := readArchived(ctx, src.Sink, s.Key); !errors.Is(err2, fs.ErrNotExist) {
			return exs, err2
		}
	}
	return nil, err
}

// readSpoolSegment is ReadSpoolSegment, without the error of an open
// segment's torn last line.
func readSpoolSegment(s SpoolSegment) ([]hotelrates.Exchange, error) {
	exs, err := ReadSpoolSegment(s)
	if !s.Ready && errors.Is(err, ErrTornRecord) {
		err = nil
	}
	return exs, err
}

// hasSearch reports whether a record's search ids (comma-separated: a call
// shared by searches) include id.
func hasSearch(ids, id string) bool {
	for x := range strings.SplitSeq(ids, ",") {
		if x == id {
			return true
		}
	}
	return false
}
