package session

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

func TestInfoAndSecrets(t *testing.T) {
	c := New(Config{BaseURL: "http://x/session/", User: "u", Password: "pw"})
	want := hotelrates.VendorInfo{Name: "session", MaxBatch: 20, Auth: hotelrates.AuthSession, MaxSessions: 4}
	if got := c.Info(); got != want {
		t.Errorf("Info %+v, want %+v", got, want)
	}
	if got := c.Secrets(); !reflect.DeepEqual(got, []string{"pw"}) {
		t.Errorf("Secrets %v", got)
	}
	c = New(Config{Name: "gds", MaxBatch: 5, MaxSessions: 2})
	want = hotelrates.VendorInfo{Name: "gds", MaxBatch: 5, Auth: hotelrates.AuthSession, MaxSessions: 2}
	if got := c.Info(); got != want {
		t.Errorf("Info %+v, want %+v", got, want)
	}
	if got := c.Secrets(); len(got) != 0 {
		t.Errorf("Secrets %v, want none", got)
	}
}

func TestGroundTruth(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.login()
	ids := append(sandbox.HotelIDs(1, 12), "X1", "H99999", "H00004")
	ids = append(ids, soldOut(t, stay, 2)...)
	for _, s := range []hotelrates.Stay{
		stay,
		{CheckIn: hotelrates.MustDate("2027-03-10"), CheckOut: hotelrates.MustDate("2027-03-17"), Adults: 3, Rooms: 2, Currency: "EUR"},
		{CheckIn: hotelrates.MustDate("2026-07-01"), CheckOut: hotelrates.MustDate("2026-07-31"), Adults: 1, Rooms: 1, Currency: "GBP"},
	} {
		t.Run(s.Key(), func(t *testing.T) {
			q := hotelrates.Query{Stay: s, HotelIDs: ids}
			got, err := e.fetch(context.Background(), cred, q)
			if err != nil {
				t.Fatal(err)
			}
			want := expected(ids, s)
			if len(want) == 0 || len(want) == len(ids) {
				t.Fatalf("a poor test batch: %d of %d hotels with offers", len(want), len(ids))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Fetch:\n got %+v\nwant %+v", got, want)
			}
			for _, h := range got {
				for _, o := range h.Offers {
					if o.Vendor != "session" || o.Total.Currency != s.Currency {
						t.Fatalf("offer %+v", o)
					}
				}
			}
		})
	}
	// Duplicate ids are answered once.
	q := hotelrates.Query{Stay: stay, HotelIDs: []string{"H00001", "H00002", "H00001"}}
	got, err := e.fetch(context.Background(), cred, q)
	if err != nil {
		t.Fatal(err)
	}
	if want := expected(q.HotelIDs, stay); !reflect.DeepEqual(got, want) {
		t.Errorf("duplicates: got %+v, want %+v", got, want)
	}
	// A query without hotels needs no call.
	if got, err := e.fetch(context.Background(), cred, hotelrates.Query{Stay: stay}); got != nil || err != nil {
		t.Errorf("empty query: %v, %v", got, err)
	}
}

func TestDeterminism(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.login()
	q := hotelrates.Query{Stay: stay, HotelIDs: sandbox.HotelIDs(100, 119)}
	a, err := e.fetch(context.Background(), cred, q)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.fetch(context.Background(), e.login(), q)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) || len(a) == 0 {
		t.Errorf("two answers differ:\n%+v\n%+v", a, b)
	}
}

func TestCapacity(t *testing.T) {
	e := newEnv(t, func(c *sandbox.VendorConfig) { c.Latency.Base = 60 * time.Millisecond })
	const C = 4
	e.srv.maxSessions = 3 * C // enough sessions to overload the service slots
	var creds []hotelrates.Credential
	for range 3 * C {
		creds = append(creds, e.login())
	}
	var wg sync.WaitGroup
	for i, cred := range creds {
		wg.Go(func() {
			q := hotelrates.Query{Stay: stay, HotelIDs: sandbox.HotelIDs(i*5+1, i*5+5)}
			got, err := e.fetch(context.Background(), cred, q)
			if err != nil {
				t.Errorf("call %d: %v", i, err)
			} else if !reflect.DeepEqual(got, expected(q.HotelIDs, stay)) {
				t.Errorf("call %d: wrong offers", i)
			}
		})
	}
	wg.Wait()
	st := e.b.Stats()
	if st.PeakInService != C || st.PeakQueue == 0 || st.Throttled != 0 {
		t.Errorf("peak in service %d (want %d), peak queue %d (want > 0), throttled %d", st.PeakInService, C, st.PeakQueue, st.Throttled)
	}
}

func TestThrottled(t *testing.T) {
	t.Run("queue", func(t *testing.T) {
		e := newEnv(t, func(c *sandbox.VendorConfig) {
			c.Concurrency, c.QueueLimit = 2, 1
			c.Latency.Base = 150 * time.Millisecond
		})
		e.srv.maxSessions = 8
		var creds []hotelrates.Credential
		for range 8 {
			creds = append(creds, e.login())
		}
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			throttled int64
			was       hotelrates.Credential // a session that was throttled
		)
		for _, cred := range creds {
			wg.Go(func() {
				_, err := e.fetch(context.Background(), cred, hotelrates.Query{Stay: stay, HotelIDs: []string{"H00001"}})
				if err == nil {
					return
				}
				ve := wantKind(t, err, hotelrates.ErrThrottled)
				if ve.Status != 429 || ve.RetryAfter < time.Second {
					t.Errorf("status %d, retry after %v", ve.Status, ve.RetryAfter)
				}
				mu.Lock()
				throttled++
				was = cred
				mu.Unlock()
			})
		}
		wg.Wait()
		st := e.b.Stats()
		if throttled == 0 || throttled != st.Throttled || st.Status["429"] != throttled {
			t.Errorf("client saw %d throttled, vendor counted %d (status 429: %d)", throttled, st.Throttled, st.Status["429"])
		}
		if st.PeakInService > 2 {
			t.Errorf("peak in service %d over 2", st.PeakInService)
		}
		// A throttled call used its session, which is free again.
		if _, err := e.fetch(context.Background(), was, hotelrates.Query{Stay: stay, HotelIDs: []string{"H00001"}}); err != nil {
			t.Errorf("after throttling: %v", err)
		}
	})
	t.Run("rps", func(t *testing.T) {
		e := newEnv(t, func(c *sandbox.VendorConfig) { c.RPS, c.Burst = 0.5, 1 })
		cred := e.login()
		q := hotelrates.Query{Stay: stay, HotelIDs: []string{"H00001"}}
		if _, err := e.fetch(context.Background(), cred, q); err != nil {
			t.Fatal(err)
		}
		r := e.post("/availability", availBody(cred.Secret, "H00001"))
		r.fault(t, 429, CodeRateLimited)
		if ra := r.header.Get("Retry-After"); ra != "2" {
			t.Errorf("Retry-After %q, want 2", ra)
		}
		_, err := e.fetch(context.Background(), cred, q)
		if ve := wantKind(t, err, hotelrates.ErrThrottled); ve.RetryAfter < time.Second {
			t.Errorf("retry after %v", ve.RetryAfter)
		}
	})
}

func TestFaults(t *testing.T) {
	q := hotelrates.Query{Stay: stay, HotelIDs: sandbox.HotelIDs(1, 20)}
	tests := []struct {
		name  string
		set   func(*sandbox.Faults)
		kind  hotelrates.ErrorKind // ignored when ok
		ok    bool
		fault string
	}{
		{"500", func(f *sandbox.Faults) { f.Error500 = 1 }, hotelrates.ErrUnavailable, false, "error_500"},
		{"503", func(f *sandbox.Faults) { f.Error503 = 1 }, hotelrates.ErrUnavailable, false, "error_503"},
		{"hang", func(f *sandbox.Faults) { f.Hang = 1 }, hotelrates.ErrUnavailable, false, "hang"},
		{"malformed", func(f *sandbox.Faults) { f.Malformed = 1 }, hotelrates.ErrBadResponse, false, "malformed"},
		{"truncated", func(f *sandbox.Faults) { f.Truncated = 1 }, hotelrates.ErrBadResponse, false, "truncated"},
		{"slow body", func(f *sandbox.Faults) { f.SlowBody = 1 }, 0, true, "slow_body"},
		{"revoke", func(f *sandbox.Faults) { f.Revoke = 1 }, hotelrates.ErrUnauthorized, false, "revoke"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *sandbox.VendorConfig) { tc.set(&c.Faults) })
			cred := e.login()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			if tc.name == "hang" {
				ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
			}
			defer cancel()
			got, err := e.fetch(ctx, cred, q)
			if st := e.b.Stats(); st.Faults[tc.fault] != 1 {
				t.Errorf("faults %v, want one %s", st.Faults, tc.fault)
			}
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, expected(q.HotelIDs, stay)) {
					t.Error("wrong offers")
				}
				return
			}
			ve := wantKind(t, err, tc.kind)
			switch tc.name {
			case "503":
				if ve.Status != 503 || ve.RetryAfter != time.Second {
					t.Errorf("status %d, retry after %v", ve.Status, ve.RetryAfter)
				}
			case "500":
				if ve.Status != 500 || !strings.Contains(err.Error(), CodeInternalError) {
					t.Errorf("error %v", err)
				}
			case "truncated":
				// A body short enough to sit in the server's write buffer is
				// cut short too, not dropped with the headers.
				_, err := e.fetch(ctx, cred, hotelrates.Query{Stay: stay, HotelIDs: []string{"H00001"}})
				wantKind(t, err, hotelrates.ErrBadResponse)
				return
			case "hang":
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error %v is not a deadline", err)
				}
			case "revoke":
				if ve.Status != 401 || !strings.Contains(err.Error(), CodeInvalidSession) {
					t.Errorf("error %v", err)
				}
				// The session stays revoked; the account can log in again.
				_, err := e.fetch(context.Background(), cred, q)
				wantKind(t, err, hotelrates.ErrUnauthorized)
				e.post("/logout", `<LogoutRQ SessionID="`+cred.Secret+`"/>`).fault(t, 401, CodeInvalidSession)
				e.login()
			}
		})
	}
}

func TestStats(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.login()                                     // 200, grant
	e.post("/login", `<LoginRQ><User>x</User></LoginRQ>`) // 401
	e.fetch(context.Background(), cred, hotelrates.Query{ // 200, 3 hotels
		Stay: stay, HotelIDs: []string{"H00001", "H00002", "X1"}})
	e.post("/availability", availBody(cred.Secret, "H00001", "H 2")) // 400, 2 hotels
	e.post("/availability", `<AvailRQ`)                              // 400, 0 hotels
	e.post("/availability", availBody("nope", "H00001"))             // 401, 1 hotel
	e.do(http.MethodGet, "/availability", "")                        // 405
	e.post("/nope", "")                                              // 404
	e.client.CloseSession(context.Background(), e.hc, cred)          // 200
	st := e.b.Stats()
	want := sandbox.VendorStats{
		Requests: 9, RateCalls: 4, Hotels: 6, AuthGrants: 1, PeakInService: 1,
		Status: map[string]int64{"200": 3, "400": 2, "401": 2, "404": 1, "405": 1},
		Faults: map[string]int64{},
	}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("stats\n got %+v\nwant %+v", st, want)
	}
}

func TestDecodeAvail(t *testing.T) {
	q := hotelrates.Query{Stay: stay, HotelIDs: []string{"H1", "H2"}}
	const offer = `<Offer Room="Deluxe King" Board="BB" Total="245.10" Currency="USD" Refundable="true" CancelDeadline="2026-11-28T18:00:00Z"/>`
	wrap := func(h1 string) string {
		return `<AvailRS><Hotel id="H1" status="available">` + h1 + `</Hotel><Hotel id="H2" status="soldout"/></AvailRS>`
	}
	tests := []struct {
		name, body string
		ok         bool
	}{
		{"ok", wrap(offer), true},
		{"non-refundable", wrap(`<Offer Room="R" Board="RO" Total="10" Currency="USD" Refundable="false"/>`), true},
		{"extra hotel", `<AvailRS><Hotel id="H1" status="unknown"/><Hotel id="H2" status="unknown"/><Hotel id="H3" status="unknown"/></AvailRS>`, false},
		{"missing hotel", `<AvailRS><Hotel id="H1" status="unknown"/></AvailRS>`, false},
		{"twice", `<AvailRS><Hotel id="H1" status="unknown"/><Hotel id="H2" status="unknown"/><Hotel id="H1" status="unknown"/></AvailRS>`, false},
		{"other currency", wrap(strings.Replace(offer, `Currency="USD"`, `Currency="EUR"`, 1)), false},
		{"bad amount", wrap(strings.Replace(offer, `245.10`, `245.101`, 1)), false},
		{"float amount", wrap(strings.Replace(offer, `245.10`, `2.4510e2`, 1)), false},
		{"bad refundable", wrap(strings.Replace(offer, `"true"`, `"yes"`, 1)), false},
		{"bad deadline", wrap(strings.Replace(offer, `2026-11-28T18:00:00Z`, `2026-11-28`, 1)), false},
		{"deadline not refundable", wrap(strings.Replace(offer, `"true"`, `"false"`, 1)), false},
		{"no room", wrap(strings.Replace(offer, `Room="Deluxe King"`, ``, 1)), false},
		{"available without offers", wrap(``), false},
		{"soldout with offers", `<AvailRS><Hotel id="H1" status="soldout">` + offer + `</Hotel><Hotel id="H2" status="soldout"/></AvailRS>`, false},
		{"bad status", `<AvailRS><Hotel id="H1" status="maybe"/><Hotel id="H2" status="soldout"/></AvailRS>`, false},
		{"truncated", wrap(offer)[:60], false},
		{"wrong root", `<Fault code="InternalError">x</Fault>`, false},
		{"empty", ``, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeAvail("session", []byte(tc.body), q)
			if tc.ok != (err == nil) {
				t.Fatalf("error %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && (len(got) != 1 || got[0].HotelID != "H1" || got[0].Offers[0].Vendor != "session") {
				t.Errorf("decoded %+v", got)
			}
		})
	}
	got, _ := decodeAvail("session", []byte(wrap(offer)), q)
	want := hotelrates.Offer{Vendor: "session", Room: "Deluxe King", Board: "BB", Total: hotelrates.Money{Minor: 24510, Currency: "USD"},
		Refundable: true, CancelDeadline: time.Date(2026, 11, 28, 18, 0, 0, 0, time.UTC)}
	if !reflect.DeepEqual(got[0].Offers[0], want) {
		t.Errorf("offer %+v, want %+v", got[0].Offers[0], want)
	}
}
