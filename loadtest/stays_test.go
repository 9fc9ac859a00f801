package loadtest

import (
	"testing"
	"time"

	"hotelrates"
)

// The stays a run asks for follow the clock: whenever the run starts,
// none is before that day (the service would refuse it), each is two
// nights, and a run's stays are the same for the same start.
func TestStaysNeverPast(t *testing.T) {
	for _, tt := range []struct {
		name string
		now  time.Time
	}{
		{"before the old fixed dates", time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)},
		{"after the old fixed dates", time.Date(2027, 8, 1, 9, 30, 0, 0, time.UTC)},
		{"last second of a UTC day", time.Date(2027, 8, 1, 23, 59, 59, 0, time.UTC)},
		{"first second of a UTC day", time.Date(2027, 8, 2, 0, 0, 0, 0, time.UTC)},
		{"a zone ahead of UTC, already the next day", time.Date(2027, 8, 2, 8, 0, 0, 0, time.FixedZone("UTC+14", 14*3600))},
		{"a zone behind UTC, still the day before", time.Date(2027, 7, 31, 14, 0, 0, 0, time.FixedZone("UTC-12", -12*3600))},
		{"new year's eve", time.Date(2030, 12, 31, 23, 0, 0, 0, time.UTC)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			today := hotelrates.DateOf(tt.now.UTC())
			check := func(what string, st hotelrates.Stay) {
				t.Helper()
				if st.CheckIn.Before(today) {
					t.Fatalf("%s: check-in %s is before today %s", what, st.CheckIn, today)
				}
				if st.Nights() != 2 {
					t.Fatalf("%s: %s to %s is %d nights, want 2", what, st.CheckIn, st.CheckOut, st.Nights())
				}
			}
			if got, want := firstCheckIn(tt.now), today.AddDays(28); got.String() != want.String() {
				t.Errorf("first check-in %s, want %s (four weeks after %s)", got, want, today)
			}
			a, b := newKeyspace(tt.now), newKeyspace(tt.now)
			for i := range 1500 { // more than the 720 days the stays spread over
				st, hotels := a.next(10)
				check("keyspace", st)
				if again, _ := b.next(10); again.Key() != st.Key() {
					t.Fatalf("search %d: stay %s, then %s for the same start", i, st.Key(), again.Key())
				}
				if len(hotels) != 10 {
					t.Fatalf("search %d: %d hotels", i, len(hotels))
				}
			}
			sc := Scenario{Popular: 300}
			first, _ := sc.pick(a, 0, 100)
			check("popular", first)
			for i := range 50 {
				if st, _ := sc.pick(a, i, 100); st.Key() != first.Key() {
					t.Fatalf("popular search %d: stay %s, want the scenario's one stay %s", i, st.Key(), first.Key())
				}
			}
		})
	}
}
