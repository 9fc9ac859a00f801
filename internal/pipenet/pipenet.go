// Package pipenet is an in-memory network for tests: a net.Listener whose
// DialContext connects with net.Pipe. HTTP servers and clients on it speak
// real HTTP, without sockets, so they run inside a testing/synctest bubble,
// where time is fake and a test does not depend on how busy the machine is.
package pipenet

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// Listener is an in-memory listener. The zero value is not usable: call
// Listen.
type Listener struct {
	name  string
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// Listen returns a listener whose address is name (used as the host of
// URLs, such as "sandbox.test").
func Listen(name string) *Listener {
	return &Listener{name: name, conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for the next connection a dialer makes.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops the listener; dialing fails from then on.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr returns the listener's name as a net.Addr.
func (l *Listener) Addr() net.Addr { return addr(l.name) }

// DialContext connects to the listener, whatever the network and address.
func (l *Listener) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Transport returns an HTTP transport that dials the listener, keeping up
// to conns connections (at most conns open at once; 0: no bound).
func (l *Listener) Transport(conns int) *http.Transport {
	return &http.Transport{DialContext: l.DialContext, MaxIdleConnsPerHost: max(2, conns), MaxConnsPerHost: conns}
}

// URL returns "http://" and the listener's name.
func (l *Listener) URL() string { return "http://" + l.name }

type addr string

func (a addr) Network() string { return "pipe" }
func (a addr) String() string  { return string(a) }
