package archive

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"hotelrates"
)

// SegmentSuffix ends the key of every segment.
const SegmentSuffix = ".ndjson.gz"

// ErrTornRecord is wrapped by ReadSegment's error when a segment ends in
// the middle of a record: its last line has no terminating newline, or
// its gzip stream is cut short.
var ErrTornRecord = errors.New("archive: torn record at the end of the segment")

// ErrSpoolInUse is wrapped by New's error when another archiver (in this
// or another process) holds the spool directory.
var ErrSpoolInUse = errors.New("archive: spool directory in use")

// ErrCorruptRecord is wrapped by ReadSegment's error when a complete line
// of a segment is not a JSON exchange record.
var ErrCorruptRecord = errors.New("archive: corrupt record")

// segmentKey returns PREFIX/vendor=V/date=YYYY-MM-DD/hour=HH/INSTANCE-SEQ.ndjson.gz
// (without "PREFIX/" when prefix is empty), t taken in UTC. The
// archiver's instance already ends in its run ID ("NAME-RUN").
func segmentKey(prefix, vendor, instance string, t time.Time, seq uint64) string {
	t = t.UTC()
	k := fmt.Sprintf("vendor=%s/date=%s/hour=%02d/%s-%020d%s",
		keyVendor(vendor), t.Format(time.DateOnly), t.Hour(), instance, seq, SegmentSuffix)
	if prefix != "" {
		k = prefix + "/" + k
	}
	return k
}

// maxVendorElem is the most bytes of a vendor name in a key.
const maxVendorElem = 64

// keyVendor returns vendor as it appears in keys: sanitized (an empty one
// becomes "unknown") and, when longer than maxVendorElem, cut short and
// ended by a hash of the whole sanitized name, so that distinct long
// names stay distinct.
func keyVendor(vendor string) string {
	s := sanitize(vendor, "unknown")
	if len(s) <= maxVendorElem {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	h := hex.EncodeToString(sum[:8])
	return s[:maxVendorElem-len(h)-1] + "-" + h
}

// sanitize makes s safe as one key path element: characters other than
// ASCII letters, digits, '.', '_' and '-' become '_', and a name made of
// dots only (".", "..") becomes underscores. An empty s becomes def.
func sanitize(s, def string) string {
	if s == "" {
		return def
	}
	b := []byte(s)
	dots := true
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
			dots = false
		case c == '.':
		default:
			b[i] = '_'
			dots = false
		}
	}
	if dots {
		return strings.Repeat("_", len(b))
	}
	return string(b)
}

// ReadSegment decodes a segment: gzip-compressed NDJSON, one
// hotelrates.Exchange per line (several concatenated gzip members are
// read as one stream). It returns every complete, well-formed record. A
// line that is complete but not a record is skipped and reported with an
// error wrapping ErrCorruptRecord; a last line without its newline, or a
// gzip stream cut short, is reported with an error wrapping ErrTornRecord.
// Both can be reported at once (errors.Join). The records are returned
// along with such errors; only an input that is not gzip at all yields no
// records.
func ReadSegment(r io.Reader) ([]hotelrates.Exchange, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("archive: read segment: %w", err)
	}
	defer zr.Close()
	return readLines(bufio.NewReader(zr))
}

// readLines decodes NDJSON records as ReadSegment describes, from a
// segment's plain text.
func readLines(br *bufio.Reader) ([]hotelrates.Exchange, error) {
	var (
		out     []hotelrates.Exchange
		corrupt int
		first   int // line number of the first corrupt line
		errs    []error
	)
read:
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil {
			switch {
			case err == io.EOF && len(b) == 0:
			case err == io.EOF:
				errs = append(errs, fmt.Errorf("%w: line %d has no newline", ErrTornRecord, line))
			case errors.Is(err, io.ErrUnexpectedEOF):
				errs = append(errs, fmt.Errorf("%w: line %d: %w", ErrTornRecord, line, err))
			default:
				errs = append(errs, fmt.Errorf("archive: read segment: line %d: %w", line, err))
			}
			break read
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		var ex hotelrates.Exchange
		if err := json.Unmarshal(b, &ex); err != nil {
			if corrupt == 0 {
				first = line
			}
			corrupt++
			continue
		}
		out = append(out, ex)
	}
	if corrupt > 0 {
		errs = append([]error{fmt.Errorf("%w: %d lines skipped, the first is line %d", ErrCorruptRecord, corrupt, first)}, errs...)
	}
	return out, errors.Join(errs...)
}
