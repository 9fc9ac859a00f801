package jsonw

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

var stringCases = []string{
	"", "plain ascii", `"quoted" \ back\slash`, "<html> & </html>", "tab\tnew\nline\rcr\b\f\x00\x1f",
	"ünïcødé ✓ 😀", "\u2028\u2029", "bad \xff utf-8 \xc3", "\x7f del", strings.Repeat("a", 300) + `"`,
}

// FuzzAppendString holds AppendString to encoding/json's bytes.
func FuzzAppendString(f *testing.F) {
	for _, s := range stringCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString([]byte("x"), s); !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Fatalf("AppendString(%q) = %s, encoding/json %s", s, got[1:], want)
		}
	})
}

// FuzzAppendFloat holds AppendFloat to encoding/json's bytes.
func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0, 1, -1.5, 1e-7, 1e21, 123456789.125, math.SmallestNonzeroFloat64, math.MaxFloat64} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if got := string(AppendFloat(nil, v)); got != "0" {
				t.Fatalf("AppendFloat(%v) = %s, want 0", v, got)
			}
			return
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendFloat(nil, v); !bytes.Equal(got, want) {
			t.Fatalf("AppendFloat(%v) = %s, encoding/json %s", v, got, want)
		}
	})
}

// BenchmarkAppendString: a JSON answer as an archive record holds it
// (many quotes), and a header value (none).
func BenchmarkAppendString(b *testing.B) {
	body := strings.Repeat(`{"hotel_id":"H00042","offers":[{"room":"double","board":"BB","total":{"amount":"123.45","currency":"USD"}}]},`, 8)
	for _, bc := range []struct{ name, s string }{{"body", body}, {"header", "application/json; charset=utf-8"}} {
		b.Run(bc.name, func(b *testing.B) {
			buf := make([]byte, 0, 4096)
			b.SetBytes(int64(len(bc.s)))
			for b.Loop() {
				buf = AppendString(buf[:0], bc.s)
			}
		})
	}
}
