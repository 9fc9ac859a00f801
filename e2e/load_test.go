package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hotelrates/httpapi"
	"hotelrates/internal/offertest"
	"hotelrates/sandbox"
)

// metric reads one sample of a metric from the service's /metrics.
func (d *deployment) metric(name string) float64 {
	resp, err := http.Get(d.url + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// Ten times the load the vendors can serve, at a fixed arrival rate:
// the excess is refused at once with 429 and Retry-After, accepted
// searches finish within their deadline, the vendors see no 429 from us,
// and goroutines and memory stay bounded.
func TestOverloadShedsAndStaysBounded(t *testing.T) {
	d := deployWith(t, func(*sandbox.Config) {}, "", ", rate_limit: 18, burst: 10")
	d.start()
	// Capacity with the default sandbox: bulk (20 calls/s, 4 calls per
	// 50-hotel search) serves about 5 searches/s. Offer 50/s for 3 s.
	const rate, seconds, timeoutMS = 50, 3, 2000
	var (
		wg                                sync.WaitGroup
		mu                                sync.Mutex
		ok, shed, other, late, incomplete int
		slowestShed                       time.Duration
		noRetryAfter                      int
		peakGoroutines, peakRSS           float64
	)
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
				peakGoroutines = max(peakGoroutines, d.metric("go_goroutines"))
				peakRSS = max(peakRSS, d.metric("process_resident_memory_bytes"))
			}
		}
	})
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	in := offertest.FutureDate(30)
	tick := time.NewTicker(time.Second / rate)
	for i := range rate * seconds {
		<-tick.C // open model: arrivals on schedule, whatever the answers
		wg.Go(func() {
			from := 1 + (i*50)%19000
			ids, _ := json.Marshal(sandbox.HotelIDs(from, from+49))
			body := fmt.Sprintf(`{"hotel_ids":%s,"check_in":"%s","check_out":"%s","timeout_ms":%d}`, ids, in, in.AddDays(2), timeoutMS)
			start := time.Now()
			resp, err := client.Post(d.url+"/v1/search", "application/json", strings.NewReader(body))
			el := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				other++
				return
			}
			defer resp.Body.Close()
			switch resp.StatusCode {
			case 200:
				ok++
				var out httpapi.SearchResponse
				json.NewDecoder(resp.Body).Decode(&out)
				if !out.Complete {
					incomplete++
				}
				if el > timeoutMS*time.Millisecond+500*time.Millisecond {
					late++
				}
			case 429, 503:
				shed++
				slowestShed = max(slowestShed, el)
				if resp.Header.Get("Retry-After") == "" {
					noRetryAfter++
				}
			default:
				other++
			}
		})
	}
	tick.Stop()
	wg.Wait()
	close(stop)
	sampler.Wait()
	t.Logf("answered %d, shed %d (slowest %v), other %d, late %d, incomplete %d; peak goroutines %.0f, peak RSS %.0f MB",
		ok, shed, slowestShed, other, late, incomplete, peakGoroutines, peakRSS/1e6)
	if shed == 0 || ok == 0 || other > 0 || noRetryAfter > 0 {
		t.Errorf("answered %d, shed %d, other %d, without Retry-After %d", ok, shed, other, noRetryAfter)
	}
	if slowestShed > time.Second {
		t.Errorf("shedding took up to %v: it should be at once", slowestShed)
	}
	if late > 0 || incomplete > ok/10 {
		t.Errorf("%d accepted searches late, %d incomplete", late, incomplete)
	}
	for name, st := range d.sim.Stats() {
		if st.Throttled != 0 {
			t.Errorf("vendor %s sent %d 429s", name, st.Throttled)
		}
	}
	// Pools (16+4+4), a goroutine or two per accepted search in progress
	// (at most rate x deadline), connections, and the runtime's own.
	if peakGoroutines <= 0 || peakGoroutines > 24+2*rate*timeoutMS/1000+200 {
		t.Errorf("peak goroutines %.0f", peakGoroutines)
	}
	if peakRSS <= 0 || peakRSS > 500e6 {
		t.Errorf("peak RSS %.0f MB", peakRSS/1e6)
	}
	d.stop()
}

// SIGTERM under load: searches in flight finish with 200, none fails, and
// the archive holds every exchange. On a machine too busy for the load,
// the service may refuse a search at admission (429 with Retry-After):
// that is its overload protection, not a search cut off by the shutdown.
func TestSIGTERMUnderLoad(t *testing.T) {
	d := deploy(t)
	d.start()
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		wg       sync.WaitGroup
	)
	client := &http.Client{Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := offertest.FutureDate(60)
	for c := range 6 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				from := 1 + (c*2000+i*80)%19000
				ids, _ := json.Marshal(sandbox.HotelIDs(from, from+79))
				body := fmt.Sprintf(`{"hotel_ids":%s,"check_in":"%s","check_out":"%s"}`, ids, in, in.AddDays(1))
				resp, err := client.Post(d.url+"/v1/search", "application/json", strings.NewReader(body))
				if err != nil {
					return // the listener is closed: the shutdown has begun
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
					statuses[-1]++ // refused without a Retry-After
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	d.stop() // SIGTERM, and a clean exit
	cancel()
	wg.Wait()
	t.Logf("statuses %v", statuses)
	for code, n := range statuses {
		if code != 200 && code != http.StatusTooManyRequests {
			t.Errorf("%d answers with status %d", n, code)
		}
	}
	if statuses[200] < 6 {
		t.Errorf("only %d searches answered", statuses[200])
	}
	recs, _, _ := d.objects()
	d.reconcile(recs, 0)
}

// Ten searches of 1,000 hotels that all end at their 300 ms deadline,
// through the real service: every answer is a 200 with what arrived,
// written by the deadline (a generous bound, so it holds with both cores
// busy), and goroutines stay within the pools' bound, not one per hotel.
func TestSearchesEndingAtTheirDeadlineAnswerOnTime(t *testing.T) {
	d := deploy(t)
	d.start()
	const searches, hotels, timeoutMS = 10, 1000, 300
	var (
		wg               sync.WaitGroup
		mu               sync.Mutex
		latest           time.Duration
		partial, answers int
		peakGoroutines   float64
	)
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				n := d.metric("go_goroutines")
				mu.Lock()
				peakGoroutines = max(peakGoroutines, n)
				mu.Unlock()
			}
		}
	})
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	in := offertest.FutureDate(90)
	for i := range searches {
		wg.Go(func() {
			ids, _ := json.Marshal(sandbox.HotelIDs(1+i*hotels, (i+1)*hotels))
			body := fmt.Sprintf(`{"hotel_ids":%s,"check_in":"%s","check_out":"%s","timeout_ms":%d,"fresh":true}`, ids, in, in.AddDays(2), timeoutMS)
			start := time.Now()
			resp, err := client.Post(d.url+"/v1/search", "application/json", strings.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var out httpapi.SearchResponse
			err = json.NewDecoder(resp.Body).Decode(&out)
			el := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			latest = max(latest, el)
			if err != nil || resp.StatusCode != 200 || len(out.Hotels) != hotels {
				t.Errorf("search %d: HTTP %d, %d hotels, %v", i, resp.StatusCode, len(out.Hotels), err)
				return
			}
			answers++
			if !out.Complete {
				partial++
			}
		})
	}
	wg.Wait()
	close(stop)
	sampler.Wait()
	t.Logf("%d answers (%d partial), the last after %v; peak goroutines %.0f", answers, partial, latest, peakGoroutines)
	if answers != searches || partial == 0 {
		t.Errorf("%d answers, %d partial", answers, partial)
	}
	if latest > timeoutMS*time.Millisecond+time.Second {
		t.Errorf("an answer came %v after the search was sent, its deadline was %d ms", latest, timeoutMS)
	}
	// The pools' maxima and connections (about 100 for the three vendors),
	// a few per request in progress, the archive's and the runtime's own.
	if peakGoroutines <= 0 || peakGoroutines > 250 {
		t.Errorf("peak goroutines %.0f", peakGoroutines)
	}
	d.stop()
}
