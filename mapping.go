package hotelrates

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// HotelMapping says which vendors carry a hotel and under which code: each
// supplier knows a hotel by its own code (Amadeus 8-character ids, Rapid
// property ids, Hotelbeds integers). The engine sends a hotel only to the
// vendors that carry it, under their code, and keys the answers by our id.
// A vendor the mapping does not cover is asked for every hotel, by our id.
// Implementations must be safe for concurrent use.
type HotelMapping interface {
	// Covers reports whether the mapping speaks for vendor at all.
	Covers(vendor string) bool
	// VendorCode returns vendor's code for our hotel id, and false when
	// the vendor does not carry it.
	VendorCode(vendor, hotelID string) (string, bool)
	// HotelID returns our id for vendor's code, and false when the code
	// is not mapped.
	HotelID(vendor, code string) (string, bool)
}

// Mapping is a HotelMapping held in memory, read from CSV by ReadMapping.
// The zero value maps nothing.
type Mapping struct {
	codes  map[string]map[string]string // vendor -> our id -> code
	hotels map[string]map[string]string // vendor -> code -> our id
}

// Covers implements HotelMapping: the vendors that appear in the mapping.
func (m *Mapping) Covers(vendor string) bool { _, ok := m.codes[vendor]; return ok }

// VendorCode implements HotelMapping.
func (m *Mapping) VendorCode(vendor, hotelID string) (string, bool) {
	c, ok := m.codes[vendor][hotelID]
	return c, ok
}

// HotelID implements HotelMapping.
func (m *Mapping) HotelID(vendor, code string) (string, bool) {
	h, ok := m.hotels[vendor][code]
	return h, ok
}

// Len returns the number of (hotel, vendor) pairs mapped.
func (m *Mapping) Len() int {
	n := 0
	for _, c := range m.codes {
		n += len(c)
	}
	return n
}

// Add maps our hotel id to vendor's code. It refuses an empty or invalid
// value, a hotel mapped twice for one vendor to different codes, and a
// code of one vendor given to two hotels.
func (m *Mapping) Add(hotelID, vendor, code string) error {
	if err := validID(hotelID); err != nil {
		return fmt.Errorf("hotel_id %q %v", truncate(hotelID, 80), err)
	}
	if err := validID(vendor); err != nil {
		return fmt.Errorf("vendor %q %v", truncate(vendor, 80), err)
	}
	if err := validID(code); err != nil {
		return fmt.Errorf("vendor_code %q %v", truncate(code, 80), err)
	}
	if m.codes == nil {
		m.codes, m.hotels = map[string]map[string]string{}, map[string]map[string]string{}
	}
	if m.codes[vendor] == nil {
		m.codes[vendor], m.hotels[vendor] = map[string]string{}, map[string]string{}
	}
	if old, ok := m.codes[vendor][hotelID]; ok && old != code {
		return fmt.Errorf("hotel %s is mapped twice for vendor %s (%s and %s)", hotelID, vendor, old, code)
	}
	if old, ok := m.hotels[vendor][code]; ok && old != hotelID {
		return fmt.Errorf("vendor %s code %s is mapped to two hotels (%s and %s)", vendor, code, old, hotelID)
	}
	m.codes[vendor][hotelID] = code
	m.hotels[vendor][code] = hotelID
	return nil
}

// MappingHeader is the first line of a mapping file.
const MappingHeader = "hotel_id,vendor,vendor_code"

// ReadMapping reads a mapping in CSV: the header line hotel_id,vendor,
// vendor_code, then one line per hotel and vendor that carries it. Blank
// lines are skipped. An error names the line (and field) at fault.
func ReadMapping(r io.Reader) (*Mapping, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 3
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	m := &Mapping{}
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			if first {
				return nil, errors.New("mapping: empty; the first line must be " + MappingHeader)
			}
			return m, nil
		}
		if err != nil {
			if pe, ok := errors.AsType[*csv.ParseError](err); ok {
				return nil, fmt.Errorf("mapping: line %d: %v", pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("mapping: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if first {
			if strings.Join(rec, ",") != MappingHeader {
				return nil, fmt.Errorf("mapping: line %d: the first line must be %s, not %q", line, MappingHeader, truncate(strings.Join(rec, ","), 80))
			}
			continue
		}
		if err := m.Add(strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1]), strings.TrimSpace(rec[2])); err != nil {
			return nil, fmt.Errorf("mapping: line %d: %w", line, err)
		}
	}
}
