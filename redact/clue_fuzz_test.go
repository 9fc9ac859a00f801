package redact

import (
	"strings"
	"testing"
)

// FuzzClueScan checks the claim that lets redaction skip its structural
// pass: a text that mayHoldCredential clears is left exactly as it is by
// every structural rule (text, JSON, XML, form, header pairs), and
// nothing is collected from it.
func FuzzClueScan(f *testing.F) {
	for _, s := range []string{
		`{"hotel_id":"H00001","offers":[{"room":"Deluxe King","total":{"amount":"123.45","currency":"USD"}}]}`,
		`{"access_token":"abc123456","token_type":"Bearer"}`,
		`<Envelope><Body><SessionId>s-123456</SessionId></Body></Envelope>`,
		`a=b&client_secret=xyz123&c=d`,
		`Authorization: Bearer abcdefghijklmnop`,
		`Wed, 02 Dec 2026 06:55:43 GMT`,
		`{"\u0074oken":"abcdef123"}`,
		`baſic abcdefghijklmnopq`,
		`<a pass_word="hunter22">x</a>`,
		`{"api-KEY":"k-1234567"}`,
		"x=1; y=2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if mayHoldCredential(s) {
			return
		}
		checks := []struct {
			name string
			run  func(*collector) string
		}{
			{"text", func(c *collector) string { return scrubText(s, c) }},
			{"pairs", func(c *collector) string { return scrubPairs(s, c) }},
			{"json", func(c *collector) string { return rewriteJSON(s, c, nil) }},
			{"xml", func(c *collector) string { return redactXML(s, c) }},
			{"form", func(c *collector) string { return redactForm(s, c) }},
		}
		for _, ch := range checks {
			col := newCollector()
			if got := ch.run(col); got != s || len(col.seen) > 0 {
				t.Fatalf("%s rule changed a text the clue scan cleared:\n in: %q\nout: %q\ncollected: %v", ch.name, s, got, col.values())
			}
		}
	})
}

// FuzzMatcher checks the automaton against the plain definition: a text
// matches when its normalized form contains one of the words.
func FuzzMatcher(f *testing.F) {
	for _, s := range []string{"", "TOKEN", "to-ken", "se.cr_et", "passwd", "xsidx", "Authorisation", "BEARER x", `a\u0041`, "100%", "&#116;", "baſic", "apiKey", "ke", "k-e-y"} {
		f.Add(s)
	}
	words := []string{"token", "secret", "key", "sid", `\u`, "%", "&#", "\u017f"}
	m := newMatcher(words)
	f.Fuzz(func(t *testing.T, s string) {
		n := string(appendNormalized(nil, s))
		want := false
		for _, w := range words {
			want = want || strings.Contains(n, w)
		}
		if got := m.match(s); got != want {
			t.Fatalf("match(%q) = %v, want %v (normalized %q)", s, got, want, n)
		}
	})
}
