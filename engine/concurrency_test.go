package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"hotelrates"
)

// The tests in this file pin down interleavings between searches, the
// queue worker, the gate and the token manager, driving the internals
// directly where a search alone cannot force the order.

// fakeVendor answers every hotel with no offers (after delay[hotel] of a
// one-hotel call, when set), or blocks until its call is cancelled; it
// counts logins and logouts.
type fakeVendor struct {
	info            hotelrates.VendorInfo
	block           bool
	delay           map[string]time.Duration
	inFetch         chan struct{}
	failLogin       int64 // the login with this number fails
	calls           atomic.Int64
	logins, logouts atomic.Int64
	mu              sync.Mutex
	fetched         []string // hotels in the order calls asked for them
}

func (v *fakeVendor) Info() hotelrates.VendorInfo { return v.info }

func (v *fakeVendor) Authenticate(context.Context, *http.Client) (hotelrates.Credential, error) {
	n := v.logins.Add(1)
	if n == v.failLogin {
		return hotelrates.Credential{}, errors.New("login refused")
	}
	return hotelrates.Credential{Secret: fmt.Sprint("s", n), Expires: time.Now().Add(time.Hour)}, nil
}

func (v *fakeVendor) CloseSession(context.Context, *http.Client, hotelrates.Credential) error {
	v.logouts.Add(1)
	return nil
}

func (v *fakeVendor) Fetch(ctx context.Context, _ *http.Client, _ hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	v.calls.Add(1)
	v.mu.Lock()
	v.fetched = append(v.fetched, q.HotelIDs...)
	v.mu.Unlock()
	if len(q.HotelIDs) == 1 && v.delay[q.HotelIDs[0]] > 0 {
		time.Sleep(v.delay[q.HotelIDs[0]])
	}
	if v.block {
		select {
		case v.inFetch <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return nil, &hotelrates.VendorError{Vendor: v.info.Name, Kind: hotelrates.ErrUnavailable, Err: ctx.Err()}
	}
	out := make([]hotelrates.HotelOffers, len(q.HotelIDs))
	for i, id := range q.HotelIDs {
		out[i] = hotelrates.HotelOffers{HotelID: id}
	}
	return out, nil
}

func fakeStay() hotelrates.Stay {
	return hotelrates.Stay{CheckIn: hotelrates.MustDate("2027-03-10"), CheckOut: hotelrates.MustDate("2027-03-13"), Adults: 2, Rooms: 1, Currency: "EUR"}
}

func fakeEngine(t *testing.T, vc VendorConfig) *Engine {
	t.Helper()
	e, err := New(Options{Vendors: []VendorConfig{vc}, DefaultTimeout: time.Minute, MaxTimeout: time.Minute, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(context.Background()) })
	return e
}

// throttleFirst answers its first call with 429 and a Retry-After.
type throttleFirst struct {
	fakeVendor
	after time.Duration
	at    []time.Time // when each call came
}

func (v *throttleFirst) Fetch(ctx context.Context, hc *http.Client, c hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	v.mu.Lock()
	v.at = append(v.at, time.Now())
	first := len(v.at) == 1
	v.mu.Unlock()
	if first {
		return nil, &hotelrates.VendorError{Vendor: v.info.Name, Kind: hotelrates.ErrThrottled, Status: 429, RetryAfter: v.after}
	}
	return v.fakeVendor.Fetch(ctx, hc, c, q)
}

// A Retry-After holds back every queued call until it ends, and searches
// that end while their calls wait behind it are not the vendor's
// failures: the breaker stays closed and the vendor is not called.
func TestRetryAfterHoldsBackQueuedCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		vend := &throttleFirst{fakeVendor: fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 1, Auth: hotelrates.AuthNone}}, after: 5 * time.Second}
		e := fakeEngine(t, VendorConfig{Vendor: vend, Concurrency: 4, RetryAttempts: 1})
		e.Search(context.Background(), hotelrates.Search{Stay: fakeStay(), HotelIDs: []string{"h0"}, Timeout: time.Second})
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				e.Search(context.Background(), hotelrates.Search{Stay: fakeStay(), HotelIDs: []string{fmt.Sprint("h", i+1)}, Timeout: 100 * time.Millisecond})
			})
		}
		wg.Wait()
		if st := e.Health()["v"]; st != nil {
			t.Errorf("breaker: %v after searches that ended behind a pause", st)
		}
		if n := vend.calls.Load(); n != 0 {
			t.Errorf("vendor called %d times during its pause", n)
		}
		start := time.Now()
		res, err := e.Search(context.Background(), hotelrates.Search{Stay: fakeStay(), HotelIDs: []string{"h9"}, Timeout: 10 * time.Second})
		if err != nil || !res.Complete {
			t.Fatalf("%v %+v", err, res.Vendors)
		}
		vend.mu.Lock()
		defer vend.mu.Unlock()
		if len(vend.at) != 2 || vend.at[1].Sub(vend.at[0]) < 5*time.Second || time.Since(start) > 5*time.Second {
			t.Errorf("calls at %v: the second should wait out the 5 s pause", vend.at)
		}
	})
}

// Sessions out on a call when the engine closes are logged out too.
func TestSessionsOnACallAreLoggedOutAtClose(t *testing.T) {
	for i := range 5 {
		synctest.Test(t, func(t *testing.T) {
			vend := &fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 1, Auth: hotelrates.AuthSession, MaxSessions: 2}, block: true, inFetch: make(chan struct{}, 1)}
			e := fakeEngine(t, VendorConfig{Vendor: vend, Concurrency: 2})
			done := make(chan struct{})
			go func() {
				defer close(done)
				e.Search(context.Background(), hotelrates.Search{Stay: fakeStay(), HotelIDs: []string{"h1"}, Timeout: 30 * time.Second})
			}()
			<-vend.inFetch
			if err := e.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			<-done
			if in, out := vend.logins.Load(), vend.logouts.Load(); in != out {
				t.Fatalf("run %d: %d logins, %d logouts", i, in, out)
			}
		})
	}
}

// A more urgent search that joins a queued job moves the job up the
// deadline order: it is not served as late as the job's first search
// could wait.
func TestUrgentJoinMovesAQueuedJobUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		vend := &fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 1, Auth: hotelrates.AuthNone}, block: true, inFetch: make(chan struct{}, 1)}
		e := fakeEngine(t, VendorConfig{Vendor: vend, Concurrency: 1, MinWorkers: 1, MaxWorkers: 1})
		search := func(id, hotel string, timeout time.Duration) <-chan hotelrates.Result {
			out := make(chan hotelrates.Result, 1)
			go func() {
				r, _ := e.Search(context.Background(), hotelrates.Search{ID: id, Stay: fakeStay(), HotelIDs: []string{hotel}, Timeout: timeout})
				out <- r
			}()
			synctest.Wait()
			return out
		}
		blocker := search("blocker", "h0", 2*time.Second) // holds the one loader
		<-vend.inFetch
		late1 := search("late1", "h1", 30*time.Second)
		late2 := search("late2", "h2", 20*time.Second)
		// An urgent search for h1 joins late1's job, queued behind late2's.
		urgent := search("urgent", "h1", 5*time.Second)
		if c := e.Vendors()[0].Coalesced; c != 1 {
			t.Fatalf("coalesced %d", c)
		}
		<-blocker // ends at its deadline; the loader takes the next job after the grace
		<-vend.inFetch
		vend.mu.Lock()
		fetched := slices.Clone(vend.fetched)
		vend.mu.Unlock()
		if !slices.Equal(fetched, []string{"h0", "h1"}) {
			t.Errorf("calls asked for %v; want h1 (joined by the urgent search) before h2", fetched)
		}
		e.Close(context.Background())
		<-late1
		<-late2
		<-urgent
	})
}

// Jobs of one deadline go out in arrival order (seq) even when they reach
// the queue out of order: B's call, planned second but committed last,
// goes before C's, planned third with the same deadline.
func TestQueueTieBreakIsArrivalOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := &fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 1, Auth: hotelrates.AuthNone}}
		q := newHandQueue(t, v, VendorConfig{Concurrency: 1, MinConcurrency: 1, MaxWorkers: 1})
		q.search(1, []string{"h1"}, time.Second, true)  // seq 1
		q.search(2, []string{"h2"}, time.Second, false) // seq 2, reserved
		q.search(3, []string{"h3"}, time.Second, true)  // seq 3, the same deadline (one instant in the bubble)
		q.commit(2)
		for range 3 {
			q.step()
		}
		if want := []string{"h1", "h2", "h3"}; !slices.Equal(v.fetched, want) {
			t.Errorf("calls in order %v, want %v", v.fetched, want)
		}
	})
}

// The first hotel to complete goes at once when nothing was passed on in
// the stream interval before: a vendor's answer that completed no hotel
// (another vendor still owes it) is not a batch, and holds no hotel back.
func TestStreamFirstBatchNotHeldByAnEmptyOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &fakeVendor{info: hotelrates.VendorInfo{Name: "a", MaxBatch: 1, Auth: hotelrates.AuthNone},
			delay: map[string]time.Duration{"h1": time.Millisecond, "h2": time.Millisecond}}
		b := &fakeVendor{info: hotelrates.VendorInfo{Name: "b", MaxBatch: 1, Auth: hotelrates.AuthNone},
			delay: map[string]time.Duration{"h1": 5 * time.Millisecond, "h2": 50 * time.Millisecond}}
		e, err := New(Options{
			Vendors:        []VendorConfig{{Vendor: a, Concurrency: 4}, {Vendor: b, Concurrency: 4}},
			DefaultTimeout: time.Second, MaxTimeout: time.Second, StreamInterval: 10 * time.Millisecond,
			Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close(context.Background())
		start := time.Now()
		var at []time.Duration
		_, err = e.Stream(context.Background(), hotelrates.Search{HotelIDs: []string{"h1", "h2"}, Stay: fakeStay()}, func(hs []hotelrates.HotelResult) error {
			at = append(at, time.Since(start))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []time.Duration{5 * time.Millisecond, 50 * time.Millisecond}; !slices.Equal(at, want) {
			t.Errorf("onHotels at %v; want %v, as each hotel completed (no batch went in the interval before)", at, want)
		}
	})
}

// TestSlowStreamStillEndsOnTime: a stream whose writer takes as long as
// the interval keeps finding answers waiting; it still sees its cancelled
// context at once, and its deadline.
func TestSlowStreamStillEndsOnTime(t *testing.T) {
	for _, cancelAt := range []time.Duration{0, 30 * time.Millisecond} {
		t.Run(fmt.Sprint("cancel at ", cancelAt), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				v := &fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 1, Auth: hotelrates.AuthNone}, delay: map[string]time.Duration{}}
				hotels := hotelIDs(1, 5000) // 625 ms of work at 8 calls of 1 ms
				for _, h := range hotels {
					v.delay[h] = time.Millisecond
				}
				e, err := New(Options{
					Vendors:        []VendorConfig{{Vendor: v, Concurrency: 8, MinConcurrency: 8, MinWorkers: 8}},
					DefaultTimeout: time.Second, MaxTimeout: time.Second, StreamInterval: time.Millisecond,
					Logger: slog.New(slog.DiscardHandler),
				})
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close(context.Background())
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if cancelAt > 0 {
					time.AfterFunc(cancelAt, cancel)
				}
				start := time.Now()
				const timeout = 400 * time.Millisecond // stops collecting at 380 ms
				_, err = e.Stream(ctx, hotelrates.Search{Stay: fakeStay(), HotelIDs: hotels, Timeout: timeout}, func(hs []hotelrates.HotelResult) error {
					time.Sleep(time.Millisecond) // a client as slow as the interval
					return nil
				})
				el := time.Since(start)
				if cancelAt > 0 {
					if err == nil || el > cancelAt+50*time.Millisecond {
						t.Errorf("cancelled at %v: ended after %v with err %v", cancelAt, el, err)
					}
				} else if el > timeout-answerMargin(timeout)+20*time.Millisecond {
					t.Errorf("search ended after %v; it stops collecting at %v", el, timeout-answerMargin(timeout))
				}
			})
		})
	}
}

// A caller waiting for a session when the last one is dropped during a
// login failure's hold gets a new session once the hold ends, not an
// answer at its own deadline.
func TestSessionWaiterServedAfterLoginFailureHold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		vend := &fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 1, Auth: hotelrates.AuthSession, MaxSessions: 2}, failLogin: 2}
		m := newTokenManager("v", vend, hotelrates.AuthSession, http.DefaultClient, VendorConfig{Concurrency: 2, AuthTimeout: time.Second}, slog.New(slog.DiscardHandler), NewMetrics(nil))
		ctx, cancel := context.WithCancel(context.Background())
		go m.run(ctx)
		defer func() { cancel(); <-m.done }()
		c1, err := m.acquire(ctx, nil) // login 1
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.acquire(ctx, nil); err == nil { // login 2 fails: the hold starts
			t.Fatal("second login should fail")
		}
		wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer wcancel()
		got := make(chan error, 1)
		go func() {
			c, err := m.acquire(wctx, nil)
			if err == nil {
				m.release(c, false)
			}
			got <- err
		}()
		synctest.Wait()     // the caller waits for a session
		m.release(c1, true) // the vendor rejected session 1: none is left
		if err := <-got; err != nil {
			t.Errorf("waiting caller: %v", err)
		}
		if wctx.Err() != nil {
			t.Error("the waiting caller was answered only at its deadline")
		}
	})
}

// tokenVendor grants tokens that live ttl; logins after the first fail
// when failRefresh is set.
type tokenVendor struct {
	fakeVendor
	ttl         time.Duration
	failRefresh bool
}

func (v *tokenVendor) Authenticate(context.Context, *http.Client) (hotelrates.Credential, error) {
	n := v.logins.Add(1)
	if n > 1 && v.failRefresh {
		return hotelrates.Credential{}, errors.New("refresh refused")
	}
	return hotelrates.Credential{Secret: fmt.Sprint("t", n), Expires: time.Now().Add(v.ttl)}, nil
}

// The published token is what the manager would answer: the same token
// until it is revoked or expires, never one past its expiry, and a revoked
// one is not handed out again.
func TestPublishedTokenFollowsTheManager(t *testing.T) {
	for _, tt := range []struct {
		name        string
		failRefresh bool
		revoke      bool
		wait        time.Duration
		want        string // the token the next acquire gets; "" an error
	}{
		{name: "in its lifetime", wait: 30 * time.Second, want: "t1"},
		{name: "refreshed before expiry", wait: 59 * time.Second, want: "t2"},
		{name: "revoked", revoke: true, want: "t2"},
		{name: "revoked, refresh failing", revoke: true, failRefresh: true, want: ""},
		{name: "expired, refresh failing", failRefresh: true, wait: 61 * time.Second, want: ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				vend := &tokenVendor{fakeVendor: fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 1, Auth: hotelrates.AuthToken}}, ttl: time.Minute, failRefresh: tt.failRefresh}
				m := newTokenManager("v", vend, hotelrates.AuthToken, http.DefaultClient, VendorConfig{Concurrency: 2, AuthTimeout: time.Second, RefreshBefore: 5 * time.Second}, slog.New(slog.DiscardHandler), NewMetrics(nil))
				ctx, cancel := context.WithCancel(context.Background())
				go m.run(ctx)
				defer func() { cancel(); <-m.done }()
				c, err := m.acquire(ctx, nil)
				if err != nil || c.Secret != "t1" {
					t.Fatalf("first acquire: %v %q", err, c.Secret)
				}
				if m.published.Load() == nil {
					t.Fatal("the token was not published")
				}
				if tt.revoke {
					m.invalidate(c)
				}
				time.Sleep(tt.wait)
				synctest.Wait()
				c, err = m.acquire(ctx, nil)
				switch {
				case tt.want == "" && err == nil:
					t.Errorf("got token %q past its expiry", c.Secret)
				case tt.want != "" && (err != nil || c.Secret != tt.want):
					t.Errorf("got %q, %v; want %q", c.Secret, err, tt.want)
				}
			})
		})
	}
}

// Once invalidate has returned, the caller's next acquire does not get the
// revoked token again (it is unpublished before the manager hears of it).
func TestRevokedTokenIsNotHandedOutAgain(t *testing.T) {
	vend := &tokenVendor{fakeVendor: fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 1, Auth: hotelrates.AuthToken}}, ttl: time.Hour}
	m := newTokenManager("v", vend, hotelrates.AuthToken, http.DefaultClient, VendorConfig{Concurrency: 2, AuthTimeout: time.Second, RefreshBefore: 5 * time.Second}, slog.New(slog.DiscardHandler), NewMetrics(nil))
	ctx, cancel := context.WithCancel(context.Background())
	go m.run(ctx)
	defer func() { cancel(); <-m.done }()
	again := 0
	for range 500 {
		c, err := m.acquire(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		m.invalidate(c)
		c2, err := m.acquire(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c2.Secret == c.Secret {
			again++
		}
	}
	if again > 0 {
		t.Errorf("a revoked token was handed out again %d times of 500", again)
	}
}

// hangOnce answers after a delay, except the first call for hang, which
// never answers (until its context ends).
type hangOnce struct {
	fakeVendor
	hang    string
	latency time.Duration
	hung    atomic.Bool
}

func (v *hangOnce) Fetch(ctx context.Context, hc *http.Client, c hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	if slices.Contains(q.HotelIDs, v.hang) && v.hung.CompareAndSwap(false, true) {
		v.calls.Add(1)
		<-ctx.Done()
		return nil, &hotelrates.VendorError{Vendor: v.info.Name, Kind: hotelrates.ErrUnavailable, Err: ctx.Err()}
	}
	time.Sleep(v.latency)
	return v.fakeVendor.Fetch(ctx, hc, c, q)
}

// A call that hangs, on a vendor whose calls otherwise answer in 20 ms,
// is given up after hangFactor times that latency (here hangMin, 1 s), long
// before the configured call timeout, and retried: the search is complete
// in about a second, not at its deadline, and one hang is not
// taken for the vendor's overload (its limit stays). With no latency known
// yet, only the configured timeout cuts a call.
func TestHungCallIsRetriedLongBeforeTheCallTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := &hangOnce{fakeVendor: fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 1, Auth: hotelrates.AuthNone}}, hang: "H-hang", latency: 20 * time.Millisecond}
		e := fakeEngine(t, VendorConfig{Vendor: v, Concurrency: 4, MinConcurrency: 1, CallTimeout: 10 * time.Second})
		ctx := context.Background()
		warmUp(t, e, 24)
		limit := e.Vendors()[0].ConcurrencyLimit
		start := time.Now()
		res, err := e.Search(ctx, hotelrates.Search{HotelIDs: []string{"H-hang", "A", "B", "C"}, Stay: fakeStay(), Timeout: 5 * time.Second})
		el := time.Since(start)
		if err != nil || !res.Complete {
			t.Fatalf("search: %v %+v", err, res.Vendors)
		}
		if el < hangMin || el > hangMin+100*time.Millisecond {
			t.Errorf("the search took %v: want the hung call cut after %v and retried", el, hangMin)
		}
		if st := res.Vendors[0]; st.Calls != 5 || st.Errors != 1 {
			t.Errorf("vendor status %+v: want 5 calls (one retried), 1 error", st)
		}
		if after := e.Vendors()[0].ConcurrencyLimit; after < limit {
			t.Errorf("one hang cut the limit from %.2f to %.2f", limit, after)
		}
	})
}

// slowDown answers in latency, which the test may change.
type slowDown struct {
	fakeVendor
	latency atomic.Int64
}

func (v *slowDown) Fetch(ctx context.Context, hc *http.Client, c hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	select {
	case <-time.After(time.Duration(v.latency.Load())):
	case <-ctx.Done():
		return nil, &hotelrates.VendorError{Vendor: v.info.Name, Kind: hotelrates.ErrUnavailable, Err: ctx.Err()}
	}
	return v.fakeVendor.Fetch(ctx, hc, c, q)
}

// A vendor that turns slower for good (20 ms, then 3 s a call) is not
// taken for hung on every call: each call given up teaches the latency,
// and within a few calls the new latency is waited for and the search
// completes.
func TestSlowerVendorIsSoonWaitedFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := &slowDown{fakeVendor: fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 1, Auth: hotelrates.AuthNone}}}
		v.latency.Store(int64(20 * time.Millisecond))
		e := fakeEngine(t, VendorConfig{Vendor: v, Concurrency: 4, MinConcurrency: 4, CallTimeout: 10 * time.Second})
		ctx := context.Background()
		warmUp(t, e, 24)
		v.latency.Store(int64(3 * time.Second))
		res, err := e.Search(ctx, hotelrates.Search{HotelIDs: []string{"A", "B", "C", "D", "E", "F", "G", "H"}, Stay: fakeStay(), Timeout: time.Minute})
		if err != nil || !res.Complete {
			t.Fatalf("search: %v %+v", err, res.Vendors)
		}
		if st := res.Vendors[0]; st.Calls > 16 {
			t.Errorf("vendor status %+v: %d calls for 8 hotels, the slower latency was not learnt", st, st.Calls)
		}
	})
}

// warmUp runs one search of n one-hotel calls, so the engine learns the
// vendor's latency.
func warmUp(t *testing.T, e *Engine, n int) {
	t.Helper()
	warm := make([]string, n)
	for i := range warm {
		warm[i] = fmt.Sprint("W", i)
	}
	if res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: warm, Stay: fakeStay()}); err != nil || !res.Complete {
		t.Fatalf("warm-up: %v %+v", err, res.Vendors)
	}
}

// slowAuth answers in 20 ms; its token fetch takes authDelay.
type slowAuth struct {
	fakeVendor
	authDelay time.Duration
}

func (v *slowAuth) Authenticate(context.Context, *http.Client) (hotelrates.Credential, error) {
	n := v.logins.Add(1)
	time.Sleep(v.authDelay)
	return hotelrates.Credential{Secret: fmt.Sprint("s", n), Expires: time.Now().Add(5 * time.Minute)}, nil
}

func (v *slowAuth) Fetch(ctx context.Context, hc *http.Client, c hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	time.Sleep(20 * time.Millisecond)
	return v.fakeVendor.Fetch(ctx, hc, c, q)
}

// sizeLatency answers a call of n hotels in 20 ms + 5 ms x n.
type sizeLatency struct{ fakeVendor }

func (v *sizeLatency) Fetch(ctx context.Context, hc *http.Client, c hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	time.Sleep(20*time.Millisecond + time.Duration(len(q.HotelIDs))*5*time.Millisecond)
	return v.fakeVendor.Fetch(ctx, hc, c, q)
}

// slowOne answers in 20 ms, and the hotel slow in 2 s, unless its
// context ends first.
type slowOne struct {
	fakeVendor
	slow string
}

func (v *slowOne) Fetch(ctx context.Context, hc *http.Client, c hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	d := 20 * time.Millisecond
	if slices.Contains(q.HotelIDs, v.slow) {
		d = 2 * time.Second
	}
	select {
	case <-time.After(d):
	case <-ctx.Done():
		return nil, &hotelrates.VendorError{Vendor: v.info.Name, Kind: hotelrates.ErrUnavailable, Err: ctx.Err()}
	}
	return v.fakeVendor.Fetch(ctx, hc, c, q)
}

// Slow calls that are not hung are not given up as hung: the wait for a
// token fetched on demand is not the call's (the hang clock starts when
// the call is sent), a batch of a size with too few answers yet is not
// judged by smaller batches' latency, and a session vendor's calls are
// cut only by call_timeout. Each search completes with no error.
func TestSlowButHealthyCallsAreNotTakenForHung(t *testing.T) {
	tests := []struct {
		name   string
		vendor hotelrates.Vendor
		cfg    func(*VendorConfig)
		warm   func(*testing.T, *Engine)
		hotels []string
	}{
		{
			name:   "a token fetched on demand, slower than the cut",
			vendor: &slowAuth{fakeVendor: fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 1, Auth: hotelrates.AuthToken}}, authDelay: 2 * time.Second},
			warm: func(t *testing.T, e *Engine) {
				warmUp(t, e, 24)
				time.Sleep(20 * time.Minute) // idle: the token lapses
			},
			hotels: []string{"A", "B", "C"},
		},
		{
			name:   "a batch of a size not seen yet",
			vendor: &sizeLatency{fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 100, Auth: hotelrates.AuthNone}}},
			cfg:    func(c *VendorConfig) { c.MaxWorkers = 1 }, // one call of 60: 320 ms
			warm: func(t *testing.T, e *Engine) {
				for i := range 30 {
					if _, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: []string{fmt.Sprint("S", i)}, Stay: fakeStay()}); err != nil {
						t.Fatal(err)
					}
				}
			},
			hotels: func() (ids []string) {
				for i := range 60 {
					ids = append(ids, fmt.Sprint("B", i))
				}
				return ids
			}(),
		},
		{
			name:   "a session vendor's slow call",
			vendor: &slowOne{fakeVendor: fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 1, Auth: hotelrates.AuthSession, MaxSessions: 4}}, slow: "slow"},
			warm:   func(t *testing.T, e *Engine) { warmUp(t, e, 24) },
			hotels: []string{"slow", "A"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				vc := VendorConfig{Vendor: tt.vendor, Concurrency: 4, MinConcurrency: 4, CallTimeout: 10 * time.Second}
				if tt.cfg != nil {
					tt.cfg(&vc)
				}
				e := fakeEngine(t, vc)
				tt.warm(t, e)
				res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: tt.hotels, Stay: fakeStay(), Timeout: 5 * time.Second})
				if err != nil || !res.Complete || res.Vendors[0].Errors != 0 {
					t.Errorf("%v %+v: want it complete, no call given up", err, res.Vendors)
				}
			})
		})
	}
}

// allHang answers in 20 ms until hang is set, then never (until its
// context ends), returning the context's error bare, as a plug-in adapter
// may.
type allHang struct {
	fakeVendor
	hang atomic.Bool
}

func (v *allHang) Fetch(ctx context.Context, hc *http.Client, c hotelrates.Credential, q hotelrates.Query) ([]hotelrates.HotelOffers, error) {
	if v.hang.Load() {
		v.calls.Add(1)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	time.Sleep(20 * time.Millisecond)
	return v.fakeVendor.Fetch(ctx, hc, c, q)
}

// When every call hangs, the hangs are the vendor's failure: past the first
// few (push backs then more than a fifth of the answers) they count for
// the breaker, which opens, also for an adapter that returns its context's
// error bare.
func TestHangingVendorOpensTheBreaker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := &allHang{fakeVendor: fakeVendor{info: hotelrates.VendorInfo{Name: "v", MaxBatch: 1, Auth: hotelrates.AuthNone}}}
		e := fakeEngine(t, VendorConfig{Vendor: v, Concurrency: 4, MinConcurrency: 4, CallTimeout: 3 * time.Second, BreakerFailures: 3})
		warmUp(t, e, 24)
		v.hang.Store(true)
		res, err := e.Search(context.Background(), hotelrates.Search{HotelIDs: []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"}, Stay: fakeStay(), Timeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if st := res.Vendors[0]; st.Status != hotelrates.StatusFailed || !strings.Contains(st.Error, "circuit") {
			t.Errorf("vendor status %+v: want the breaker open", st)
		}
	})
}
