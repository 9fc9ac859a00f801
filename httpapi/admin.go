package httpapi

import (
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"hotelrates"
)

// NewAdminServer returns the operator's handler for a listener of its
// own: /metrics from g and net/http/pprof under /debug/pprof/, so a live
// service can be profiled (go tool pprof http://ADDR/debug/pprof/profile).
// It has no API keys: bind it to a loopback or private address.
func NewAdminServer(g prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, hotelrates.Errorf(hotelrates.CodeNotFound, "", "no admin route for %s %s; try /metrics or /debug/pprof/", r.Method, r.URL.Path))
	})
	return mux
}
