package session

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"hotelrates"
	"hotelrates/sandbox"
)

var hexID = regexp.MustCompile(`^[0-9a-f]{32,}$`)

func TestLogin(t *testing.T) {
	good := `<LoginRQ><User>demo-session</User><Password>session-demo-password</Password></LoginRQ>`
	tests := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"ok", good, 200, ""},
		{"ok with declaration", `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + good + "\n<!-- done -->\n", 200, ""},
		{"wrong password", `<LoginRQ><User>demo-session</User><Password>nope</Password></LoginRQ>`, 401, CodeAuthFailed},
		{"wrong user", `<LoginRQ><User>someone</User><Password>session-demo-password</Password></LoginRQ>`, 401, CodeAuthFailed},
		{"password prefix", `<LoginRQ><User>demo-session</User><Password>session-demo</Password></LoginRQ>`, 401, CodeAuthFailed},
		{"no password", `<LoginRQ><User>demo-session</User></LoginRQ>`, 401, CodeAuthFailed},
		{"no user", `<LoginRQ><Password>session-demo-password</Password></LoginRQ>`, 401, CodeAuthFailed},
		{"empty body", ``, 400, CodeInvalidRequest},
		{"malformed", `<LoginRQ><User>demo-session</User><Password>session-demo-password</Pass`, 400, CodeInvalidRequest},
		{"wrong root", `<Login><User>demo-session</User><Password>session-demo-password</Password></Login>`, 400, CodeInvalidRequest},
		{"trailing element", good + `<LoginRQ/>`, 400, CodeInvalidRequest},
		{"json", `{"user":"demo-session","password":"session-demo-password"}`, 400, CodeInvalidRequest},
		{"bad entity", `<LoginRQ><User>demo-session</User><Password>&session-demo-password;</Password></LoginRQ>`, 400, CodeInvalidRequest},
		{"too large", `<LoginRQ><User>` + strings.Repeat("x", MaxRequestBody) + `</User></LoginRQ>`, 400, CodeInvalidRequest},
	}
	e := newEnv(t, nil)
	grants := int64(0)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.post("/login", tc.body)
			if tc.status != 200 {
				r.fault(t, tc.status, tc.code)
				return
			}
			grants++
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var rs loginRS
			if err := xml.Unmarshal([]byte(r.body), &rs); err != nil {
				t.Fatal(err)
			}
			if !hexID.MatchString(rs.SessionID) || rs.IdleTimeout != 120 {
				t.Errorf("login answer %+v", rs)
			}
		})
	}
	if got := e.b.Stats().AuthGrants; got != grants {
		t.Errorf("auth_grants %d, want %d", got, grants)
	}
}

func TestClientAuthenticate(t *testing.T) {
	e := newEnv(t, func(c *sandbox.VendorConfig) { c.SessionIdle = 90 * time.Second })
	cred := e.login()
	if !hexID.MatchString(cred.Secret) || cred.IdleTimeout != 90*time.Second || !cred.Expires.IsZero() {
		t.Errorf("credential: idle %v, expires %v, id ok %v", cred.IdleTimeout, cred.Expires, hexID.MatchString(cred.Secret))
	}
	if cred2 := e.login(); cred2.Secret == cred.Secret {
		t.Error("two logins gave the same session id")
	}
	for _, tc := range []struct{ name, user, password string }{
		{"wrong password", sandbox.DemoSessionUser, "wrong"},
		{"wrong user", "nobody", sandbox.DemoSessionPassword},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Config{BaseURL: e.base, User: tc.user, Password: tc.password})
			_, err := c.Authenticate(context.Background(), e.hc)
			ve := wantKind(t, err, hotelrates.ErrRejected)
			if ve.Status != 401 || ve.Retryable() {
				t.Errorf("status %d, retryable %v", ve.Status, ve.Retryable())
			}
			noSecrets(t, err, tc.password)
		})
	}
	if got := e.b.Stats().AuthGrants; got != 2 {
		t.Errorf("auth_grants %d, want 2", got)
	}
	// The vendor is down.
	c := New(Config{BaseURL: "http://127.0.0.1:1/session", User: "u", Password: "p"})
	_, err := c.Authenticate(context.Background(), e.hc)
	wantKind(t, err, hotelrates.ErrUnavailable)
}

func TestInvalidSession(t *testing.T) {
	e := newEnv(t, func(c *sandbox.VendorConfig) { c.SessionIdle = 60 * time.Second })
	loggedOut := e.login()
	if err := e.client.CloseSession(context.Background(), e.hc, loggedOut); err != nil {
		t.Fatal(err)
	}
	expired := e.login()
	e.clock.advance(61 * time.Second)
	tests := []struct{ name, sid string }{
		{"missing", ""},
		{"unknown", strings.Repeat("ab", 16)},
		{"expired", expired.Secret},
		{"logged out", loggedOut.Secret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.post("/availability", availBody(tc.sid, "H00001")).fault(t, 401, CodeInvalidSession)
			_, err := e.fetch(context.Background(), hotelrates.Credential{Secret: tc.sid}, hotelrates.Query{Stay: stay, HotelIDs: []string{"H00001"}})
			wantKind(t, err, hotelrates.ErrUnauthorized)
		})
	}
	// The missing attribute and an empty one are the same.
	e.post("/availability", `<AvailRQ><Stay CheckIn="2026-12-01" CheckOut="2026-12-03" Adults="2" Rooms="1" Currency="USD"/><Hotel id="H00001"/></AvailRQ>`).fault(t, 401, CodeInvalidSession)
}

func TestValidation(t *testing.T) {
	e := newEnv(t, nil)
	sid := e.login().Secret
	stayOf := func(attrs string) string {
		return `<AvailRQ SessionID="` + sid + `"><Stay ` + attrs + `/><Hotel id="H00001"/></AvailRQ>`
	}
	const okStay = `CheckIn="2026-12-01" CheckOut="2026-12-03" Adults="2" Rooms="1" Currency="USD"`
	hotels := make([]string, 21)
	for i := range hotels {
		hotels[i] = sandbox.HotelID(i + 1)
	}
	tests := []struct {
		name, body, code, mention string
	}{
		{"21 hotels", availBody(sid, hotels...), CodeTooManyHotels, "20"},
		{"no hotels", availBody(sid), CodeInvalidRequest, "Hotel"},
		{"empty hotel id", availBody(sid, ""), CodeInvalidRequest, "@id"},
		{"hotel id with space", availBody(sid, "H 1"), CodeInvalidRequest, "@id"},
		{"long hotel id", availBody(sid, strings.Repeat("H", 65)), CodeInvalidRequest, "@id"},
		{"no stay", `<AvailRQ SessionID="` + sid + `"><Hotel id="H00001"/></AvailRQ>`, CodeInvalidRequest, "Stay"},
		{"two stays", `<AvailRQ SessionID="` + sid + `"><Stay ` + okStay + `/><Stay ` + okStay + `/><Hotel id="H00001"/></AvailRQ>`, CodeInvalidRequest, "Stay"},
		{"check-in missing", stayOf(`CheckOut="2026-12-03" Adults="2" Rooms="1" Currency="USD"`), CodeInvalidRequest, "CheckIn"},
		{"check-in not a date", stayOf(`CheckIn="2026-13-01" CheckOut="2026-12-03" Adults="2" Rooms="1" Currency="USD"`), CodeInvalidRequest, "CheckIn"},
		{"check-in other format", stayOf(`CheckIn="01/12/2026" CheckOut="2026-12-03" Adults="2" Rooms="1" Currency="USD"`), CodeInvalidRequest, "CheckIn"},
		{"check-out bad", stayOf(`CheckIn="2026-12-01" CheckOut="2026-12-3" Adults="2" Rooms="1" Currency="USD"`), CodeInvalidRequest, "CheckOut"},
		{"check-out same day", stayOf(`CheckIn="2026-12-01" CheckOut="2026-12-01" Adults="2" Rooms="1" Currency="USD"`), CodeInvalidRequest, "CheckOut"},
		{"check-out before", stayOf(`CheckIn="2026-12-01" CheckOut="2026-11-30" Adults="2" Rooms="1" Currency="USD"`), CodeInvalidRequest, "CheckOut"},
		{"31 nights", stayOf(`CheckIn="2026-12-01" CheckOut="2027-01-01" Adults="2" Rooms="1" Currency="USD"`), CodeInvalidRequest, "CheckOut"},
		{"adults 0", stayOf(`CheckIn="2026-12-01" CheckOut="2026-12-03" Adults="0" Rooms="1" Currency="USD"`), CodeInvalidRequest, "Adults"},
		{"adults 10", stayOf(`CheckIn="2026-12-01" CheckOut="2026-12-03" Adults="10" Rooms="1" Currency="USD"`), CodeInvalidRequest, "Adults"},
		{"adults text", stayOf(`CheckIn="2026-12-01" CheckOut="2026-12-03" Adults="two" Rooms="1" Currency="USD"`), CodeInvalidRequest, "Adults"},
		{"adults signed", stayOf(`CheckIn="2026-12-01" CheckOut="2026-12-03" Adults="+2" Rooms="1" Currency="USD"`), CodeInvalidRequest, "Adults"},
		{"rooms missing", stayOf(`CheckIn="2026-12-01" CheckOut="2026-12-03" Adults="2" Currency="USD"`), CodeInvalidRequest, "Rooms"},
		{"rooms 10", stayOf(`CheckIn="2026-12-01" CheckOut="2026-12-03" Adults="2" Rooms="10" Currency="USD"`), CodeInvalidRequest, "Rooms"},
		{"currency JPY", stayOf(`CheckIn="2026-12-01" CheckOut="2026-12-03" Adults="2" Rooms="1" Currency="JPY"`), CodeInvalidRequest, "Currency"},
		{"currency lower case", stayOf(`CheckIn="2026-12-01" CheckOut="2026-12-03" Adults="2" Rooms="1" Currency="usd"`), CodeInvalidRequest, "Currency"},
		{"empty body", ``, CodeInvalidRequest, "AvailRQ"},
		{"malformed", `<AvailRQ SessionID="` + sid + `"><Stay`, CodeInvalidRequest, "XML"},
		{"wrong root", `<AvailabilityRQ/>`, CodeInvalidRequest, "AvailRQ"},
		{"trailing text", availBody(sid, "H00001") + `junk`, CodeInvalidRequest, "AvailRQ"},
		{"other charset", `<?xml version="1.0" encoding="ISO-8859-1"?>` + availBody(sid, "H00001"), CodeInvalidRequest, "AvailRQ"},
		{"too large", availBody(sid, "H00001") + strings.Repeat(" ", MaxRequestBody), CodeInvalidRequest, "bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := e.post("/availability", tc.body).fault(t, 400, tc.code)
			if !strings.Contains(f.Message, tc.mention) {
				t.Errorf("message %q does not mention %q", f.Message, tc.mention)
			}
		})
	}
	// Validation comes before the session checks.
	e.post("/availability", availBody("", "H 1")).fault(t, 400, CodeInvalidRequest)
	// The client sees a rejection.
	_, err := e.fetch(context.Background(), hotelrates.Credential{Secret: sid}, hotelrates.Query{Stay: stay, HotelIDs: hotels})
	ve := wantKind(t, err, hotelrates.ErrRejected)
	if !strings.Contains(ve.Error(), CodeTooManyHotels) {
		t.Errorf("error %q does not name the fault", ve)
	}
}

func TestEviction(t *testing.T) {
	e := newEnv(t, func(c *sandbox.VendorConfig) { c.Latency.Base = 150 * time.Millisecond })
	q := hotelrates.Query{Stay: stay, HotelIDs: []string{"H00001"}}
	first := e.login()
	// A request in service on the first session when it is evicted still
	// completes normally.
	var wg sync.WaitGroup
	var inflightErr error
	wg.Go(func() { _, inflightErr = e.fetch(context.Background(), first, q) })
	for e.b.Stats().InService == 0 {
		time.Sleep(time.Millisecond)
	}
	var others []hotelrates.Credential
	for range 4 {
		others = append(others, e.login())
	}
	wg.Wait()
	if inflightErr != nil {
		t.Fatalf("in-flight request on the evicted session: %v", inflightErr)
	}
	_, err := e.fetch(context.Background(), first, q)
	wantKind(t, err, hotelrates.ErrUnauthorized)
	for i, cred := range others {
		wg.Go(func() {
			if _, err := e.fetch(context.Background(), cred, q); err != nil {
				t.Errorf("session %d: %v", i+2, err)
			}
		})
	}
	wg.Wait()
	if got := e.b.Stats().AuthGrants; got != 5 {
		t.Errorf("auth_grants %d, want 5", got)
	}
	// Evicted least recently created: a sixth login ends the second session,
	// even though it was used after the others were created.
	e.login()
	_, err = e.fetch(context.Background(), others[0], q)
	wantKind(t, err, hotelrates.ErrUnauthorized)
	if _, err := e.fetch(context.Background(), others[1], q); err != nil {
		t.Errorf("third session: %v", err)
	}
}

func TestBusy(t *testing.T) {
	e := newEnv(t, func(c *sandbox.VendorConfig) { c.Latency.Base = 200 * time.Millisecond })
	cred := e.login()
	q := hotelrates.Query{Stay: stay, HotelIDs: []string{"H00001", "H00002"}}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { _, errs[i] = e.fetch(context.Background(), cred, q) })
	}
	wg.Wait()
	busy, ok := 0, 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		ve := wantKind(t, err, hotelrates.ErrBusy)
		if ve.Status != http.StatusConflict {
			t.Errorf("busy status %d", ve.Status)
		}
		busy++
	}
	if busy != 1 || ok != 1 {
		t.Fatalf("%d busy and %d ok, want 1 and 1 (%v)", busy, ok, errs)
	}
	if got := e.b.Stats().Status["409"]; got != 1 {
		t.Errorf("409 count %d, want 1", got)
	}
	// The session is free again.
	if _, err := e.fetch(context.Background(), cred, q); err != nil {
		t.Errorf("after busy: %v", err)
	}
}

func TestIdleExpiry(t *testing.T) {
	e := newEnv(t, nil) // idle 120 s
	q := hotelrates.Query{Stay: stay, HotelIDs: []string{"H00001"}}
	cred := e.login()
	other := e.login()
	e.clock.advance(119 * time.Second)
	if _, err := e.fetch(context.Background(), cred, q); err != nil {
		t.Fatalf("use just before idle: %v", err)
	}
	e.clock.advance(119 * time.Second) // 238 s after login, 119 s after the last use
	if _, err := e.fetch(context.Background(), cred, q); err != nil {
		t.Fatalf("use refreshed by the previous one: %v", err)
	}
	_, err := e.fetch(context.Background(), other, q) // unused for 238 s
	wantKind(t, err, hotelrates.ErrUnauthorized)
	e.clock.advance(120 * time.Second)
	_, err = e.fetch(context.Background(), cred, q)
	wantKind(t, err, hotelrates.ErrUnauthorized)
	// An expired session can no longer be logged out, and does not count
	// against the limit: four new sessions all work.
	e.post("/logout", `<LogoutRQ SessionID="`+cred.Secret+`"/>`).fault(t, 401, CodeInvalidSession)
	var creds []hotelrates.Credential
	for range 4 {
		creds = append(creds, e.login())
	}
	for _, c := range creds {
		if _, err := e.fetch(context.Background(), c, q); err != nil {
			t.Errorf("fresh session: %v", err)
		}
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t, nil)
	cred := e.login()
	q := hotelrates.Query{Stay: stay, HotelIDs: []string{"H00001"}}
	if _, err := e.fetch(context.Background(), cred, q); err != nil {
		t.Fatal(err)
	}
	r := e.post("/logout", `<LogoutRQ SessionID="`+cred.Secret+`"/>`)
	if r.status != 200 || !strings.Contains(r.body, "<LogoutRS></LogoutRS>") {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	_, err := e.fetch(context.Background(), cred, q)
	wantKind(t, err, hotelrates.ErrUnauthorized)
	e.post("/logout", `<LogoutRQ SessionID="`+cred.Secret+`"/>`).fault(t, 401, CodeInvalidSession)
	e.post("/logout", `<LogoutRQ/>`).fault(t, 401, CodeInvalidSession)
	e.post("/logout", `<LogoutRQ`).fault(t, 400, CodeInvalidRequest)
	e.post("/logout", ``).fault(t, 400, CodeInvalidRequest)

	// The client: logout works, and logging out a gone session is no error.
	cred = e.login()
	for range 2 {
		if err := e.client.CloseSession(context.Background(), e.hc, cred); err != nil {
			t.Fatalf("CloseSession: %v", err)
		}
	}
	_, err = e.fetch(context.Background(), cred, q)
	wantKind(t, err, hotelrates.ErrUnauthorized)
	bad := New(Config{BaseURL: e.base + "/nowhere"})
	err = bad.CloseSession(context.Background(), e.hc, cred)
	wantKind(t, err, hotelrates.ErrRejected)
	noSecrets(t, err, cred.Secret)
}

func TestMethodAndPath(t *testing.T) {
	e := newEnv(t, nil)
	for _, path := range []string{"/login", "/availability", "/logout"} {
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			t.Run(m+path, func(t *testing.T) {
				r := e.do(m, path, "")
				r.fault(t, 405, CodeMethodNotAllowed)
				if a := r.header.Get("Allow"); a != http.MethodPost {
					t.Errorf("Allow %q", a)
				}
			})
		}
	}
	for _, path := range []string{"/", "/nope", "/login/x", "/v1/availability"} {
		t.Run("404"+path, func(t *testing.T) {
			e.post(path, "").fault(t, 404, CodeNotFound)
		})
	}
	// 405 and 404 are not availability calls.
	if got := e.b.Stats().RateCalls; got != 0 {
		t.Errorf("rate_calls %d, want 0", got)
	}
}

func TestAnswerFormat(t *testing.T) {
	e := newEnv(t, nil)
	sid := e.login().Secret
	so := soldOut(t, stay, 1)[0]
	r := e.post("/availability", availBody(sid, "H00001", "H00005", so, "X1", "H00001"))
	if r.status != 200 || r.header.Get("Content-Type") != ContentType {
		t.Fatalf("status %d, type %q: %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if !strings.HasPrefix(r.body, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration: %s", r.body)
	}
	var rs availRS
	if err := xml.Unmarshal([]byte(r.body), &rs); err != nil {
		t.Fatal(err)
	}
	want := []struct{ id, status string }{{"H00001", StatusAvailable}, {"H00005", StatusUnknown}, {so, StatusSoldOut}, {"X1", StatusUnknown}}
	if len(rs.Hotels) != len(want) {
		t.Fatalf("%d hotels in the answer, want %d: %s", len(rs.Hotels), len(want), r.body)
	}
	for i, w := range want {
		h := rs.Hotels[i]
		if h.ID != w.id || h.Status != w.status {
			t.Errorf("hotel %d: %s %s, want %s %s", i, h.ID, h.Status, w.id, w.status)
		}
	}
	truth := sandbox.Offers(sandbox.Session, "H00001", stay)
	if len(rs.Hotels[0].Offers) != len(truth) {
		t.Fatalf("H00001 has %d offers, want %d", len(rs.Hotels[0].Offers), len(truth))
	}
	for i, o := range rs.Hotels[0].Offers {
		g := truth[i]
		if o.Total != g.Total.Amount() || o.Currency != "USD" || o.Room != g.Room || o.Board != g.Board {
			t.Errorf("offer %d: %+v, want %+v", i, o, g)
		}
		if g.Refundable != (o.Refundable == "true") || (o.CancelDeadline != "") != g.Refundable {
			t.Errorf("offer %d refundability: %+v, want %+v", i, o, g)
		}
		if g.Refundable && o.CancelDeadline != g.CancelDeadline.UTC().Format(time.RFC3339) {
			t.Errorf("offer %d deadline %s", i, o.CancelDeadline)
		}
	}
}

func TestHandlerMounted(t *testing.T) {
	done := make(chan struct{})
	b := sandbox.NewBackend(sandbox.Session, testConfig(), 1, done)
	mux := http.NewServeMux()
	mux.Handle("/session/", b.Count(http.StripPrefix("/session", Handler(b))))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(done) })
	c := New(Config{BaseURL: ts.URL + "/session/", User: sandbox.DemoSessionUser, Password: sandbox.DemoSessionPassword})
	cred, err := c.Authenticate(context.Background(), ts.Client())
	if err != nil {
		t.Fatal(err)
	}
	q := hotelrates.Query{Stay: stay, HotelIDs: []string{"H00001", "H00002", "H00005"}}
	got, err := c.Fetch(context.Background(), ts.Client(), cred, q)
	if err != nil || !reflect.DeepEqual(got, expected(q.HotelIDs, stay)) {
		t.Fatalf("Fetch: %+v, %v", got, err)
	}
	if err := c.CloseSession(context.Background(), ts.Client(), cred); err != nil {
		t.Fatal(err)
	}
}
