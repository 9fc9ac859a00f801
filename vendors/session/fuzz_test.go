package session

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"hotelrates"
	"hotelrates/sandbox"
)

// fuzzSession is the id of a session the fuzz servers keep open.
const fuzzSession = "0123456789abcdef0123456789abcdef"

var faultStatus = map[string]int{
	CodeAuthFailed: 401, CodeInvalidSession: 401, CodeSessionBusy: 409, CodeTooManyHotels: 400,
	CodeInvalidRequest: 400, CodeNotFound: 404, CodeMethodNotAllowed: 405, CodeRateLimited: 429,
	CodeInternalError: 500, CodeServiceUnavailable: 503,
}

// fuzzServer is a server without latency or faults whose session
// fuzzSession is (re)opened before each input.
func fuzzServer(f *testing.F) (*server, http.Handler) {
	cfg := sandbox.DefaultConfig().Vendors.Session
	cfg.Latency = sandbox.Latency{}
	done := make(chan struct{})
	f.Cleanup(func() { close(done) })
	srv := newServer(sandbox.NewBackend(sandbox.Session, cfg, 1, done), nil)
	return srv, srv.routes()
}

// fuzzPost feeds body to path and checks the answer: never a 500, and an
// error answer is a well-formed Fault with the code's status.
func fuzzPost(t *testing.T, srv *server, h http.Handler, path, body string) {
	srv.mu.Lock()
	srv.sessions[fuzzSession] = &sess{seq: 0, lastEnd: srv.now()}
	srv.mu.Unlock()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
	if w.Code >= 500 {
		t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
	}
	if strings.Contains(w.Body.String(), sandbox.DemoSessionPassword) {
		t.Fatalf("the password is in the answer %s", w.Body)
	}
	if w.Code == 200 {
		return
	}
	var fx faultXML
	if err := xml.Unmarshal(w.Body.Bytes(), &fx); err != nil {
		t.Fatalf("status %d with a body that is no Fault: %s", w.Code, w.Body)
	}
	if faultStatus[fx.Code] != w.Code {
		t.Fatalf("fault %s with status %d", fx.Code, w.Code)
	}
}

func FuzzLoginRQ(f *testing.F) {
	for _, s := range []string{
		`<LoginRQ><User>demo-session</User><Password>session-demo-password</Password></LoginRQ>`,
		`<LoginRQ><User>demo-session</User><Password>wrong</Password></LoginRQ>`,
		`<?xml version="1.0"?><LoginRQ><User>a</User></LoginRQ><!-- c -->`,
		`<LoginRQ><User>demo-session</User><Password>session-demo-password</Pass`,
		`<LoginRQ><User><![CDATA[demo-session]]></User><Password>&amp;</Password></LoginRQ>`,
		`<LoginRQ xmlns="urn:x"><User>demo-session</User></LoginRQ>junk`,
		``, `<`, `<LoginRQ/>`, `{"user":"x"}`, "\x00\xff",
	} {
		f.Add(s)
	}
	srv, h := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body string) { fuzzPost(t, srv, h, "/login", body) })
}

func FuzzAvailRQ(f *testing.F) {
	for _, s := range []string{
		availBody(fuzzSession, "H00001", "H00005", "X1", "H00001"),
		availBody(fuzzSession),
		availBody("nope", "H00001"),
		availBody(fuzzSession, strings.Split(strings.Repeat("H00001,", 21), ",")...),
		`<AvailRQ SessionID="` + fuzzSession + `"><Stay CheckIn="2026-12-01" CheckOut="2027-02-01" Adults="2" Rooms="1" Currency="USD"/><Hotel id="H1"/></AvailRQ>`,
		`<AvailRQ SessionID="` + fuzzSession + `"><Stay CheckIn="2026-12-01" CheckOut="2026-12-02" Adults="9" Rooms="9" Currency="GBP"/><Hotel id="H20000"/></AvailRQ>`,
		`<AvailRQ SessionID="` + fuzzSession + `"><Stay CheckIn="0001-01-01" CheckOut="9999-12-31" Adults="007" Rooms="1" Currency="EUR"/><Hotel id="&#x41;"/></AvailRQ>`,
		`<AvailRQ SessionID="` + fuzzSession + `"><Hotel id="H00001"/></AvailRQ>`,
		`<AvailRQ SessionID="` + fuzzSession + `"><Stay`,
		``, `<AvailRQ/>`, `<Fault code="x"/>`, "<AvailRQ SessionID='\x00'/>",
	} {
		f.Add(s)
	}
	srv, h := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body string) { fuzzPost(t, srv, h, "/availability", body) })
}

func FuzzLogoutRQ(f *testing.F) {
	for _, s := range []string{
		`<LogoutRQ SessionID="` + fuzzSession + `"/>`,
		`<LogoutRQ SessionID="nope"/>`,
		`<LogoutRQ/>`, `<LogoutRQ`, ``, `<LogoutRQ SessionID="` + fuzzSession + `"></LogoutRQ><x/>`,
	} {
		f.Add(s)
	}
	srv, h := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body string) { fuzzPost(t, srv, h, "/logout", body) })
}

func FuzzDecodeAvail(f *testing.F) {
	q := hotelrates.Query{Stay: stay, HotelIDs: []string{"H00001", "H00002", "X1"}}
	rs := answer(sandbox.Session, query{stay: stay, hotels: q.HotelIDs})
	for _, s := range []string{
		string(rs),
		string(rs[:len(rs)/2]),
		string(rs[:len(rs)/2]) + "\x00#garbage<{",
		`<AvailRS><Hotel id="H00001" status="available"><Offer Room="R" Board="BB" Total="1.5" Currency="USD" Refundable="false"/></Hotel><Hotel id="H00002" status="soldout"/><Hotel id="X1" status="unknown"/></AvailRS>`,
		`<AvailRS><Hotel id="H00001" status="available"><Offer Room="R" Board="BB" Total="-0.00" Currency="USD" Refundable="true" CancelDeadline="2026-11-28T18:00:00+02:00"/></Hotel><Hotel id="H00002" status="soldout"/><Hotel id="X1" status="unknown"/></AvailRS>`,
		`<AvailRS/>`, ``, `<Fault code="InternalError">x</Fault>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got, err := decodeAvail("session", []byte(body), q)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, h := range got {
			if seen[h.HotelID] || (h.HotelID != "H00001" && h.HotelID != "H00002" && h.HotelID != "X1") {
				t.Fatalf("hotel %q decoded from %q", h.HotelID, body)
			}
			seen[h.HotelID] = true
			if len(h.Offers) == 0 {
				t.Fatalf("hotel %q without offers", h.HotelID)
			}
			for _, o := range h.Offers {
				if o.Total.Currency != "USD" || o.Vendor != "session" || (!o.Refundable && !o.CancelDeadline.IsZero()) {
					t.Fatalf("offer %+v decoded from %q", o, body)
				}
			}
		}
	})
}
