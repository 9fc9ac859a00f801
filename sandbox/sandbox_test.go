package sandbox

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hotelrates"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func stay(currency string) hotelrates.Stay {
	return hotelrates.Stay{
		CheckIn:  hotelrates.MustDate("2026-12-01"),
		CheckOut: hotelrates.MustDate("2026-12-04"),
		Adults:   2, Rooms: 1, Currency: currency,
	}
}

func TestCarries(t *testing.T) {
	tests := []struct {
		vendor, hotel string
		want          bool
	}{
		{Solo, "H00001", true}, {Solo, "H00004", false},
		{Bulk, "H00001", true}, {Bulk, "H00003", false},
		{Session, "H00001", true}, {Session, "H00005", false},
		{Solo, "H20000", false}, {Solo, "H20001", false}, {Solo, "H00000", false},
		{Solo, "X00001", false}, {Solo, "H0001", false}, {Solo, "h00001", false},
		{"other", "H00001", false},
	}
	for _, tt := range tests {
		if got := Carries(tt.vendor, tt.hotel); got != tt.want {
			t.Errorf("Carries(%q, %q) = %v, want %v", tt.vendor, tt.hotel, got, tt.want)
		}
	}
}

func TestOffersDeterministicAndPlausible(t *testing.T) {
	soldOut, total := 0, 0
	for _, v := range VendorNames {
		for n := 1; n <= 2000; n++ {
			id := HotelID(n)
			a, b := Offers(v, id, stay("USD")), Offers(v, id, stay("USD"))
			if len(a) != len(b) {
				t.Fatalf("%s %s: not deterministic", v, id)
			}
			for i := range a {
				if a[i] != b[i] {
					t.Fatalf("%s %s: offer %d differs: %+v vs %+v", v, id, i, a[i], b[i])
				}
			}
			if !Carries(v, id) {
				if a != nil {
					t.Fatalf("%s %s: offers for a hotel not carried", v, id)
				}
				continue
			}
			total++
			if len(a) == 0 {
				soldOut++
				continue
			}
			if len(a) > 5 {
				t.Fatalf("%s %s: %d offers", v, id, len(a))
			}
			seen := map[string]bool{}
			for _, o := range a {
				if o.Vendor != v || o.Total.Currency != "USD" || o.Total.Minor <= 0 {
					t.Fatalf("bad offer %+v", o)
				}
				if seen[o.Room+o.Board] {
					t.Fatalf("%s %s: duplicate room/board", v, id)
				}
				seen[o.Room+o.Board] = true
				if o.Refundable != !o.CancelDeadline.IsZero() {
					t.Fatalf("refundable and deadline disagree: %+v", o)
				}
				if o.Refundable && !o.CancelDeadline.Before(stay("USD").CheckIn.Time().Add(24*time.Hour)) {
					t.Fatalf("deadline after check-in: %+v", o)
				}
			}
		}
	}
	if pct := soldOut * 100 / total; pct < 4 || pct > 12 {
		t.Errorf("sold out %d%% of carried hotel/stays, want about 8%%", pct)
	}
}

func TestOffersCurrencyAndStay(t *testing.T) {
	usd := Offers(Solo, "H00001", stay("USD"))
	eur := Offers(Solo, "H00001", stay("EUR"))
	if len(usd) == 0 {
		t.Skip("H00001 sold out for this stay")
	}
	if len(eur) == len(usd) && eur[0].Total.Currency != "EUR" {
		t.Errorf("currency not applied: %+v", eur[0])
	}
	if Offers(Solo, "H00001", stay("JPY")) != nil {
		t.Error("unsupported currency priced")
	}
	bad := stay("USD")
	bad.CheckOut = bad.CheckIn
	if Offers(Solo, "H00001", bad) != nil {
		t.Error("zero-night stay priced")
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
		check               func(Config) bool
	}{
		{"empty keeps defaults", "", "", func(c Config) bool { return c.Vendors.Solo.Concurrency == 16 && c.Vendors.Bulk.MaxBatch == 250 }},
		{"override one key", "vendors:\n  bulk:\n    concurrency: 8\n    latency:\n      base: 5ms\n", "", func(c Config) bool {
			return c.Vendors.Bulk.Concurrency == 8 && c.Vendors.Bulk.Latency.Base == 5*time.Millisecond && c.Vendors.Bulk.Latency.PerHotel == 500*time.Microsecond
		}},
		{"unknown key names key and line", "vendors:\n  solo:\n    concurency: 3\n", "line 3: field concurency not found", nil},
		{"bad jitter", "vendors:\n  solo:\n    latency:\n      jitter: wild\n", "vendors.solo.latency.jitter", nil},
		{"fault sum", "vendors:\n  solo:\n    faults:\n      error_500: 0.7\n      hang: 0.5\n", "add up", nil},
		{"solo batch", "vendors:\n  solo:\n    max_batch: 2\n", "one hotel per call", nil},
		{"zero concurrency", "vendors:\n  session:\n    concurrency: 0\n", "vendors.session.concurrency", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tt.yaml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("config not as expected: %+v", c.Vendors)
			}
		})
	}
}

func TestAdmitCapacityAndQueue(t *testing.T) {
	cfg := DefaultConfig().Vendors.Solo
	cfg.Concurrency, cfg.QueueLimit = 3, 4
	done := make(chan struct{})
	defer close(done)
	b := NewBackend(Solo, cfg, 1, done)

	release := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted, throttled := 0, 0
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rel, err := b.Admit(context.Background())
			var te *ThrottleError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.As(err, &te):
				throttled++
				if te.RetryAfterSeconds() == "" {
					t.Error("no Retry-After")
				}
				return
			case err != nil:
				t.Error(err)
				return
			}
			admitted++
			mu.Unlock()
			<-release
			rel()
			mu.Lock()
		}()
	}
	// 3 in service and 4 queued; the other 3 are throttled at once.
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := b.Stats()
		if s.InService == 3 && s.Queued == 4 && s.Throttled == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats never settled: %+v", s)
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	s := b.Stats()
	if admitted != 7 || throttled != 3 || s.PeakInService != 3 || s.PeakQueue != 4 || s.InService != 0 || s.Queued != 0 {
		t.Errorf("admitted %d throttled %d stats %+v", admitted, throttled, s)
	}
}

func TestAdmitRate(t *testing.T) {
	cfg := DefaultConfig().Vendors.Bulk
	cfg.RPS, cfg.Burst = 5, 5
	done := make(chan struct{})
	defer close(done)
	b := NewBackend(Bulk, cfg, 1, done)
	ok, limited := 0, 0
	for range 20 {
		rel, err := b.Admit(context.Background())
		if err != nil {
			limited++
			continue
		}
		ok++
		rel()
	}
	if ok < 5 || ok > 7 || limited != 20-ok || b.Stats().Throttled != int64(limited) {
		t.Errorf("ok %d limited %d stats %+v", ok, limited, b.Stats())
	}
}

func TestRollDeterministic(t *testing.T) {
	cfg := DefaultConfig().Vendors.Solo
	cfg.Faults.Error500, cfg.Faults.Hang = 0.3, 0.2
	seq := func(seed uint64) []Fault {
		b := NewBackend(Solo, cfg, seed, nil)
		var out []Fault
		for i := range 200 {
			out = append(out, b.Roll(HotelID(i%50+1)))
		}
		return out
	}
	a, b := seq(7), seq(7)
	n500 := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("roll %d differs", i)
		}
		if a[i] == Fault500 {
			n500++
		}
	}
	if n500 < 30 || n500 > 90 {
		t.Errorf("%d of 200 rolls were 500, want about 60", n500)
	}
	c := seq(8)
	same := true
	for i := range a {
		same = same && a[i] == c[i]
	}
	if same {
		t.Error("another seed gave the same faults")
	}
}

func TestLatencyJitter(t *testing.T) {
	cfg := DefaultConfig().Vendors.Solo
	b := NewBackend(Solo, cfg, 1, nil)
	if d := b.Latency(1); d != 40*time.Millisecond {
		t.Errorf("fixed latency %v", d)
	}
	cfg.Latency.Jitter = "lognormal"
	b = NewBackend(Solo, cfg, 1, nil)
	var sum time.Duration
	for range 2000 {
		sum += b.Latency(1)
	}
	if mean := sum / 2000; mean < 36*time.Millisecond || mean > 44*time.Millisecond {
		t.Errorf("lognormal mean %v, want about 40ms", mean)
	}
}

func TestExampleFileIsTheDefaults(t *testing.T) {
	c, err := LoadConfig("../sandbox.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c != DefaultConfig() {
		t.Errorf("sandbox.example.yaml differs from DefaultConfig:\n%+v\n%+v", c, DefaultConfig())
	}
}

func TestFloor(t *testing.T) {
	d := DefaultConfig().Vendors
	tests := []struct {
		name string
		v    VendorConfig
		n    int
		want time.Duration
	}{
		{"solo 200", d.Solo, 200, 13 * 40 * time.Millisecond},
		{"solo 16", d.Solo, 16, 40 * time.Millisecond},
		{"solo 17", d.Solo, 17, 80 * time.Millisecond},
		{"bulk 200: four calls of 50", d.Bulk, 200, 125 * time.Millisecond},
		{"bulk 1000: four calls of 250", d.Bulk, 1000, 225 * time.Millisecond},
		{"session 200: 12 calls of 17", d.Session, 200, 3 * (60 + 34) * time.Millisecond},
		{"none", d.Solo, 0, 0},
	}
	for _, tt := range tests {
		if got := Floor(tt.v, tt.n); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	// Each vendor is asked only for what it carries: solo at least 150 of
	// 200 consecutive hotels, 10 rounds of 16.
	if got := SearchFloor(DefaultConfig(), 200, VendorNames...); got != 400*time.Millisecond {
		t.Errorf("search floor %v, want 400ms", got)
	}
}

// FuzzParseConfig: no input makes ParseConfig panic; what it accepts is valid.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{"", "seed: 3", "vendors: {solo: {concurrency: 2}}", "vendors:\n  bulk:\n    faults: {hang: 2}\n", "[", "vendors: {session: {latency: {base: -1s}}}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(b)
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("accepted an invalid config: %v", verr)
			}
		}
	})
}
