package redact

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hotelrates"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSensitive(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"access_token", true},
		{"refresh_token", true},
		{"client_secret", true},
		{"SessionID", true},
		{"session-id", true},
		{"X-Signature", true},
		{"x-api-key", true},
		{"APIKey", true},
		{"api.key", true},
		{"Password", true},
		{"passwd", true},
		{"Authorization", true},
		{"Proxy-Authorization", true},
		{"Cookie", true},
		{"Set-Cookie", true},
		{"X-Amz-Security-Token", true},
		{"X-Amz-Credential", true},
		{"private_key", true},
		{"sid", true},
		{"SID", true},
		{"key", true},
		{"sig", true},
		{"ns:Password", true},
		{"jsessionid", true},
		{"token_type", false}, // the kind of token ("Bearer"), not the token
		{"expires_in", false},
		{"hotel_id", false},
		{"hotelkey", false},
		{"keys", false},
		{"side", false},
		{"signal", false},
		{"Content-Type", false},
		{"User", false},
		{"IdleTimeout", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := Sensitive(tt.name); got != tt.want {
			t.Errorf("Sensitive(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Credentials used in the realistic exchanges below.
const (
	clientID      = "hotelrates-client"
	clientSecret  = "cs_9f8e7d6c5b4a39281706"
	accessToken   = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJob3RlbHJhdGVzIn0.QmFkU2lnbmF0dXJl"
	bulkAPIKey    = "ak_live_5566778899"
	bulkSecret    = "bulk-shared-s3cret"
	sessUser      = "hoteluser"
	sessPassword  = "Tr0ub4dor&3"
	sessionID     = "SESS-7c1e2f9a4b6d"
	truncatedTok  = "eyJ0cnVuY2F0ZWQiOnRydWV9.truncated-token-x9"
	truncatedSess = "SESS-cut-5f5f5f5f"
)

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func bulkSignature(unix string) string {
	sum := sha512.Sum512([]byte(bulkAPIKey + bulkSecret + unix))
	return hex.EncodeToString(sum[:])
}

var start = time.Date(2025, 11, 28, 4, 30, 0, 0, time.UTC)

func TestExchange(t *testing.T) {
	sig := bulkSignature("1764300000")
	tests := []struct {
		name    string
		ex      hotelrates.Exchange
		secrets []string
		// gone must not occur anywhere in the JSON of the redacted exchange.
		gone []string
		// kept must still occur in it.
		kept []string
	}{
		{
			name: "oauth2 token request and response",
			ex: hotelrates.Exchange{
				Vendor: "solo", Kind: hotelrates.CallAuth, Start: start, Method: "POST",
				URL: "https://auth.solo.example/oauth/token",
				RequestHeader: map[string][]string{
					"Authorization": {basicAuth(clientID, clientSecret)},
					"Content-Type":  {"application/x-www-form-urlencoded"},
				},
				RequestBody:    "grant_type=client_credentials&client_id=" + clientID + "&client_secret=" + clientSecret + "&scope=rates",
				Status:         200,
				ResponseHeader: map[string][]string{"Content-Type": {"application/json"}},
				ResponseBody:   `{"access_token":"` + accessToken + `","token_type":"Bearer","expires_in":1799}`,
			},
			secrets: []string{clientSecret},
			gone:    []string{clientSecret, accessToken, base64.StdEncoding.EncodeToString([]byte(clientID + ":" + clientSecret))},
			kept:    []string{"grant_type=client_credentials", "client_id=" + clientID, "scope=rates", `"token_type":"Bearer"`, `"expires_in":1799`},
		},
		{
			name: "bearer availability call, token echoed in the error",
			ex: hotelrates.Exchange{
				Vendor: "solo", SearchID: "s-42", Kind: hotelrates.CallRates, Start: start, Method: "GET",
				URL:           "https://api.solo.example/v1/availability?hotel_id=H1001&checkin=2025-12-01&checkout=2025-12-03&adults=2",
				RequestHeader: map[string][]string{"Authorization": {"Bearer " + accessToken}, "Accept": {"application/json"}},
				Status:        401,
				ResponseHeader: map[string][]string{
					"Www-Authenticate": {`Bearer error="invalid_token"`},
					"Content-Type":     {"application/json"},
				},
				ResponseBody: `{"error":{"code":"invalid_token","message":"token ` + accessToken + ` expired"}}`,
				Error:        "vendor solo: unauthorized (HTTP 401): token " + accessToken + " rejected",
			},
			gone: []string{accessToken},
			kept: []string{"hotel_id=H1001", "checkin=2025-12-01", "invalid_token", "unauthorized (HTTP 401)", "s-42"},
		},
		{
			name: "signed batch call",
			ex: hotelrates.Exchange{
				Vendor: "bulk", Kind: hotelrates.CallRates, Start: start, Method: "POST",
				URL: "https://api.bulk.example/v3/availability",
				RequestHeader: map[string][]string{
					"Authorization": {"APIKey=" + bulkAPIKey + ",Signature=" + sig + ",timestamp=1764300000"},
					"Content-Type":  {"application/json"},
				},
				RequestBody:  `{"checkin":"2025-12-01","checkout":"2025-12-03","occupancy":[2],"properties":["P100","P200"]}`,
				Status:       200,
				ResponseBody: `{"properties":[{"property_id":"P100","rooms":[{"name":"Double","board":"RO","total":{"amount":"245.10","currency":"EUR"}}]}]}`,
				Error:        "retrying: signature " + sig + " for key " + bulkAPIKey + " was close to the skew limit",
			},
			secrets: []string{bulkAPIKey, bulkSecret},
			gone:    []string{bulkAPIKey, bulkSecret, sig},
			kept:    []string{"P100", "P200", "245.10", "EUR", "Double", "close to the skew limit"},
		},
		{
			name: "xml login",
			ex: hotelrates.Exchange{
				Vendor: "session", Kind: hotelrates.CallAuth, Start: start, Method: "POST",
				URL:            "https://gds.session.example/login",
				RequestHeader:  map[string][]string{"Content-Type": {"application/xml"}},
				RequestBody:    `<?xml version="1.0"?><LoginRQ><User>` + sessUser + `</User><Password>Tr0ub4dor&amp;3</Password></LoginRQ>`,
				Status:         200,
				ResponseHeader: map[string][]string{"Content-Type": {"application/xml"}},
				ResponseBody:   "<LoginRS>\n  <SessionID>" + sessionID + "</SessionID>\n  <IdleTimeout>600</IdleTimeout>\n</LoginRS>",
			},
			secrets: []string{sessPassword},
			gone:    []string{"Tr0ub4dor", sessionID},
			kept:    []string{"<User>" + sessUser + "</User>", "<IdleTimeout>600</IdleTimeout>", "<?xml version="},
		},
		{
			name: "xml availability with a session attribute, session echoed in the error",
			ex: hotelrates.Exchange{
				Vendor: "session", Kind: hotelrates.CallRates, Start: start, Method: "POST",
				URL:          "https://gds.session.example/availability",
				RequestBody:  `<AvailRQ SessionID="` + sessionID + `"><Stay CheckIn="2025-12-01" CheckOut="2025-12-03" Adults="2" Rooms="1" Currency="EUR"/><Hotel id="H7"/><Hotel id="H8"/></AvailRQ>`,
				Status:       409,
				ResponseBody: `<ErrorRS Code="SessionBusy"><Message>session ` + sessionID + ` is busy</Message></ErrorRS>`,
				Error:        "vendor session: busy (HTTP 409): SessionBusy: session " + sessionID + " is busy",
			},
			gone: []string{sessionID},
			kept: []string{`Hotel id="H7"`, `Hotel id="H8"`, `CheckIn="2025-12-01"`, "SessionBusy", "is busy"},
		},
		{
			name: "logout with a namespaced, single-quoted attribute",
			ex: hotelrates.Exchange{
				Vendor: "session", Kind: hotelrates.CallLogout, Start: start, Method: "POST",
				URL:          "https://gds.session.example/logout",
				RequestBody:  `<s:LogoutRQ xmlns:s="urn:x" s:SessionID='` + sessionID + `' Reason="idle"/>`,
				Status:       200,
				ResponseBody: `<LogoutRS/>`,
			},
			gone: []string{sessionID},
			kept: []string{`Reason="idle"`, "<LogoutRS/>"},
		},
		{
			name: "truncated json token response",
			ex: hotelrates.Exchange{
				Vendor: "solo", Kind: hotelrates.CallAuth, Start: start, Method: "POST",
				URL:            "https://auth.solo.example/oauth/token",
				ResponseHeader: map[string][]string{"Content-Type": {"application/json"}},
				ResponseBody:   `{"access_token":"` + truncatedTok,
				Error:          "vendor solo: bad_response: unexpected EOF",
			},
			gone: []string{truncatedTok, "truncated-token"},
			kept: []string{"access_token", "unexpected EOF"},
		},
		{
			name: "truncated xml bodies",
			ex: hotelrates.Exchange{
				Vendor: "session", Kind: hotelrates.CallAuth, Start: start, Method: "POST",
				URL:          "https://gds.session.example/availability",
				RequestBody:  `<AvailRQ SessionID="` + truncatedSess + `"><Hotel id="H9"/><Hot`,
				ResponseBody: "<LoginRS><SessionID>" + truncatedSess,
			},
			gone: []string{truncatedSess},
			kept: []string{`Hotel id="H9"`, "<LoginRS><SessionID>"},
		},
		{
			name: "truncated xml attribute value",
			ex: hotelrates.Exchange{
				Vendor: "session", Start: start, Method: "POST", URL: "https://gds.session.example/availability",
				RequestBody: `<AvailRQ SessionID="` + truncatedSess[:12],
			},
			gone: []string{truncatedSess[:12]},
			kept: []string{"<AvailRQ SessionID="},
		},
		{
			name: "cookies, api key header, url credentials",
			ex: hotelrates.Exchange{
				Vendor: "legacy", Start: start, Method: "GET",
				URL: "https://svc:pa55word-xyz@legacy.example/rates;jsessionid=JSESS0123456789?hotel=H5&api_key=qk_abcdef123456&sig=ffeeddccbbaa#access_token=frag-token-123456",
				RequestHeader: map[string][]string{
					"Cookie":    {"JSESSIONID=JSESS0123456789; lang=en"},
					"X-Api-Key": {"qk_abcdef123456"},
					"X-Trace":   {"trace-77"},
				},
				ResponseHeader: map[string][]string{
					"Set-Cookie": {"sid=new-session-cookie-9; Path=/; HttpOnly"},
					"Location":   {"https://legacy.example/next?page=2&access_token=loc-token-654321"},
				},
				ResponseBody: "Unauthorized: api_key=qk_abcdef123456 is not valid for new-session-cookie-9",
			},
			gone: []string{"pa55word-xyz", "JSESS0123456789", "qk_abcdef123456", "ffeeddccbbaa", "frag-token-123456", "new-session-cookie-9", "loc-token-654321"},
			kept: []string{"hotel=H5", "trace-77", "page=2", "legacy.example/rates", "Unauthorized"},
		},
		{
			name: "nested json with arrays, numbers and escapes",
			ex: hotelrates.Exchange{
				Vendor: "solo", Start: start, Method: "POST", URL: "https://api.solo.example/v1/x",
				RequestBody: `{"data":{"credentials":{"user":"u1","password":"pw-123456"}},` +
					`"items":[{"session_id":"S-12345678","hotel":"H1"},{"PIN_token":98765432,"price":"10.00"}],` +
					`"note":"has \u003c and \"quotes\"","refresh_token":"rt\/with\/slashes-99","empty_token":"","has_password":true}`,
				ResponseBody: `{"echo":"rt/with/slashes-99 and S-12345678 and pw-123456"}`,
			},
			gone: []string{"pw-123456", "S-12345678", "98765432", `rt\/with`, "rt/with/slashes-99"},
			kept: []string{`"hotel":"H1"`, `"price":"10.00"`, `"empty_token":""`, `"has_password":true`, "quotes"},
		},
		{
			name: "secret escaped differently in different places",
			ex: hotelrates.Exchange{
				Vendor: "x", Start: start, Method: "GET",
				URL:          "https://x.example/a?q=" + url.QueryEscape("p@ss w/rd<&>") + "&hotel=H2",
				ResponseBody: `{"msg":"bad p@ss w/rd\u003c\u0026\u003e"}`,
				RequestBody:  "<Note>p@ss w/rd&lt;&amp;&gt; again</Note>",
				Error:        "login failed for p@ss w/rd<&>",
			},
			secrets: []string{"p@ss w/rd<&>"},
			gone:    []string{"p@ss", url.QueryEscape("p@ss w/rd<&>")},
			kept:    []string{"hotel=H2", "again", "login failed for"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := tt.ex
			origReq := cloneHeader(tt.ex.RequestHeader)
			Exchange(&ex, tt.secrets)
			b, err := json.Marshal(ex)
			if err != nil {
				t.Fatal(err)
			}
			out := string(b)
			raw := allText(ex)
			for _, s := range tt.gone {
				if strings.Contains(out, s) || strings.Contains(raw, s) {
					t.Errorf("%q survived redaction:\n%s", s, raw)
				}
			}
			for _, s := range tt.kept {
				if !strings.Contains(raw, s) {
					t.Errorf("%q was lost:\n%s", s, raw)
				}
			}
			for _, body := range []struct{ before, after string }{
				{tt.ex.RequestBody, ex.RequestBody},
				{tt.ex.ResponseBody, ex.ResponseBody},
			} {
				if json.Valid([]byte(body.before)) && !json.Valid([]byte(body.after)) {
					t.Errorf("valid JSON body became invalid: %s", body.after)
				}
			}
			// The caller's header map (maybe a live http.Header) is untouched.
			for k, v := range origReq {
				if strings.Join(tt.ex.RequestHeader[k], "\n") != strings.Join(v, "\n") {
					t.Errorf("input header %s modified", k)
				}
			}
			if ex.Vendor != tt.ex.Vendor || ex.Method != tt.ex.Method || !ex.Start.Equal(tt.ex.Start) || ex.Status != tt.ex.Status {
				t.Errorf("metadata changed: %+v", ex)
			}
		})
	}
}

// allText returns every text field of ex, unescaped, one per line.
func allText(ex hotelrates.Exchange) string {
	parts := []string{ex.URL, ex.RequestBody, ex.ResponseBody, ex.Error, ex.SearchID}
	for _, h := range []map[string][]string{ex.RequestHeader, ex.ResponseHeader} {
		for k, v := range h {
			parts = append(parts, k+": "+strings.Join(v, ", "))
		}
	}
	return strings.Join(parts, "\n")
}

func cloneHeader(h map[string][]string) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, v := range h {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func TestExchangeNil(t *testing.T) {
	Exchange(nil, []string{"secret"}) // must not panic
	var ex hotelrates.Exchange
	Exchange(&ex, nil)
	if ex.RequestHeader != nil || ex.URL != "" {
		t.Errorf("zero exchange changed: %+v", ex)
	}
}

func TestBodies(t *testing.T) {
	tests := []struct {
		name, body, ctype, want string
	}{
		{"json untouched keeps formatting", "{\n  \"hotel_id\": \"H1\"\n}", "application/json", "{\n  \"hotel_id\": \"H1\"\n}"},
		{"json formatting kept around a redaction", "{\n  \"hotel_id\": \"H1\",\n  \"api_key\" : \"k-123456\"\n}", "",
			"{\n  \"hotel_id\": \"H1\",\n  \"api_key\" : \"[REDACTED]\"\n}"},
		{"json top-level array", `[{"token":"abcdefgh"},{"x":1}]`, "", `[{"token":"[REDACTED]"},{"x":1}]`},
		{"json object under sensitive key", `{"credentials":{"user":"u","pass":"p"},"a":1}`, "", `{"credentials":"[REDACTED]","a":1}`},
		{"json null token kept", `{"access_token":null}`, "", `{"access_token":null}`},
		{"invalid json as text", `{"password":"hunter22", "x":`, "application/json", `{"password":"[REDACTED]", "x":`},
		{"form by content", "a=1&password=hunter22&b=2", "", "a=1&password=[REDACTED]&b=2"},
		{"form escaped key", "client%5Fsecret=abc%20def&x=1", "application/x-www-form-urlencoded", "client%5Fsecret=[REDACTED]&x=1"},
		{"xml element nested under sensitive", `<A><Credentials><User>u</User><Pin>1234</Pin></Credentials><B>ok</B></A>`, "text/xml",
			`<A><Credentials><User>[REDACTED]</User><Pin>[REDACTED]</Pin></Credentials><B>ok</B></A>`},
		{"xml cdata", `<R><Token><![CDATA[abc<def]]></Token><Id>7</Id></R>`, "", `<R><Token>[REDACTED]</Token><Id>7</Id></R>`},
		{"xml malformed falls back", `<R><Password>p4ss w0rd</Password><Bad attr=x>`, "", `<R><Password>[REDACTED]</Password><Bad attr=x>`},
		{"text header lines", "GET / HTTP/1.1\r\nAuthorization: Bearer abc.def.ghi\r\nHost: x\r\n", "text/plain",
			"GET / HTTP/1.1\r\nAuthorization: [REDACTED]\r\nHost: x\r\n"},
		{"text bearer anywhere", "retry with bearer abcdefghijklmnop now", "", "retry with bearer [REDACTED] now"},
		{"text pairs", `bad request: password='x y z', sessionId: s123 key=k1 hotel=H1`, "",
			`bad request: password='[REDACTED]', sessionId: [REDACTED] key=[REDACTED] hotel=H1`},
		{"empty", "", "application/json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := redactBody(tt.body, tt.ctype, newCollector())
			if got != tt.want {
				t.Errorf("redactBody(%q)\n got %q\nwant %q", tt.body, got, tt.want)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	in := map[string][]string{
		"Authorization": {"Bearer tok-1234567890"},
		"X-Echo":        {"saw tok-1234567890"},
		"Accept":        {"application/json"},
		"Empty-Token":   {""},
	}
	got := Headers(in)
	want := map[string][]string{
		"Authorization": {Marker},
		"X-Echo":        {"saw " + Marker},
		"Accept":        {"application/json"},
		"Empty-Token":   {""},
	}
	for k, v := range want {
		if strings.Join(got[k], ",") != strings.Join(v, ",") {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if in["Authorization"][0] != "Bearer tok-1234567890" {
		t.Error("Headers modified its input")
	}
	if Headers(nil) != nil {
		t.Error("Headers(nil) != nil")
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		in      string
		secrets []string
		want    string
	}{
		{"dial: password=abcdef123 then abcdef123 again", nil, "dial: password=[REDACTED] then [REDACTED] again"},
		{"client secret s3cr3t leaked", []string{"s3cr3t"}, "client secret [REDACTED] leaked"},
		{"short abc kept", []string{"abc"}, "short abc kept"},
		{"nothing here", nil, "nothing here"},
	}
	for _, tt := range tests {
		if got := String(tt.in, tt.secrets); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzExchange plants a secret in every part of an exchange around a
// random body and checks that redaction never panics and the secret never
// survives.
func FuzzExchange(f *testing.F) {
	seeds := []string{
		`{"access_token":"abc","token_type":"Bearer","expires_in":1799}`,
		`{"a":[1,2,{"b":"\u0001"}],"password":null}`,
		`<LoginRQ><User>u</User><Password>p</Password></LoginRQ>`,
		`<AvailRQ SessionID="s"><Hotel id="H1"/></AvailRQ>`,
		`<LoginRS><SessionID>trunc`,
		"grant_type=client_credentials&client_secret=x",
		"Authorization: Bearer abcdefghijkl\nok",
		`{"token":"abc`,
		"",
	}
	for i, s := range seeds {
		f.Add(s, "Sup3rSecret", uint8(i), uint16(len(s)/2))
	}
	f.Add(`["\u0001"]`, "u0001", uint8(0), uint16(0))
	f.Add(`{"a":"x","b":"y"}`, `x","b`, uint8(0), uint16(3))
	f.Fuzz(func(t *testing.T, body, secret string, kind uint8, at uint16) {
		if len(secret) < minSecretLen || strings.ContainsAny(secret, "[]") || strings.Contains(Marker, secret) {
			t.Skip("a secret that overlaps the marker cannot be told apart from it")
		}
		ctypes := []string{"", "application/json", "application/xml", "application/x-www-form-urlencoded", "text/plain"}
		ctype := ctypes[int(kind)%len(ctypes)]
		i := int(at) % (len(body) + 1)
		ex := hotelrates.Exchange{
			Vendor: "fuzz", Method: "POST",
			URL:            "https://h.example/p?q=" + url.QueryEscape(secret) + "&r=" + url.PathEscape(secret),
			RequestHeader:  map[string][]string{"Content-Type": {ctype}, "X-Trace": {"t " + secret}},
			RequestBody:    body[:i] + secret + body[i:],
			ResponseHeader: map[string][]string{"Content-Type": {ctype}},
			ResponseBody:   body,
			Error:          "failed: " + secret,
		}
		Exchange(&ex, []string{secret})
		parts := []string{ex.URL, ex.RequestBody, ex.ResponseBody, ex.Error}
		for _, h := range []map[string][]string{ex.RequestHeader, ex.ResponseHeader} {
			for _, v := range h {
				parts = append(parts, v...)
			}
		}
		for _, p := range parts {
			if strings.Contains(p, secret) {
				t.Fatalf("secret %q survived in %q", secret, p)
			}
		}
		if strings.Contains(ex.URL, url.QueryEscape(secret)) {
			t.Fatalf("escaped secret survived in %q", ex.URL)
		}
	})
}
