package config

// Admin is the operator's listener, off by default: net/http/pprof and
// /metrics on an address of their own, so a live service can be
// profiled without exposing either on the API's listener. While it is
// set the API listener no longer serves /metrics.
type Admin struct {
	// Listen is the admin listener's HOST:PORT; empty (the default) turns
	// it off. Keep it on a loopback or private address: it has no API
	// keys, and pprof shows the process's inside.
	Listen string `yaml:"listen"`
}
