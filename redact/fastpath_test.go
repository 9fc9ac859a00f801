package redact

import (
	"fmt"
	"net/textproto"
	"reflect"
	"slices"
	"strings"
	"testing"

	"hotelrates"
)

// parseHeader turns "Name: value" lines into a header map, names in
// canonical form (so that at most one is Content-Type, whatever the case,
// and map order cannot decide which value is the body's type).
func parseHeader(s string) map[string][]string {
	if s == "" {
		return nil
	}
	h := map[string][]string{}
	for line := range strings.SplitSeq(s, "\n") {
		name, value, _ := strings.Cut(line, ":")
		name = textproto.CanonicalMIMEHeaderKey(name)
		h[name] = append(h[name], strings.TrimPrefix(value, " "))
	}
	return h
}

func cloneExchange(ex hotelrates.Exchange) hotelrates.Exchange {
	ex.RequestHeader = deepCloneHeader(ex.RequestHeader)
	ex.ResponseHeader = deepCloneHeader(ex.ResponseHeader)
	return ex
}

// deepCloneHeader copies h and its slices, keeping nil slices nil.
func deepCloneHeader(h map[string][]string) map[string][]string {
	if h == nil {
		return nil
	}
	out := make(map[string][]string, len(h))
	for k, v := range h {
		out[k] = slices.Clone(v)
	}
	return out
}

func diffExchanges(t *testing.T, what string, got, want hotelrates.Exchange) {
	t.Helper()
	if got.URL != want.URL {
		t.Errorf("%s: URL %q, want %q", what, got.URL, want.URL)
	}
	if !reflect.DeepEqual(got.RequestHeader, want.RequestHeader) {
		t.Errorf("%s: request header %#v, want %#v", what, got.RequestHeader, want.RequestHeader)
	}
	if !reflect.DeepEqual(got.ResponseHeader, want.ResponseHeader) {
		t.Errorf("%s: response header %#v, want %#v", what, got.ResponseHeader, want.ResponseHeader)
	}
	if got.RequestBody != want.RequestBody {
		t.Errorf("%s: request body %q, want %q", what, got.RequestBody, want.RequestBody)
	}
	if got.ResponseBody != want.ResponseBody {
		t.Errorf("%s: response body %q, want %q", what, got.ResponseBody, want.ResponseBody)
	}
	if got.Error != want.Error {
		t.Errorf("%s: error %q, want %q", what, got.Error, want.Error)
	}
}

// FuzzExchangeFastPath holds Exchange, and Request then Response, to
// refExchange, the implementation without fast paths (ref_test.go): the
// same redacted exchange, header slices nil or empty alike, and the
// caller's header maps and slices untouched, whatever is shared with
// them. The response may be redacted with the request's secrets, an equal
// copy of them, or others, so that reusing the request's remover is
// checked against building one.
func FuzzExchangeFastPath(f *testing.F) {
	type seed struct {
		url, reqHdr, reqBody, respHdr, respBody, errText, secret string
	}
	for _, s := range []seed{
		{"http://127.0.0.1:9090/solo/v1/availability", "Authorization: Bearer 4f1c2d9e8b7a6f5e4d3c2b1a09f8e7d6\nContent-Type: application/json\nUser-Agent: hotelrates",
			`{"hotel_id":"H00042","adults":2}`, "Content-Type: application/json\nDate: Wed, 02 Dec 2026 06:55:43 GMT\nContent-Length: 231",
			`{"hotel_id":"H00042","offers":[{"room":"Deluxe King","total":"512.40"}]}`, "", "solo-demo-secret"},
		{"https://svc:pa55word-xyz@legacy.example/rates;jsessionid=JSESS0123456789?hotel=H5&api_key=qk_abcdef123456#access_token=frag-token-123456",
			"Cookie: JSESSIONID=JSESS0123456789; lang=en\nX-Api-Key: qk_abcdef123456\nX-Trace: trace-77", "",
			"Set-Cookie: sid=new-session-cookie-9; Path=/\nLocation: https://legacy.example/next?page=2&access_token=loc-token-654321",
			"Unauthorized: api_key=qk_abcdef123456 is not valid for new-session-cookie-9", "token qk_abcdef123456 rejected", "client-secret-1"},
		{"https://api.solo.example/v1/x?q=p%40ss+w%2Frd", "Content-Type: application/json\nX-Echo: saw p@ss w/rd", `{"msg":"bad p@ss w/rd\u003c"}`,
			"Content-Type: application/json\nX-Empty:", `{"access_token":"abcdef123456","token_type":"Bearer"}`, "login failed for abcdef123456", "p@ss w/rd"},
		{"https://auth.example/oauth/token", "Authorization: Basic aG90ZWxyYXRlcy1jbGllbnQ6Y3NfOWY4ZTdkNmM1YjRhMzkyODE3MDY=\nContent-Type: application/x-www-form-urlencoded",
			"grant_type=client_credentials&client_secret=cs_9f8e7d6c5b4a39281706", "Content-Type: text/xml", "<LoginRS><SessionID>SESS-7c1e2f9a4b6d</SessionID></LoginRS>", "", "cs_9f8e7d6c5b4a39281706"},
		{"", "", "", "", "", "", ""},
	} {
		f.Add(s.url, s.reqHdr, s.reqBody, s.respHdr, s.respBody, s.errText, s.secret, uint8(0))
	}
	f.Fuzz(func(t *testing.T, rawURL, reqHdr, reqBody, respHdr, respBody, errText, secret string, mode uint8) {
		in := hotelrates.Exchange{
			Vendor: "fuzz", Method: "POST", URL: rawURL,
			RequestHeader: parseHeader(reqHdr), RequestBody: reqBody,
			ResponseHeader: parseHeader(respHdr), ResponseBody: respBody,
			Error: errText,
		}
		var secrets []string
		if secret != "" {
			secrets = []string{secret, "fuzz-vendor-secret"}
		}
		respSecrets := secrets
		switch mode % 3 {
		case 1:
			respSecrets = slices.Clone(secrets)
		case 2:
			respSecrets = append(slices.Clone(secrets), "another-secret")
		}
		orig := cloneExchange(in)

		want := cloneExchange(in)
		values, isJSON := refRequest(&want, secrets)
		refResponse(&want, respSecrets, values, isJSON)

		got := in
		seen := Request(&got, secrets)
		Response(&got, respSecrets, seen)
		diffExchanges(t, "Request+Response", got, want)
		if !reflect.DeepEqual(in.RequestHeader, orig.RequestHeader) || !reflect.DeepEqual(in.ResponseHeader, orig.ResponseHeader) {
			t.Errorf("the caller's headers changed: %#v %#v", in.RequestHeader, in.ResponseHeader)
		}
		// The same Seen again (a Seen may be used twice): the same answer.
		// (The request parts are left out: they went through the literal
		// pass once already, and for a secret that can rebuild itself
		// around the marker a second pass may remove more.)
		again := in
		again.URL, again.RequestHeader, again.RequestBody = got.URL, got.RequestHeader, got.RequestBody
		Response(&again, respSecrets, seen)
		again.URL, again.RequestHeader, again.RequestBody = want.URL, want.RequestHeader, want.RequestBody
		diffExchanges(t, "Response again", again, want)

		if mode%3 == 0 {
			want := cloneExchange(in)
			refExchange(&want, secrets)
			got := in
			Exchange(&got, secrets)
			diffExchanges(t, "Exchange", got, want)
		}
		if !reflect.DeepEqual(in.RequestHeader, orig.RequestHeader) || !reflect.DeepEqual(in.ResponseHeader, orig.ResponseHeader) {
			t.Errorf("the caller's headers changed: %#v %#v", in.RequestHeader, in.ResponseHeader)
		}
	})
}

// FuzzHeaders holds Headers to the reference header passes, and checks
// that it never writes into its argument.
func FuzzHeaders(f *testing.F) {
	f.Add("Authorization: Bearer tok-1234567890\nX-Echo: saw tok-1234567890\nAccept: application/json\nEmpty-Token:")
	f.Add("Set-Cookie: sid=abcdefgh; Path=/\nSet-Cookie: lang=en\nLink: <https://x.example/?access_token=abcdefgh>; rel=next")
	f.Fuzz(func(t *testing.T, hdr string) {
		h := parseHeader(hdr)
		orig := deepCloneHeader(h)
		got := Headers(h)
		col := newCollector()
		want := refRedactHeaders(deepCloneHeader(h), col)
		refLiteralHeaders(want, refLiteral(nil, col.seen))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Headers = %#v, want %#v", got, want)
		}
		if !reflect.DeepEqual(h, orig) {
			t.Errorf("Headers changed its argument: %#v, was %#v", h, orig)
		}
	})
}

// FuzzRedactURL holds redactURL, which returns the URL itself when no
// part of it needs redacting, to the reference that always rebuilds it.
func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{
		"http://127.0.0.1:9090/solo/v1/availability",
		"https://api.solo.example/v1/availability?hotel_id=H1001&checkin=2025-12-01#top",
		"https://svc:pa55word-xyz@legacy.example/rates;jsessionid=JSESS0123456789?hotel=H5&api_key=qk_abcdef123456&sig=ffeeddccbbaa#access_token=frag-token-123456",
		"https://x.example/a?client%5Fsecret=abc%20def&x=1",
		"?#", "#?token=abcdefgh", "a?b#c?d#e",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		gotCol, wantCol := newCollector(), newCollector()
		got, want := redactURL(raw, gotCol), refRedactURL(raw, wantCol)
		if got != want {
			t.Errorf("redactURL(%q) = %q, want %q", raw, got, want)
		}
		if !slices.Equal(gotCol.seen, wantCol.seen) {
			t.Errorf("redactURL(%q) collected %q, want %q", raw, gotCol.seen, wantCol.seen)
		}
	})
}

// FuzzAddCredential holds the in-place field walk of addCredential to
// the reference that splits with strings.FieldsFunc: the same values
// collected, in the same order.
func FuzzAddCredential(f *testing.F) {
	for _, s := range []string{
		"Bearer 4f1c2d9e8b7a6f5e4d3c2b1a09f8e7d6",
		"Basic aG90ZWxyYXRlcy1jbGllbnQ6Y3NfOWY4ZTdkNmM1YjRhMzkyODE3MDY=",
		"APIKey=ak_live_5566778899,Signature=abcdef0123456789,timestamp=1764300000",
		"JSESSIONID=JSESS0123456789; lang=en",
		"  \t, ;single-token-value ;",
		"basic\t\t\xffinvalid\xfe utf8 ,,",
		`Digest username="u", response="0123456789abcdef"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, want := newCollector(), newCollector()
		got.addCredential(v)
		refAddCredential(want, v)
		if !slices.Equal(got.seen, want.seen) {
			t.Errorf("addCredential(%q) collected %q, want %q", v, got.seen, want.seen)
		}
	})
}

// FuzzSensitive holds Sensitive, which compares names in place, to the
// definition: the normalized name is not token_type, and is an exact
// name or holds a sensitive word.
func FuzzSensitive(f *testing.F) {
	for _, s := range []string{"Authorization", "token_type", "Token-Type", "ns:SID", "s.i.d", "sids", "api.KEY", "", "-", "x:", "hotelkey", "ſig", "Content-Type"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got, want := Sensitive(name), refSensitive(name); got != want {
			t.Errorf("Sensitive(%q) = %v, want %v", name, got, want)
		}
	})
}

// FuzzLiteral holds the literal pass (searching for the probe patterns
// only, searching a body once) to the reference that searches for every
// pattern, every time.
func FuzzLiteral(f *testing.F) {
	f.Add("Bearer 4f1c2d9e8b7a6f5e", "solo-demo-secret", `{"echo":"Bearer+4f1c2d9e8b7a6f5e and solo-demo-secret"}`, true)
	f.Add("p@ss w/rd<&>", "x[y]z-1234", `{"msg":"bad p@ss w/rd\u003c\u0026\u003e","k":"x[y]z-1234"}`, true)
	f.Add("abcdef", "abcdefgh", "abcdefgh abcdef abcde", false)
	f.Add("[REDACTED]x", "REDACTED]xy", "[REDACTED]xy [REDACTED]x", false)
	f.Fuzz(func(t *testing.T, removed, secret, text string, isJSON bool) {
		var col collector
		col.add(removed)
		lit := newLiteral([]string{secret}, col.values())
		ref := refLiteral([]string{secret}, slices.Clone(col.seen))
		if (lit == nil) != (ref == nil) {
			t.Fatalf("newLiteral = %v, reference %v", lit, ref)
		}
		if lit == nil {
			return
		}
		if got, want := lit.has(text), refHas(ref, text); got != want {
			t.Errorf("has(%q) = %v, want %v (patterns %q, probe %q)", text, got, want, lit.pats, lit.probe)
		}
		if got, want := lit.apply(text), refApply(ref, text); got != want {
			t.Errorf("apply(%q) = %q, want %q", text, got, want)
		}
		if got, want := literalBody(text, isJSON, lit), refLiteralBody(text, isJSON, ref); got != want {
			t.Errorf("literalBody(%q, %v) = %q, want %q", text, isJSON, got, want)
		}
	})
}

// FuzzMatcherLanes holds the four-lane scan to the one-lane one and to
// the definition, on the package's clue list and on a list with long and
// overlapping words, with lanes as short as one byte so that words
// straddle every boundary.
func FuzzMatcherLanes(f *testing.F) {
	for _, s := range []string{
		"to-----------------ken", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxautho.rizationxxxxxxxxxxxxxxxxx",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
		`{"hotel_id":"H00042","currency":"USD","offers":[{"room":"Deluxe King"}]}`,
		"se_c_r_e_t", "ab%", "\u212a\u017f", "passwor", "secre.t",
	} {
		f.Add(s, uint8(1))
	}
	long := []string{"aaaaaaaaaaaaaaaaaaaaaaaab", "abab", "babb", "xyz", "token", "\xff\xfe"}
	matchers := []struct {
		m     *matcher
		words []string
	}{
		{clues, clueWords()},
		{newMatcher(long), long},
	}
	f.Fuzz(func(t *testing.T, s string, minLane uint8) {
		n := string(appendNormalized(nil, s))
		for _, mw := range matchers {
			want := false
			for _, w := range mw.words {
				want = want || strings.Contains(n, w)
			}
			if got := mw.m.scan(s, 0); got != want {
				t.Errorf("scan(%q) = %v, want %v", s, got, want)
			}
			if got := mw.m.matchLanes(s, int(minLane%32)+1); got != want {
				t.Errorf("matchLanes(%q, %d) = %v, want %v", s, minLane%32+1, got, want)
			}
			if got := mw.m.match(s); got != want {
				t.Errorf("match(%q) = %v, want %v", s, got, want)
			}
		}
	})
}

// clueWords is the word list clues was built from, lowercased as the
// definition compares: the normalized text holds one of them.
func clueWords() []string {
	words := append(append([]string{}, sensitiveWords...), "bearer", "basic", `\u`, "%", "&#", "\u017f", "\u212a")
	return append(words, exactNames...)
}

func TestNameLists(t *testing.T) {
	for _, n := range notSensitive {
		if slices.Contains(exactNames, n) {
			t.Errorf("%q is both an exact name and not sensitive; Sensitive assumes the lists are disjoint", n)
		}
		if !sensitiveMatcher.match(n) {
			t.Errorf("%q holds no sensitive word: listing it as not sensitive is pointless", n)
		}
	}
}

// TestHeadersShareNothingWritable checks what the engine relies on: the
// redacted maps are new; a header whose values changed has a slice of its
// own; one that did not shares the caller's, clipped, so that appending
// to it cannot write into the caller's array; and the literal pass copies
// instead of writing into a shared slice.
func TestHeadersShareNothingWritable(t *testing.T) {
	accept := make([]string, 1, 4) // room to append: it must not be used
	accept[0] = "application/json"
	req := map[string][]string{
		"Authorization": {"Bearer tok-1234567890"},
		"Accept":        accept,
		"X-Echo":        {"saw tok-1234567890"},
		"X-None":        nil,
		"X-Empty":       {},
	}
	orig := deepCloneHeader(req)
	ex := hotelrates.Exchange{URL: "https://x.example/a", RequestHeader: req}
	Exchange(&ex, nil)
	out := ex.RequestHeader
	if reflect.ValueOf(out).UnsafePointer() == reflect.ValueOf(req).UnsafePointer() {
		t.Fatal("the redacted header map is the caller's")
	}
	if !reflect.DeepEqual(req, orig) {
		t.Fatalf("the caller's headers changed: %#v", req)
	}
	if got := out["Authorization"]; len(got) != 1 || got[0] != Marker || &got[0] == &req["Authorization"][0] {
		t.Errorf("Authorization = %q, not a slice of its own", got)
	}
	if got := out["X-Echo"]; len(got) != 1 || got[0] != "saw "+Marker || &got[0] == &req["X-Echo"][0] {
		t.Errorf("X-Echo = %q, not a slice of its own", got)
	}
	if got := out["Accept"]; cap(got) != len(got) {
		t.Errorf("Accept shares the caller's spare capacity: len %d cap %d", len(got), cap(got))
	}
	_ = append(out["Accept"], "text/plain")
	if accept[:2][1] != "" {
		t.Error("appending to the record's slice wrote into the caller's array")
	}
	if got, ok := out["X-None"]; !ok || got == nil {
		t.Errorf("X-None = %#v: a header without values must stay an empty slice, not null", got)
	}
	if got := out["X-Empty"]; got == nil || len(got) != 0 {
		t.Errorf("X-Empty = %#v", got)
	}
}

// TestLiteralKeyUnambiguous checks that two different sets of secrets and
// removed values never share a cached remover, even when their strings
// hold the bytes that once separated them in the key.
func TestLiteralKeyUnambiguous(t *testing.T) {
	a := newLiteral([]string{"abcd\x00efgh"}, nil)
	b := newLiteral([]string{"abcd", "efgh"}, nil)
	if !b.has("xx efgh xx") {
		t.Error("the remover of {abcd, efgh} misses efgh: it was handed another set's")
	}
	if a.has("xx efgh xx") {
		t.Error("the remover of {abcd\\x00efgh} removes efgh")
	}
	c := newLiteral(nil, []string{"abcdef\x00ghijkl"})
	d := newLiteral(nil, []string{"abcdef", "ghijkl"})
	if c == d || !d.has("ghijkl") {
		t.Error("removed values joined by a NUL share a remover with the two values")
	}
	e := newLiteral([]string{"abcdefgh"}, nil)
	g := newLiteral(nil, []string{"abcdefgh"})
	if e == g {
		t.Error("a secret and a removed value share a key")
	}
}

// probePatterns compares every pair of patterns, so past maxProbeReduce
// it keeps them all (each is a correct probe): a vendor answer with
// thousands of sensitive values must not cost a quadratic reduction.
func TestProbePatternsBounded(t *testing.T) {
	many := make([]string, maxProbeReduce+1)
	for i := range many {
		many[i] = strings.Repeat("x", len(many)-i) // each contains the next
	}
	if got := probePatterns(many); len(got) != len(many) {
		t.Errorf("%d patterns reduced to %d: past maxProbeReduce the reduction is skipped", len(many), len(got))
	}
	few := many[len(many)-3:]
	if got := probePatterns(few); len(got) != 1 || got[0] != "x" {
		t.Errorf("probePatterns(%q) = %q, want [x]", few, got)
	}
}

// An answer with many sensitive values (a token per offer) is redacted
// like one with a few: every value is removed wherever it occurs, and the
// one-pass search for many patterns agrees with the search per pattern.
func TestManySensitiveValues(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"offers":[`)
	const n = 200
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"bookingToken":"tok-%06d-secret"}`, i, i)
	}
	b.WriteString(`],"echo":"tok-000007-secret tok-000199-secret"}`)
	ex := hotelrates.Exchange{ResponseHeader: map[string][]string{"Content-Type": {"application/json"}}, ResponseBody: b.String()}
	Exchange(&ex, nil)
	if strings.Contains(ex.ResponseBody, "-secret") {
		t.Errorf("a sensitive value survived: %.300s", ex.ResponseBody)
	}
	var removed []string
	for i := range n {
		removed = append(removed, fmt.Sprintf("tok-%06d-secret", i))
	}
	lit := buildLiteral(nil, removed)
	if len(lit.probe) <= maxProbeScan {
		t.Fatalf("%d probes: the test wants more than %d", len(lit.probe), maxProbeScan)
	}
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"nothing here", false},
		{"x tok-000150-secret y", true},
		{"tok-000150-secre", false},
		{`"tok-000003-secret"`, true},
	} {
		if got := lit.has(tt.text); got != tt.want {
			t.Errorf("has(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
	var c collector
	for _, v := range append(removed, removed...) {
		c.add(v)
	}
	if len(c.seen) != n {
		t.Errorf("collected %d values of %d distinct", len(c.seen), n)
	}
}
