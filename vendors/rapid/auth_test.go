package rapid

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"hotelrates"
)

func TestAuth(t *testing.T) {
	e := newEnv(t, testConfig())
	ts := testStart.Unix()
	sig := Signature(testKey, testSecret, ts)
	tsS := strconv.FormatInt(ts, 10)
	tests := []struct {
		name   string
		auth   string
		status int
		reason string // the nested error's type of a 401
	}{
		{"valid", AuthorizationHeader(testKey, testSecret, ts), 200, ""},
		{"docs spelling, reordered, spaces", "EAN  timestamp=" + tsS + ", APIKey=" + testKey + ",  Signature=" + sig, 200, ""},
		{"scheme and hex in upper case", "ean apikey=" + testKey + ",signature=" + strings.ToUpper(sig) + ",timestamp=" + tsS, 200, ""},
		{"299 s in the past", AuthorizationHeader(testKey, testSecret, ts-299), 200, ""},
		{"299 s in the future", AuthorizationHeader(testKey, testSecret, ts+299), 200, ""},
		{"300 s in the past", AuthorizationHeader(testKey, testSecret, ts-300), 200, ""},
		{"300 s in the future", AuthorizationHeader(testKey, testSecret, ts+300), 200, ""},
		{"301 s in the past", AuthorizationHeader(testKey, testSecret, ts-301), 401, "timestamp.out_of_range"},
		{"301 s in the future", AuthorizationHeader(testKey, testSecret, ts+301), 401, "timestamp.out_of_range"},
		{"wrong key", AuthorizationHeader("other-key", testSecret, ts), 401, "apikey.unknown"},
		{"wrong secret", AuthorizationHeader(testKey, "wrong-secret", ts), 401, "signature.mismatch"},
		{"signature of another time", "EAN apikey=" + testKey + ",signature=" + Signature(testKey, testSecret, ts-1) + ",timestamp=" + tsS, 401, "signature.mismatch"},
		{"missing", "", 401, "authorization.missing"},
		{"no EAN scheme", strings.TrimPrefix(AuthorizationHeader(testKey, testSecret, ts), "EAN "), 401, "authorization.invalid_format"},
		{"other scheme", "Bearer abc.def", 401, "authorization.invalid_format"},
		{"two parts", "EAN apikey=" + testKey + ",signature=" + sig, 401, "authorization.invalid_format"},
		{"extra part", AuthorizationHeader(testKey, testSecret, ts) + ",nonce=1", 401, "authorization.invalid_format"},
		{"duplicate part", "EAN apikey=" + testKey + ",apikey=" + testKey + ",timestamp=" + tsS, 401, "authorization.invalid_format"},
		{"empty key", "EAN apikey=,signature=" + sig + ",timestamp=" + tsS, 401, "authorization.invalid_format"},
		{"short signature", "EAN apikey=" + testKey + ",signature=" + sig[:64] + ",timestamp=" + tsS, 401, "authorization.invalid_format"},
		{"non-hex signature", "EAN apikey=" + testKey + ",signature=" + strings.Repeat("zz", 64) + ",timestamp=" + tsS, 401, "authorization.invalid_format"},
		{"negative timestamp", "EAN apikey=" + testKey + ",signature=" + sig + ",timestamp=-" + tsS, 401, "authorization.invalid_format"},
		{"timestamp in ms", AuthorizationHeader(testKey, testSecret, ts*1000), 401, "timestamp.out_of_range"},
		{"semicolons", "EAN apikey=" + testKey + ";signature=" + sig + ";timestamp=" + tsS, 401, "authorization.invalid_format"},
	}
	q := query([]string{code(2), code(3)}, testStay)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.get(t, q, map[string]string{"Authorization": tc.auth})
			if a.status != tc.status {
				t.Fatalf("status %d (%+v), want %d", a.status, a.err, tc.status)
			}
			if tc.status != 401 {
				return
			}
			// As the real API: its type and message, the fields as sent
			// and the server's clock, and WWW-Authenticate; no rate-limit
			// headers (the request is not counted).
			if a.err.Type != ErrTypeUnauthenticated || a.err.Message != msgUnauthenticated || len(a.err.Errors) != 1 || a.err.Errors[0].Type != tc.reason {
				t.Fatalf("401 answer %+v, want reason %s", a.err, tc.reason)
			}
			last := a.err.Fields[len(a.err.Fields)-1]
			if last != (errorField{Name: "servertimestamp", Type: "server", Value: fieldValue(tsS)}) || a.header.Get("WWW-Authenticate") == "" {
				t.Fatalf("fields %+v, WWW-Authenticate %q", a.err.Fields, a.header.Get("WWW-Authenticate"))
			}
			if strings.Contains(string(a.body), testSecret) {
				t.Fatal("the 401 answer reveals the secret")
			}
		})
	}
	if s := e.b.Stats(); s.AuthGrants != 0 || s.RateCalls != int64(len(tests)) {
		t.Fatalf("stats %+v", s)
	}
}

// TestClientSignature: the client signs with its own clock; the server
// checks with its own. Errors never carry a credential or the signature.
func TestClientSignature(t *testing.T) {
	e := newEnv(t, testConfig())
	q := hotelrates.Query{Stay: testStay, HotelIDs: []string{code(2)}}
	tests := []struct {
		name        string
		key, secret string
		skew        time.Duration
		ok          bool
	}{
		{"right", testKey, testSecret, 0, true},
		{"clock 299 s behind", testKey, testSecret, -299 * time.Second, true},
		{"clock 299 s ahead", testKey, testSecret, 299 * time.Second, true},
		{"clock 301 s behind", testKey, testSecret, -301 * time.Second, false},
		{"clock 301 s ahead", testKey, testSecret, 301 * time.Second, false},
		{"wrong key", "nope-key", testSecret, 0, false},
		{"wrong secret", testKey, "s3cr3t-wrong", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := testStart.Add(tc.skew)
			c := New(Config{BaseURL: e.base, APIKey: tc.key, Secret: tc.secret, Now: func() time.Time { return now }})
			_, err := c.Fetch(bg, e.hc, hotelrates.Credential{}, q)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			kind, ve := kindOf(t, err)
			if kind != hotelrates.ErrUnauthorized || ve.Status != 401 || ve.RetryAfter != 0 {
				t.Fatalf("got %v, want unauthorized 401", err)
			}
			// The 401 echoes the key and signature; the error names the
			// fields and the server's clock only.
			noSecrets(t, err.Error(), tc.key, tc.secret, Signature(tc.key, tc.secret, now.Unix()), e.srv.Listener.Addr().String())
			if !strings.Contains(err.Error(), "server time "+strconv.FormatInt(testStart.Unix(), 10)) {
				t.Fatalf("error %q does not give the server's clock", err)
			}
		})
	}
	// Moving the server's clock past the skew makes the same client fail.
	e.clock.Advance(301 * time.Second)
	c := New(Config{BaseURL: e.base, APIKey: testKey, Secret: testSecret, Now: func() time.Time { return testStart }})
	if _, err := c.Fetch(bg, e.hc, hotelrates.Credential{}, q); err == nil {
		t.Fatal("a signature 301 s old was accepted")
	}
}

func TestSignature(t *testing.T) {
	// sha512("abc" + "def" + "1"), computed independently.
	const want = "b1e954913ad9532bd13a00cc22f1807f0d685c77603e7bce2c628a30ac3f1935cbb965271a970f485626e6dec8c0eb384fd883c922e05aef14cc2aff69bb2388"
	if got := Signature("abc", "def", 1); got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
	h := AuthorizationHeader("k", "s", 42)
	if h != "EAN apikey=k,signature="+Signature("k", "s", 42)+",timestamp=42" {
		t.Fatalf("header %q", h)
	}
	p, ok := parseAuthorization(h)
	if !ok || p.apiKey != "k" || p.timestamp != 42 || fmt.Sprintf("%x", p.signature) != Signature("k", "s", 42) {
		t.Fatalf("parse %+v %v", p, ok)
	}
}
