package engine

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the engine's Prometheus collectors, all named hotelrates_*.
type Metrics struct {
	searches       *prometheus.CounterVec
	searchDuration prometheus.Histogram
	calls          *prometheus.CounterVec
	callDuration   *prometheus.HistogramVec
	workers        *prometheus.GaugeVec
	queued         *prometheus.GaugeVec
	inflight       *prometheus.GaugeVec
	dropped        *prometheus.CounterVec
	refreshes      *prometheus.CounterVec
	invalidations  *prometheus.CounterVec
	hotels         *prometheus.CounterVec
	throttled      *prometheus.CounterVec
	hedges         *prometheus.CounterVec
	breaker        *prometheus.GaugeVec
	limit          *prometheus.GaugeVec
	shed           *prometheus.CounterVec
	searchesActive prometheus.Gauge
	cacheHits      *prometheus.CounterVec
	cacheMisses    *prometheus.CounterVec
	coalesced      *prometheus.CounterVec
	merged         *prometheus.CounterVec
	batch          *prometheus.HistogramVec
}

// NewMetrics creates the engine's collectors and registers them with reg
// (nil: not registered anywhere).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		searches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotelrates_searches_total", Help: "Searches answered, by outcome (complete, partial, canceled).",
		}, []string{"outcome"}),
		searchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "hotelrates_search_duration_seconds", Help: "Time to answer a search.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
		}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotelrates_vendor_calls_total", Help: "Vendor availability calls, by vendor and outcome.",
		}, []string{"vendor", "outcome"}),
		callDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hotelrates_vendor_call_duration_seconds", Help: "Vendor availability call latency.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}, []string{"vendor"}),
		workers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hotelrates_pool_workers", Help: "Rate loaders running, by vendor.",
		}, []string{"vendor"}),
		queued: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hotelrates_queue_jobs", Help: "Jobs waiting in a vendor's queue.",
		}, []string{"vendor"}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hotelrates_vendor_inflight_calls", Help: "Vendor calls in flight.",
		}, []string{"vendor"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotelrates_jobs_dropped_total", Help: "Jobs dropped before reaching the vendor because their search ended.",
		}, []string{"vendor"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotelrates_token_refreshes_total", Help: "Token refreshes and session logins, by vendor and outcome.",
		}, []string{"vendor", "outcome"}),
		invalidations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotelrates_token_invalidations_total", Help: "Tokens or sessions the vendor rejected.",
		}, []string{"vendor"}),
		hotels: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotelrates_vendor_hotels_total", Help: "Hotels asked of vendors.",
		}, []string{"vendor"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotelrates_vendor_throttled_total", Help: "Vendor answers of 429 (too many requests).",
		}, []string{"vendor"}),
		hedges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotelrates_vendor_hedges_total", Help: "Hedged (second) vendor calls.",
		}, []string{"vendor"}),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hotelrates_vendor_breaker_state", Help: "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
		}, []string{"vendor"}),
		limit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hotelrates_vendor_concurrency_limit", Help: "Adaptive concurrency limit of a vendor.",
		}, []string{"vendor"}),
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotelrates_searches_shed_total", Help: "Searches refused at the front door, by reason.",
		}, []string{"reason"}),
		searchesActive: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hotelrates_searches_in_progress", Help: "Searches being answered.",
		}),
		cacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotelrates_cache_hits_total", Help: "Hotels answered from the rate cache.",
		}, []string{"vendor"}),
		cacheMisses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotelrates_cache_misses_total", Help: "Hotels not in the rate cache.",
		}, []string{"vendor"}),
		coalesced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotelrates_coalesced_hotels_total", Help: "Hotels that joined another search's vendor call in flight.",
		}, []string{"vendor"}),
		merged: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotelrates_batched_jobs_total", Help: "Queued jobs merged into another search's batch call.",
		}, []string{"vendor"}),
		batch: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hotelrates_vendor_call_hotels", Help: "Hotels per vendor call.",
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 150, 200, 250},
		}, []string{"vendor"}),
	}
	// Series a dashboard expects from the start exist at 0.
	for _, o := range []string{"complete", "partial", "canceled"} {
		m.searches.WithLabelValues(o)
	}
	for _, r := range []string{"searches", "backlog"} {
		m.shed.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.searches, m.searchDuration, m.calls, m.callDuration, m.workers, m.queued,
			m.inflight, m.dropped, m.refreshes, m.invalidations, m.hotels, m.throttled, m.hedges, m.breaker, m.limit,
			m.shed, m.searchesActive, m.cacheHits, m.cacheMisses, m.coalesced, m.merged, m.batch)
	}
	return m
}

// vendorMetrics are one vendor's collectors, resolved once so the hot path
// does not look labels up.
type vendorMetrics struct {
	calls        *prometheus.CounterVec // by outcome
	callsOK      prometheus.Counter     // calls with outcome ok, resolved once: the common case
	callDuration prometheus.Observer
	workers      prometheus.Gauge
	queued       prometheus.Gauge
	inflight     prometheus.Gauge
	dropped      prometheus.Counter
	refreshes    *prometheus.CounterVec // by outcome
	invalidated  prometheus.Counter
	hotels       prometheus.Counter
	throttled    prometheus.Counter
	hedges       prometheus.Counter
	breaker      prometheus.Gauge
	limit        prometheus.Gauge
	cacheHits    prometheus.Counter
	cacheMisses  prometheus.Counter
	coalesced    prometheus.Counter
	merged       prometheus.Counter
	batch        prometheus.Observer
}

func (m *Metrics) vendor(name string) *vendorMetrics {
	l := prometheus.Labels{"vendor": name}
	ok := m.calls.WithLabelValues(name, "ok")
	m.refreshes.WithLabelValues(name, "ok")
	m.refreshes.WithLabelValues(name, "error")
	return &vendorMetrics{
		calls:        m.calls.MustCurryWith(l),
		callsOK:      ok,
		callDuration: m.callDuration.With(l),
		workers:      m.workers.With(l),
		queued:       m.queued.With(l),
		inflight:     m.inflight.With(l),
		dropped:      m.dropped.With(l),
		refreshes:    m.refreshes.MustCurryWith(l),
		invalidated:  m.invalidations.With(l),
		hotels:       m.hotels.With(l),
		throttled:    m.throttled.With(l),
		hedges:       m.hedges.With(l),
		breaker:      m.breaker.With(l),
		limit:        m.limit.With(l),
		cacheHits:    m.cacheHits.With(l),
		cacheMisses:  m.cacheMisses.With(l),
		coalesced:    m.coalesced.With(l),
		merged:       m.merged.With(l),
		batch:        m.batch.With(l),
	}
}
