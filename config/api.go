package config

import (
	"errors"
	"fmt"
)

// API secures and bounds the HTTP API. Its keys sit at the top level of
// the file (Config embeds it inline).
type API struct {
	// APIKeys, when not empty, are the keys a client must send as
	// "Authorization: Bearer KEY" on every route but /healthz and
	// /readyz; empty (the default, and the embedded default's) leaves the
	// API open. Give them as ${ENV} references, not literally.
	APIKeys []string `yaml:"api_keys"`
	// ListenMaxConns caps the connections the listener holds open at once
	// (idle keep-alive ones included); past it new connections wait to be
	// accepted (default DefaultListenMaxConns).
	ListenMaxConns int `yaml:"listen_max_conns"`
}

// DefaultListenMaxConns is listen_max_conns when the file leaves it out.
const DefaultListenMaxConns = 1024

// MinAPIKeyLen is the shortest API key accepted.
const MinAPIKeyLen = 16

func (a *API) applyDefaults() {
	if a.ListenMaxConns == 0 {
		a.ListenMaxConns = DefaultListenMaxConns
	}
}

// validate names the first bad API setting. A message never repeats a
// key.
func (a API) validate() error {
	if a.ListenMaxConns < 1 {
		return errors.New("listen_max_conns must be at least 1")
	}
	for i, k := range a.APIKeys {
		if len(k) < MinAPIKeyLen {
			return fmt.Errorf("api_keys[%d] must be at least %d bytes", i, MinAPIKeyLen)
		}
		for j := 0; j < len(k); j++ {
			if c := k[j]; c <= ' ' || c >= 0x7f {
				return fmt.Errorf("api_keys[%d] must be printable ASCII without spaces", i)
			}
		}
	}
	return nil
}
