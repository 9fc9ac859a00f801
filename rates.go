package hotelrates

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
)

// ExchangeRates converts money at reference rates: for each currency, its
// units per one unit of the base currency, as the European Central Bank
// publishes them for the euro each working day. Suppliers that price in a
// hotel's contract currency (Hotelbeds) get their offers converted with
// it. It is read-only once built, so safe for concurrent use.
type ExchangeRates struct {
	base  string
	date  string
	rates map[string]*big.Rat // units per base unit; the base's is 1
}

// NewExchangeRates returns rates against base; rates maps each currency to
// its units per base unit, as a decimal such as "1.0870".
func NewExchangeRates(base, date string, rates map[string]string) (*ExchangeRates, error) {
	if !isCurrencyCode(base) {
		return nil, fmt.Errorf("base currency %q is not an ISO 4217 code", truncate(base, 10))
	}
	x := &ExchangeRates{base: base, date: date, rates: map[string]*big.Rat{base: big.NewRat(1, 1)}}
	for c, r := range rates {
		if err := x.add(c, r); err != nil {
			return nil, err
		}
	}
	return x, nil
}

func (x *ExchangeRates) add(currency, rate string) error {
	if !isCurrencyCode(currency) {
		return fmt.Errorf("currency %q is not an ISO 4217 code", truncate(currency, 10))
	}
	r, ok := new(big.Rat).SetString(rate)
	if !ok || r.Sign() <= 0 || !isDecimal(rate) || len(rate) > 24 {
		return fmt.Errorf("rate %q of %s is not a positive decimal", truncate(rate, 24), currency)
	}
	if currency == x.base && r.Cmp(big.NewRat(1, 1)) != 0 {
		return fmt.Errorf("the base currency %s must have rate 1, not %s", currency, rate)
	}
	x.rates[currency] = r
	return nil
}

// isDecimal reports whether s is digits with at most one '.' between
// digits, as the ECB writes its rates ("1.0870"): big.Rat would also take
// "0x10", "1_087" or "3/2".
func isDecimal(s string) bool {
	in, frac, dot := strings.Cut(s, ".")
	digits := func(p string) bool {
		return p != "" && strings.IndexFunc(p, func(r rune) bool { return r < '0' || r > '9' }) < 0
	}
	return digits(in) && (!dot || digits(frac))
}

func isCurrencyCode(c string) bool {
	return len(c) == 3 && strings.IndexFunc(c, func(r rune) bool { return r < 'A' || r > 'Z' }) < 0
}

// Base returns the base currency, such as "EUR".
func (x *ExchangeRates) Base() string { return x.base }

// Date returns the day the rates are of, as published ("" when unknown).
func (x *ExchangeRates) Date() string { return x.date }

// Has reports whether currency can be converted.
func (x *ExchangeRates) Has(currency string) bool { _, ok := x.rates[currency]; return ok }

// Convert returns m in currency to, exactly at the reference rates and
// rounded half away from zero to to's minor units.
func (x *ExchangeRates) Convert(m Money, to string) (Money, error) {
	if m.Currency == to {
		return m, nil
	}
	from, ok := x.rates[m.Currency]
	if !ok {
		return Money{}, fmt.Errorf("no exchange rate for %s", truncate(m.Currency, 10))
	}
	into, ok := x.rates[to]
	if !ok {
		return Money{}, fmt.Errorf("no exchange rate for %s", truncate(to, 10))
	}
	// minor_to = minor_from / 10^e_from / from * into * 10^e_to
	v := new(big.Rat).SetInt64(m.Minor)
	v.Mul(v, into)
	v.Quo(v, from)
	v.Mul(v, new(big.Rat).SetFrac(pow10(exponent(to)), pow10(exponent(m.Currency))))
	n := roundHalfAway(v)
	if !n.IsInt64() {
		return Money{}, fmt.Errorf("%s in %s is out of range", m, to)
	}
	return Money{Minor: n.Int64(), Currency: to}, nil
}

func pow10(e int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(e)), nil) }

func roundHalfAway(v *big.Rat) *big.Int {
	num, den := new(big.Int).Abs(v.Num()), v.Denom()
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Lsh(r, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if v.Sign() < 0 {
		q.Neg(q)
	}
	return q
}

// ReadECBRates reads the European Central Bank's euro reference rates in
// either of the forms it publishes them: the daily XML file
// (eurofxref-daily.xml: <Cube time="..."><Cube currency="USD"
// rate="1.0870"/>...) or the CSV file (eurofxref.csv: a header line
// "Date, USD, JPY, ..." and one line of rates). The base is EUR.
func ReadECBRates(r io.Reader) (*ExchangeRates, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("exchange rates: %w", err)
	}
	t := bytes.TrimSpace(data)
	if len(t) == 0 {
		return nil, errors.New("exchange rates: empty")
	}
	var x *ExchangeRates
	if t[0] == '<' {
		x, err = readECBXML(t)
	} else {
		x, err = readECBCSV(t)
	}
	if err != nil {
		return nil, fmt.Errorf("exchange rates: %w", err)
	}
	if len(x.rates) < 2 {
		return nil, errors.New("exchange rates: no rates in the file")
	}
	return x, nil
}

func readECBXML(data []byte) (*ExchangeRates, error) {
	x := &ExchangeRates{base: "EUR", rates: map[string]*big.Rat{"EUR": big.NewRat(1, 1)}}
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return x, nil
		}
		if err != nil {
			return nil, fmt.Errorf("XML: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Cube" {
			continue
		}
		var currency, rate string
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "time":
				if x.date != "" && x.date != a.Value {
					return nil, fmt.Errorf("more than one day of rates (%s and %s): give the daily file", x.date, truncate(a.Value, 20))
				}
				x.date = a.Value
			case "currency":
				currency = a.Value
			case "rate":
				rate = a.Value
			}
		}
		if currency == "" && rate == "" {
			continue
		}
		if err := x.add(currency, rate); err != nil {
			return nil, err
		}
	}
}

func readECBCSV(data []byte) (*ExchangeRates, error) {
	x := &ExchangeRates{base: "EUR", rates: map[string]*big.Rat{"EUR": big.NewRat(1, 1)}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	var head []string
	for sc.Scan() {
		fields := strings.Split(strings.TrimSpace(sc.Text()), ",")
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		if len(fields) == 1 && fields[0] == "" {
			continue
		}
		if head == nil {
			if fields[0] != "Date" {
				return nil, fmt.Errorf("CSV: the first line must start with Date, not %q", truncate(fields[0], 20))
			}
			head = fields
			continue
		}
		if x.date != "" {
			return nil, errors.New("CSV: more than one day of rates: give the daily file")
		}
		x.date = fields[0]
		for i, f := range fields[1:] {
			if i+1 >= len(head) {
				return nil, errors.New("CSV: a line has more fields than the header")
			}
			if head[i+1] == "" && f == "" {
				continue // the trailing comma the ECB writes
			}
			if f == "N/A" {
				continue
			}
			if err := x.add(head[i+1], f); err != nil {
				return nil, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("CSV: %w", err)
	}
	return x, nil
}
