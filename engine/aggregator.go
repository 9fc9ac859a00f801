package engine

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"hotelrates"
)

// aggregator collects one search's results: the cache's answers and each
// vendor queue's job results (from the search's inbox). It owns the
// search's state, and only the search's own goroutine (Engine.Stream)
// touches it, so it needs no lock. A hotel is ready once every vendor has
// answered for it; at the end the rest go out with what arrived.
type aggregator struct {
	searchID string
	start    time.Time
	order    []string
	hotels   map[string]*hotelState
	vendors  []*vendorTally
	byName   map[string]*vendorTally
	queue    []string // hotels completed since the last ready()
}

type hotelState struct {
	offers  []hotelrates.Offer
	sources []hotelrates.Source
	waiting int  // vendors yet to answer
	failed  bool // a vendor could not answer
	emitted bool
}

// addOffers appends a vendor's offers for the hotel, each marked with the
// vendor (the vendor's slice is not modified).
func (h *hotelState) addOffers(vendor string, offers []hotelrates.Offer) {
	h.offers = slices.Grow(h.offers, len(offers))
	for _, o := range offers {
		o.Vendor = vendor
		h.offers = append(h.offers, o)
	}
}

type vendorTally struct {
	status  hotelrates.VendorStatus
	lastErr error
	last    time.Time
	skipped string // why the vendor was not asked at all
}

// newAggregator collects a search of hotels from vendors, each asked for
// its hotels in asked (skipped[i] says why vendor i was asked for none).
// A hotel waits for the vendors asked for it: one no vendor carries is
// ready at once, without offers.
func newAggregator(id string, hotels []string, vendors []*vendorQueue, asked [][]string, skipped []string, start time.Time) *aggregator {
	a := &aggregator{searchID: id, start: start, order: hotels, hotels: make(map[string]*hotelState, len(hotels)), byName: map[string]*vendorTally{}}
	for _, h := range hotels {
		a.hotels[h] = &hotelState{}
	}
	for i, v := range vendors {
		t := &vendorTally{status: hotelrates.VendorStatus{Vendor: v.name, HotelsRequested: len(asked[i])}, skipped: skipped[i]}
		a.vendors = append(a.vendors, t)
		a.byName[v.name] = t
		for _, h := range asked[i] {
			a.hotels[h].waiting++
		}
	}
	for _, h := range hotels {
		if a.hotels[h].waiting == 0 {
			a.queue = append(a.queue, h)
		}
	}
	return a
}

func (a *aggregator) add(r jobResult) {
	t := a.byName[r.vendor]
	t.status.Calls += r.calls
	t.status.Errors += r.errors
	t.last = time.Now()
	var byHotel map[string][]hotelrates.Offer
	switch {
	case r.err != nil:
		t.lastErr = r.err
	case len(r.offers) > 8:
		// A batch answer: index it once. (A small one is scanned per hotel
		// instead; most calls answer one hotel.)
		byHotel = make(map[string][]hotelrates.Offer, len(r.offers))
		for _, ho := range r.offers {
			byHotel[ho.HotelID] = append(byHotel[ho.HotelID], ho.Offers...)
		}
	}
	for _, id := range r.hotels {
		h := a.hotels[id]
		if h == nil || h.emitted {
			continue
		}
		h.waiting--
		if r.err != nil {
			h.failed = true
		} else {
			t.status.HotelsAnswered++
			if byHotel != nil {
				h.addOffers(r.vendor, byHotel[id])
			} else {
				for _, ho := range r.offers {
					if ho.HotelID == id {
						h.addOffers(r.vendor, ho.Offers)
					}
				}
			}
			h.sources = append(h.sources, hotelrates.Source{Vendor: r.vendor, Shared: r.shared})
		}
		if h.waiting == 0 {
			a.queue = append(a.queue, id)
		}
	}
}

// addCalls counts calls sent for the search that had not answered when it
// ended: what the vendor received, late calls included.
func (a *aggregator) addCalls(vendor string, calls int) {
	a.byName[vendor].status.Calls += calls
}

// addCached takes a vendor's answer for a hotel from the rate cache.
func (a *aggregator) addCached(vendor, id string, c cached) {
	t := a.byName[vendor]
	t.last = time.Now()
	h := a.hotels[id]
	h.waiting--
	t.status.HotelsAnswered++
	h.offers = c.appendOffers(h.offers, vendor)
	h.sources = append(h.sources, hotelrates.Source{Vendor: vendor, Cached: true, Age: time.Since(c.at)})
	if h.waiting == 0 {
		a.queue = append(a.queue, id)
	}
}

// ready returns the hotels every vendor has now answered for.
func (a *aggregator) ready() []hotelrates.HotelResult {
	out := make([]hotelrates.HotelResult, 0, len(a.queue))
	for _, id := range a.queue {
		out = append(out, a.finish(id))
	}
	a.queue = a.queue[:0]
	return out
}

// hasReady reports whether hotels completed since the last ready().
func (a *aggregator) hasReady() bool { return len(a.queue) > 0 }

// rest returns the hotels not yet passed on, at the end of the search.
func (a *aggregator) rest() []hotelrates.HotelResult {
	var out []hotelrates.HotelResult
	for _, id := range a.order {
		if !a.hotels[id].emitted {
			out = append(out, a.finish(id))
		}
	}
	return out
}

func (a *aggregator) finish(id string) hotelrates.HotelResult {
	h := a.hotels[id]
	h.emitted = true
	sortOffers(h.offers)
	return hotelrates.HotelResult{HotelID: id, Offers: h.offers, Complete: h.waiting == 0 && !h.failed, Sources: h.sources}
}

// sortOffers orders offers cheapest first, then by vendor, room and board,
// so results are deterministic.
func sortOffers(o []hotelrates.Offer) {
	if len(o) < 2 {
		return
	}
	slices.SortStableFunc(o, func(a, b hotelrates.Offer) int {
		if c := cmp.Compare(a.Total.Minor, b.Total.Minor); c != 0 {
			return c
		}
		if c := strings.Compare(a.Vendor, b.Vendor); c != 0 {
			return c
		}
		if c := strings.Compare(a.Room, b.Room); c != 0 {
			return c
		}
		return strings.Compare(a.Board, b.Board)
	})
}

func (a *aggregator) result(cut string) hotelrates.Result {
	res := hotelrates.Result{SearchID: a.searchID, Complete: true}
	for _, t := range a.vendors {
		s := t.status
		unanswered := s.HotelsRequested - s.HotelsAnswered
		switch {
		case t.skipped != "":
			s.Status, s.Error = hotelrates.StatusSkipped, t.skipped
		case unanswered == 0:
			s.Status = hotelrates.StatusOK
		case s.HotelsAnswered > 0:
			s.Status = hotelrates.StatusPartial
		case t.lastErr != nil && !errors.Is(t.lastErr, errDeadline):
			s.Status = hotelrates.StatusFailed
		default:
			s.Status = hotelrates.StatusTimeout
		}
		if unanswered > 0 {
			res.Complete = false
			switch {
			case t.lastErr != nil && !errors.Is(t.lastErr, errDeadline):
				s.Error = t.lastErr.Error()
			case cut != "":
				s.Error = fmt.Sprintf("%s with %d hotels unanswered", cut, unanswered)
			}
			if s.Error == "" {
				s.Error = fmt.Sprintf("%d hotels unanswered", unanswered)
			}
		}
		end := t.last
		if unanswered > 0 || end.IsZero() {
			end = time.Now()
		}
		if t.skipped == "" {
			s.Elapsed = end.Sub(a.start)
		}
		res.Vendors = append(res.Vendors, s)
	}
	return res
}
