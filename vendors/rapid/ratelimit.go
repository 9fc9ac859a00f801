package rapid

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Rapid publishes an account's capacity in Rate-Limit-* headers: per
// minute (and per day) the capacity in requests, what is left of it as a
// percentage, and when it resets, in Unix milliseconds. Once the day's
// capacity is used up, the minute's capacity is reduced
// (Rate-Limit-Reduction-Status: active).

// reducedShare is the part of the minute's capacity left while the
// reduction is active (a tenth), and reducedUnlimited the minute's capacity
// then when there was no per-minute limit.
const (
	reducedShare     = 10
	reducedUnlimited = 60
)

// rateWindow is the sandbox's count of an account's requests in fixed
// windows: the clock's minute and the UTC day.
type rateWindow struct {
	perMinute int // 0: no per-minute limit
	perDay    int // 0: no daily capacity

	mu          sync.Mutex
	minute      time.Time // start of the current minute
	minuteCount int
	day         time.Time // start of the current UTC day
	dayCount    int
}

// rateState is what one request learnt from the window: whether it is
// admitted and the headers to answer with.
type rateState struct {
	admitted bool
	reset    time.Time // when the minute's capacity resets
	header   http.Header
}

// take counts one request at now and returns its state.
func (rw *rateWindow) take(now time.Time) rateState {
	minute := now.Truncate(time.Minute)
	day := now.UTC().Truncate(24 * time.Hour)

	rw.mu.Lock()
	if !minute.Equal(rw.minute) {
		rw.minute, rw.minuteCount = minute, 0
	}
	if !day.Equal(rw.day) {
		rw.day, rw.dayCount = day, 0
	}
	reduced := rw.perDay > 0 && rw.dayCount >= rw.perDay
	limit := rw.perMinute
	if reduced {
		limit = reducedUnlimited
		if rw.perMinute > 0 {
			limit = max(1, rw.perMinute/reducedShare)
		}
	}
	st := rateState{admitted: limit == 0 || rw.minuteCount < limit, reset: minute.Add(time.Minute)}
	if st.admitted {
		rw.minuteCount++
		rw.dayCount++
	}
	minuteLeft, dayLeft := limit-rw.minuteCount, rw.perDay-rw.dayCount
	rw.mu.Unlock()

	h := http.Header{}
	if limit > 0 {
		h.Set(HeaderRateLimitMinute, strconv.Itoa(limit))
		h.Set(HeaderRateLimitMinuteRemaining, strconv.Itoa(percent(minuteLeft, limit)))
		h.Set(HeaderRateLimitMinuteReset, strconv.FormatInt(st.reset.UnixMilli(), 10))
	}
	if rw.perDay > 0 {
		h.Set(HeaderRateLimitDay, strconv.Itoa(rw.perDay))
		h.Set(HeaderRateLimitDayRemaining, strconv.Itoa(percent(dayLeft, rw.perDay)))
		h.Set(HeaderRateLimitDayReset, strconv.FormatInt(day.Add(24*time.Hour).UnixMilli(), 10))
	}
	if limit > 0 || rw.perDay > 0 {
		status := "inactive"
		if reduced {
			status = "active"
		}
		h.Set(HeaderRateLimitReduction, status)
	}
	st.header = h
	return st
}

// percent is left as a whole percentage of limit, rounded down, 0 to 100.
func percent(left, limit int) int {
	return min(100, max(0, left*100/limit))
}

// perMinuteBudget is the minute's capacity of a sandbox vendor allowed rps
// requests a second (0: no limit).
func perMinuteBudget(rps float64) int {
	if rps <= 0 {
		return 0
	}
	return int(math.Ceil(rps * 60))
}

// minuteBudget is what an answer's headers say about the minute's
// capacity: remaining requests (when known) until resetIn (when hasReset).
type minuteBudget struct {
	known     bool
	remaining int
	resetIn   time.Duration
	hasReset  bool
}

// readMinuteBudget reads the Rate-Limit-Minute* headers of an answer
// received at now. The remaining requests are the minute's capacity
// (Rate-Limit-Minute, or perMinute when the answer does not say) times the
// remaining percentage, rounded down; without either the budget is
// unknown. A missing reset is taken as a full minute away.
func readMinuteBudget(h http.Header, now time.Time, perMinute int) minuteBudget {
	var b minuteBudget
	if ms, ok := headerNumber(h, HeaderRateLimitMinuteReset); ok && ms >= 0 && ms < 1e15 {
		b.resetIn, b.hasReset = max(0, time.UnixMilli(int64(ms)).Sub(now)), true
	}
	pct, okPct := headerNumber(h, HeaderRateLimitMinuteRemaining)
	limit, okLimit := headerNumber(h, HeaderRateLimitMinute)
	if !okLimit || limit <= 0 {
		limit, okLimit = float64(perMinute), perMinute > 0
	}
	if okPct && okLimit && pct >= 0 && limit < 1e9 {
		b.known = true
		b.remaining = int(math.Floor(limit * min(pct, 100) / 100))
		if !b.hasReset {
			b.resetIn = time.Minute
		}
	}
	return b
}

// headerNumber parses a numeric header; false when it is absent or not a
// finite number.
func headerNumber(h http.Header, name string) (float64, bool) {
	v := h.Get(name)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}
