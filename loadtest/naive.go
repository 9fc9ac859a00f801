package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

// The two baselines live here: they talk to the same sandbox vendors
// through the same client adapters as the engine, but without its worker
// model. What they share is the least a naive client needs to work at all
// against these vendors:
//
//   - one HTTP transport for every vendor, with a generous connection
//     pool (MaxIdleConnsPerHost 1024) so the measurement is about the
//     strategy, not about Go's default of two idle connections per host,
//     and a cap of BaselineMaxConns connections (in-process each loopback
//     connection costs two file descriptors, and the process may have
//     20,000);
//   - one OAuth2 token per token vendor, fetched on first use and again
//     when it expires or is rejected (what oauth2.ReuseTokenSource does);
//   - for session vendors, a process-wide pool of at most MaxSessions
//     sessions, logged in on first need, each lent to one call at a time:
//     the sandbox, like the legacy systems it imitates, evicts the oldest
//     session when an account logs in once more than that, so a client that
//     logs in per call or per search fails outright as soon as two run at
//     once;
//   - no retries: a 429, a 5xx or a timeout fails that call, and the search
//     is incomplete.

// BaselineMaxConns caps the baselines' connections to the sandbox.
const BaselineMaxConns = 4096

// naive is the client both baselines use.
type naive struct {
	hc      *http.Client
	tr      *http.Transport
	vendors map[string]*naiveVendor
	order   []string
}

type naiveVendor struct {
	v    hotelrates.Vendor
	info hotelrates.VendorInfo

	mu   sync.Mutex // the token; held while fetching a new one
	tok  hotelrates.Credential
	have bool

	slots chan struct{}              // sessions that may be open (or leased)
	idle  chan hotelrates.Credential // sessions logged in and not leased
}

func newNaive(vendors []hotelrates.Vendor) *naive {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		MaxConnsPerHost:     BaselineMaxConns,
		IdleConnTimeout:     90 * time.Second,
	}
	n := &naive{
		tr:      tr,
		hc:      &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		vendors: map[string]*naiveVendor{},
	}
	for _, v := range vendors {
		info := v.Info()
		nv := &naiveVendor{v: v, info: info}
		if info.Auth == hotelrates.AuthSession {
			nv.slots = make(chan struct{}, max(1, info.MaxSessions))
			nv.idle = make(chan hotelrates.Credential, max(1, info.MaxSessions))
		}
		n.vendors[info.Name] = nv
		n.order = append(n.order, info.Name)
	}
	return n
}

// close logs out the idle sessions and closes idle connections.
func (n *naive) close() {
	for _, name := range n.order {
		nv := n.vendors[name]
		if nv.idle == nil {
			continue
		}
		sc, ok := nv.v.(hotelrates.SessionCloser)
	drain:
		for {
			select {
			case c := <-nv.idle:
				if ok {
					ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
					sc.CloseSession(ctx, n.hc, c)
					cancel()
				}
			default:
				break drain
			}
		}
	}
	n.tr.CloseIdleConnections()
}

// fetch makes one call for hotels to the named vendor, with the naive auth
// above; a rejected credential is replaced and the call made once more.
func (n *naive) fetch(ctx context.Context, vendor string, hotels []string, stay hotelrates.Stay) ([]hotelrates.HotelOffers, error) {
	nv := n.vendors[vendor]
	if nv == nil {
		return nil, fmt.Errorf("unknown vendor %q", vendor)
	}
	q := hotelrates.Query{Stay: stay, HotelIDs: hotels}
	switch nv.info.Auth {
	case hotelrates.AuthToken:
		for attempt := 0; ; attempt++ {
			cred, err := nv.token(ctx, n.hc)
			if err != nil {
				return nil, err
			}
			out, err := nv.v.Fetch(ctx, n.hc, cred, q)
			if k, ok := hotelrates.KindOf(err); ok && k == hotelrates.ErrUnauthorized && attempt == 0 {
				nv.dropToken(cred)
				continue
			}
			return out, err
		}
	case hotelrates.AuthSession:
		select {
		case nv.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
		defer func() { <-nv.slots }()
		for attempt := 0; ; attempt++ {
			var cred hotelrates.Credential
			select {
			case cred = <-nv.idle:
			default:
				var err error
				if cred, err = nv.v.Authenticate(ctx, n.hc); err != nil {
					return nil, err
				}
			}
			out, err := nv.v.Fetch(ctx, n.hc, cred, q)
			k, isVE := hotelrates.KindOf(err)
			if isVE && k == hotelrates.ErrUnauthorized {
				if attempt == 0 {
					continue // the session is gone: log in again
				}
				return out, err
			}
			nv.idle <- cred // never blocks: a slot is held for it
			return out, err
		}
	default:
		return nv.v.Fetch(ctx, n.hc, hotelrates.Credential{}, q)
	}
}

func (nv *naiveVendor) token(ctx context.Context, hc *http.Client) (hotelrates.Credential, error) {
	nv.mu.Lock()
	defer nv.mu.Unlock()
	if nv.have && (nv.tok.Expires.IsZero() || time.Until(nv.tok.Expires) > 10*time.Second) {
		return nv.tok, nil
	}
	c, err := nv.v.Authenticate(ctx, hc)
	if err != nil {
		return c, err
	}
	nv.tok, nv.have = c, true
	return c, nil
}

func (nv *naiveVendor) dropToken(c hotelrates.Credential) {
	nv.mu.Lock()
	if nv.tok.Secret == c.Secret {
		nv.have = false
	}
	nv.mu.Unlock()
}

// carried returns the vendor's codes of the hotels it carries, by the
// sandbox's own mapping: the baselines, like the engine, ask a vendor
// only for those.
func carried(vendor string, hotels []string) []string {
	out := make([]string, 0, len(hotels))
	for _, h := range hotels {
		if c, ok := sandbox.VendorCode(vendor, h); ok {
			out = append(out, c)
		}
	}
	return out
}

// sequentialSearch makes one vendor call after another: vendor by vendor,
// each vendor's hotels in batches of its MaxBatch (one hotel per call for a
// single-hotel vendor). A failed call does not stop it: the next batch
// still gets its chance within the deadline. The answer says whether every
// call succeeded, or else whether only the deadline cut the search short.
func (n *naive) sequentialSearch(ctx context.Context, req request) answer {
	calls, failed, hard := 0, 0, 0
	var firstErr error
	for _, name := range req.vendors {
		nv := n.vendors[name]
		if nv == nil {
			return answer{err: fmt.Errorf("unknown vendor %q", name)}
		}
		b := max(1, nv.info.MaxBatch)
		hotels := carried(name, req.hotels)
		for i := 0; i < len(hotels); i += b {
			if ctx.Err() != nil {
				return answer{calls: calls, failed: failed + 1, partial: hard == 0, err: firstErrOr(firstErr, context.Cause(ctx))}
			}
			_, err := n.fetch(ctx, name, hotels[i:min(i+b, len(hotels))], req.stay)
			calls++
			if err != nil {
				failed++
				if ctx.Err() == nil {
					hard++
				}
				firstErr = firstErrOr(firstErr, err)
			}
		}
	}
	return answer{complete: failed == 0, partial: failed > 0 && hard == 0, calls: calls, failed: failed, err: firstErr}
}

// goroutinePerHotelSearch starts one goroutine per hotel and vendor
// (unbounded), each making one single-hotel call, with the results on a
// channel buffered for all of them; it returns when all have reported
// (each is bounded by ctx). A call that failed once ctx had ended was cut
// off by the deadline; the answer is partial if every failed call was.
func (n *naive) goroutinePerHotelSearch(ctx context.Context, req request) answer {
	type res struct {
		err  error
		late bool // failed after the search's deadline
	}
	asked := map[string][]string{}
	total := 0
	for _, name := range req.vendors {
		if n.vendors[name] == nil {
			return answer{err: fmt.Errorf("unknown vendor %q", name)}
		}
		asked[name] = carried(name, req.hotels)
		total += len(asked[name])
	}
	results := make(chan res, total)
	for _, name := range req.vendors {
		for _, h := range asked[name] {
			go func() {
				_, err := n.fetch(ctx, name, []string{h}, req.stay)
				results <- res{err: err, late: err != nil && ctx.Err() != nil}
			}()
		}
	}
	a := answer{}
	hard := 0
	for range cap(results) {
		r := <-results
		a.calls++
		if r.err != nil {
			a.failed++
			if !r.late {
				if hard == 0 {
					a.err = r.err // a failure of its own says more than the deadline
				}
				hard++
			}
			a.err = firstErrOr(a.err, r.err)
		}
	}
	a.complete = a.failed == 0
	a.partial = a.failed > 0 && hard == 0
	return a
}

func firstErrOr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// errUnknownStrategy is returned for a strategy name this package lacks.
var errUnknownStrategy = errors.New("unknown strategy")
