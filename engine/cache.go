package engine

import (
	"encoding/binary"
	"slices"
	"strings"
	"time"

	"github.com/maypok86/otter/v2"

	"hotelrates"
)

// flightKey names one hotel for one stay: the key of the rate cache and of
// the vendor queue's table of calls queued or in flight.
type flightKey struct {
	stay  string // hotelrates.Stay.Key
	hotel string
}

// cached is a vendor's answer for one hotel and stay, kept by the rate
// cache. The offers are kept encoded in one string (encodeOffers), which
// holds no pointers: a full cache of a hundred thousand answers is then a
// hundred thousand strings to the garbage collector, not the millions of
// offers, rooms and boards it would be as Offer values, marked again on
// every cycle. The rare offer the encoding cannot carry exactly (a cancel
// deadline in a zone other than UTC) keeps the answer as Offer values.
type cached struct {
	enc    string             // the offers, encodeOffers's (empty: none, or see offers)
	offers []hotelrates.Offer // the offers as given, only when enc cannot carry them
	at     time.Time
}

// newCached returns the cache's value for one hotel's offers, answered at
// at. It keeps nothing of offers' own (the caller's slice may be shared).
func newCached(offers []hotelrates.Offer, at time.Time) cached {
	if enc, ok := encodeOffers(offers); ok {
		return cached{enc: enc, at: at}
	}
	return cached{offers: slices.Clone(offers), at: at}
}

// empty reports whether the vendor answered the hotel with no offers.
func (c cached) empty() bool { return c.enc == "" && len(c.offers) == 0 }

// appendOffers appends c's offers to dst, each marked with vendor.
func (c cached) appendOffers(dst []hotelrates.Offer, vendor string) []hotelrates.Offer {
	if c.enc == "" {
		for _, o := range c.offers {
			o.Vendor = vendor
			dst = append(dst, o)
		}
		return dst
	}
	return decodeOffers(dst, vendor, c.enc)
}

// The encoding of a hotel's offers: their number as a uvarint, then per
// offer its flags byte, the room and the board (each a uvarint length and
// the bytes), the total in minor units (a zigzag varint) and its currency
// (length and bytes), then, when its flags say so, the cancel deadline
// (varint Unix seconds, uvarint nanoseconds) and the original price
// (varint minor units, currency). The vendor is not kept: the aggregator
// marks every offer with its vendor. TestOfferFieldsAreAllEncoded fails
// when hotelrates.Offer gains a field, which the encoding must then carry.
const (
	offerRefundable = 1 << iota
	offerConverted
	offerDeadline
	offerOriginal
)

// encodeOffers encodes offers into a string of its exact size (one
// allocation); ok is false when one cannot be carried exactly (a cancel
// deadline not in UTC).
func encodeOffers(offers []hotelrates.Offer) (string, bool) {
	if len(offers) == 0 {
		return "", true
	}
	for i := range offers {
		if d := offers[i].CancelDeadline; !d.IsZero() && d.Location() != time.UTC {
			return "", false
		}
	}
	var w offerWriter
	w.offers(offers) // counts
	var sb strings.Builder
	sb.Grow(w.n)
	w.sb = &sb
	w.offers(offers)
	return sb.String(), true
}

// offerWriter writes encodeOffers's encoding to sb, or, while sb is nil,
// counts its bytes in n.
type offerWriter struct {
	sb  *strings.Builder
	n   int
	tmp [binary.MaxVarintLen64]byte
}

func (w *offerWriter) offers(offers []hotelrates.Offer) {
	w.uvarint(uint64(len(offers)))
	for i := range offers {
		o := &offers[i]
		var flags byte
		if o.Refundable {
			flags |= offerRefundable
		}
		if o.Converted {
			flags |= offerConverted
		}
		if !o.CancelDeadline.IsZero() {
			flags |= offerDeadline
		}
		if o.Original != (hotelrates.Money{}) {
			flags |= offerOriginal
		}
		w.byte(flags)
		w.str(o.Room)
		w.str(o.Board)
		w.varint(o.Total.Minor)
		w.str(o.Total.Currency)
		if flags&offerDeadline != 0 {
			w.varint(o.CancelDeadline.Unix())
			w.uvarint(uint64(o.CancelDeadline.Nanosecond()))
		}
		if flags&offerOriginal != 0 {
			w.varint(o.Original.Minor)
			w.str(o.Original.Currency)
		}
	}
}

func (w *offerWriter) byte(c byte) {
	if w.sb == nil {
		w.n++
		return
	}
	w.sb.WriteByte(c)
}

func (w *offerWriter) bytes(s string) {
	if w.sb == nil {
		w.n += len(s)
		return
	}
	w.sb.WriteString(s)
}

func (w *offerWriter) uvarint(v uint64) { w.write(binary.AppendUvarint(w.tmp[:0], v)) }

func (w *offerWriter) varint(v int64) { w.write(binary.AppendVarint(w.tmp[:0], v)) }

func (w *offerWriter) write(b []byte) {
	if w.sb == nil {
		w.n += len(b)
		return
	}
	w.sb.Write(b)
}

func (w *offerWriter) str(s string) {
	w.uvarint(uint64(len(s)))
	w.bytes(s)
}

// decodeOffers appends the offers enc encodes (encodeOffers's) to dst,
// each marked with vendor. Their strings are parts of enc: no copies. enc
// is the engine's own, so it is well formed; decoding stops at the first
// byte that is not.
func decodeOffers(dst []hotelrates.Offer, vendor, enc string) []hotelrates.Offer {
	d := offerDecoder{s: enc, ok: true}
	if n := d.uvarint(); n <= uint64(len(enc)) {
		dst = slices.Grow(dst, int(n))
	}
	for d.ok && len(d.s) > 0 {
		flags := d.s[0]
		d.s = d.s[1:]
		o := hotelrates.Offer{Vendor: vendor, Refundable: flags&offerRefundable != 0, Converted: flags&offerConverted != 0}
		o.Room, o.Board = d.str(), d.str()
		o.Total.Minor, o.Total.Currency = d.varint(), d.str()
		if flags&offerDeadline != 0 {
			sec := d.varint()
			o.CancelDeadline = time.Unix(sec, int64(d.uvarint())).UTC()
		}
		if flags&offerOriginal != 0 {
			o.Original.Minor, o.Original.Currency = d.varint(), d.str()
		}
		if d.ok {
			dst = append(dst, o)
		}
	}
	return dst
}

// offerDecoder reads encodeOffers's fields from s; ok turns false at the
// first malformed one (and every read after it returns zero).
type offerDecoder struct {
	s  string
	ok bool
}

func (d *offerDecoder) uvarint() uint64 {
	var v uint64
	for i := 0; d.ok && i < len(d.s) && i < binary.MaxVarintLen64; i++ {
		c := d.s[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			d.s = d.s[i+1:]
			return v
		}
	}
	d.ok = false
	return 0
}

func (d *offerDecoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *offerDecoder) str() string {
	n := d.uvarint()
	if !d.ok || n > uint64(len(d.s)) {
		d.ok = false
		return ""
	}
	s := d.s[:n]
	d.s = d.s[n:]
	return s
}

// hit is a hotel the rate cache answered.
type hit struct {
	hotel string
	c     cached
}

// newCache returns the vendor's rate cache, or nil when it is off. The
// vendor's queue worker reads it and the loaders fill it; its maintenance
// runs on the calling goroutine (no goroutine of its own beyond the expiry clean-up,
// which Engine.Close stops).
func newCache(cfg VendorConfig) *otter.Cache[flightKey, cached] {
	if cfg.CacheTTL <= 0 {
		return nil
	}
	ttl, empty := cfg.CacheTTL, cfg.CacheEmptyTTL
	return otter.Must(&otter.Options[flightKey, cached]{
		MaximumSize: cfg.CacheSize,
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[flightKey, cached]) time.Duration {
			if e.Value.empty() {
				return empty // sold out or not carried: ask again sooner
			}
			return ttl
		}),
		Executor: func(fn func()) { fn() },
	})
}
