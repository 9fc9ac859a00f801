package sandbox

import (
	"bytes"
	_ "embed"

	"hotelrates"
)

//go:embed eurofxref.xml
var eurofxref []byte

// ExchangeRates returns the embedded default's exchange rates, the
// sandbox's own fixed ones (sandbox/eurofxref.xml, in the ECB's daily
// format).
func ExchangeRates() *hotelrates.ExchangeRates {
	x, err := hotelrates.ReadECBRates(bytes.NewReader(eurofxref))
	if err != nil {
		panic("sandbox: embedded exchange rates: " + err.Error()) // a build defect, caught by TestExchangeRates
	}
	return x
}
