package engine

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"hotelrates"
)

// tokenManager is the only owner of one vendor's token or sessions. Loaders
// talk to it over channels: acquire, release, invalidate. It refreshes a
// token before it expires with one refresh in flight, logs in sessions up
// to the vendor's maximum and leases each to one loader at a time.
//
// A token, which every loader may use at once, is also published: the
// manager stores an immutable snapshot of the current token in published,
// and acquire reads it without a message while it is unexpired. Only a
// call that finds no usable snapshot asks the manager. Callers write two
// things: the snapshot's used flag, which the manager reads to decide
// whether a token is worth refreshing before it expires, and, in
// invalidate, nil in place of the very snapshot they report revoked (a
// compare-and-swap, so a newer token the manager stored stays).
type tokenManager struct {
	name    string
	vendor  hotelrates.Vendor
	scheme  hotelrates.AuthScheme
	hc      *http.Client
	cfg     VendorConfig
	log     *slog.Logger
	metrics *Metrics

	reqs     chan leaseReq
	cancels  chan leaseReq
	releases chan releaseMsg
	invals   chan string
	authDone chan authResult
	done     chan struct{} // closed when the loop has returned
	auths    sync.WaitGroup

	// published is the current token (AuthToken only), or nil while there
	// is none usable; only the manager's loop stores it.
	published atomic.Pointer[tokenSnapshot]
}

// tokenSnapshot is a published token: cred never changes once stored;
// used says a call took it.
type tokenSnapshot struct {
	cred hotelrates.Credential
	used atomic.Bool
}

// take returns the snapshot's token if it is unexpired at now, marking it
// used.
func (s *tokenSnapshot) take(now time.Time) (hotelrates.Credential, bool) {
	if !s.valid(now) {
		return hotelrates.Credential{}, false
	}
	if !s.used.Load() { // one write per token, not one per call
		s.used.Store(true)
	}
	return s.cred, true
}

// valid reports whether the snapshot holds a token unexpired at now.
func (s *tokenSnapshot) valid(now time.Time) bool {
	return s != nil && (s.cred.Expires.IsZero() || now.Before(s.cred.Expires))
}

// ready reports whether a call started at now gets its credential without
// waiting for one: no credential needed, or a token vendor's published
// token unexpired. (Sessions may always wait for a lease.)
func (m *tokenManager) ready(now time.Time) bool {
	switch m.scheme {
	case hotelrates.AuthNone:
		return true
	case hotelrates.AuthToken:
		return m.published.Load().valid(now)
	}
	return false
}

type leaseReq struct {
	reply chan leaseReply // buffered 1: the manager never blocks on it
}

type leaseReply struct {
	cred hotelrates.Credential
	err  error
}

type releaseMsg struct {
	cred hotelrates.Credential
	bad  bool
}

type authResult struct {
	cred hotelrates.Credential
	err  error
}

// authFailHold is how long a failed login or refresh is answered from
// memory before the vendor is asked again, so a vendor whose auth is down
// is not stampeded.
const authFailHold = time.Second

func newTokenManager(name string, v hotelrates.Vendor, scheme hotelrates.AuthScheme, hc *http.Client, cfg VendorConfig, log *slog.Logger, m *Metrics) *tokenManager {
	return &tokenManager{
		name: name, vendor: v, scheme: scheme, hc: hc, cfg: cfg, log: log, metrics: m,
		reqs:     make(chan leaseReq),
		cancels:  make(chan leaseReq),
		releases: make(chan releaseMsg),
		invals:   make(chan string),
		authDone: make(chan authResult),
		done:     make(chan struct{}),
	}
}

// acquire returns a credential for one call: the current token, or a
// session leased to the caller alone until release.
//
// reply is where the manager answers: a loader passes its own (buffered 1,
// empty between calls), so asking costs no allocation; nil makes one.
func (m *tokenManager) acquire(ctx context.Context, reply chan leaseReply) (hotelrates.Credential, error) {
	if m.scheme == hotelrates.AuthNone {
		return hotelrates.Credential{}, nil
	}
	if m.scheme == hotelrates.AuthToken {
		if c, ok := m.published.Load().take(time.Now()); ok {
			return c, nil
		}
	}
	if reply == nil {
		reply = make(chan leaseReply, 1)
	}
	r := leaseReq{reply: reply}
	select {
	case m.reqs <- r:
	case <-ctx.Done():
		return hotelrates.Credential{}, context.Cause(ctx)
	case <-m.done:
		return hotelrates.Credential{}, errStopped
	}
	select {
	case rep := <-r.reply:
		return rep.cred, rep.err
	case <-ctx.Done():
		// Tell the manager, which takes back a session it may already
		// have put in the reply.
		select {
		case m.cancels <- r:
		case <-m.done:
			m.abandon(r)
		}
		return hotelrates.Credential{}, context.Cause(ctx)
	case <-m.done:
		m.abandon(r)
		return hotelrates.Credential{}, errStopped
	}
}

// abandon logs out a session the stopped manager put in r's reply before
// the caller gave up on it: nobody else will.
func (m *tokenManager) abandon(r leaseReq) {
	select {
	case rep := <-r.reply:
		if rep.err == nil && m.scheme == hotelrates.AuthSession {
			m.closeSession(rep.cred)
		}
	default:
	}
}

// release gives a session back after a call; bad says the vendor rejected
// it. Tokens need no release. A session given back after the manager
// stopped is logged out here, since the manager's own logouts are over.
func (m *tokenManager) release(c hotelrates.Credential, bad bool) {
	if m.scheme != hotelrates.AuthSession {
		return
	}
	select {
	case m.releases <- releaseMsg{cred: c, bad: bad}:
	case <-m.done:
		if !bad {
			m.closeSession(c)
		}
	}
}

// invalidate says the vendor rejected the token c. The first report for a
// token starts one refresh; later reports for the same token do nothing.
func (m *tokenManager) invalidate(c hotelrates.Credential) {
	if m.scheme != hotelrates.AuthToken {
		return
	}
	// Unpublish at once: the loop stores nil only after it has received
	// the secret, and a caller's next acquire must not see c again.
	if s := m.published.Load(); s != nil && s.cred.Secret == c.Secret {
		m.published.CompareAndSwap(s, nil)
	}
	select {
	case m.invals <- c.Secret:
	case <-m.done:
	}
}

// startAuth obtains a token or session in a goroutine the manager owns,
// detached from any one caller's cancellation but bounded by AuthTimeout
// and the manager's lifetime.
func (m *tokenManager) startAuth(ctx context.Context) {
	m.auths.Go(func() {
		actx, cancel := context.WithTimeout(hotelrates.ContextWithCall(ctx, hotelrates.Call{Kind: hotelrates.CallAuth}), m.cfg.AuthTimeout)
		defer cancel()
		cred, err := m.authenticate(actx)
		outcome := "ok"
		if err != nil {
			outcome = "error"
		}
		m.metrics.refreshes.WithLabelValues(m.name, outcome).Inc()
		select {
		case m.authDone <- authResult{cred: cred, err: err}:
		case <-ctx.Done():
			if err == nil && m.scheme == hotelrates.AuthSession {
				m.closeSession(cred)
			}
		}
	})
}

func (m *tokenManager) closeSession(c hotelrates.Credential) {
	sc, ok := m.vendor.(hotelrates.SessionCloser)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(hotelrates.ContextWithCall(context.Background(), hotelrates.Call{Kind: hotelrates.CallLogout}), 2*time.Second)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			m.log.Error("vendor panicked in logout", "vendor", m.name, "panic", clip(fmt.Sprint(v), 200), "stack", string(debug.Stack()))
		}
	}()
	if err := sc.CloseSession(ctx, m.hc, c); err != nil {
		m.log.Debug("logout failed", "vendor", m.name, "err", err)
	}
}

// authenticate asks the vendor for a token or session; a panic in the
// adapter fails only this login (kind internal), logged once with its
// stack.
func (m *tokenManager) authenticate(ctx context.Context) (cred hotelrates.Credential, err error) {
	defer func() {
		if v := recover(); v != nil {
			m.log.Error("vendor panicked in login", "vendor", m.name, "panic", clip(fmt.Sprint(v), 200), "stack", string(debug.Stack()))
			cred, err = hotelrates.Credential{}, &hotelrates.VendorError{Vendor: m.name, Kind: hotelrates.ErrInternal, Err: errPanicked}
		}
	}()
	return m.vendor.Authenticate(ctx, m.hc)
}

// run is the manager's loop; it returns when ctx ends, after its auth
// goroutines, logging out idle sessions.
func (m *tokenManager) run(ctx context.Context) {
	defer close(m.done)
	defer m.auths.Wait()
	if m.scheme == hotelrates.AuthSession {
		m.runSessions(ctx)
		return
	}
	m.runToken(ctx)
}

func (m *tokenManager) runToken(ctx context.Context) {
	var (
		cur        hotelrates.Credential
		have       bool
		used       bool // a call got cur from the loop (calls that read it published mark snap)
		snap       *tokenSnapshot
		refreshing bool
		waiters    []leaseReq
		failUntil  time.Time
		lastErr    error
	)
	refresh := time.NewTimer(time.Hour)
	refresh.Stop()
	defer refresh.Stop()
	start := func() {
		if !refreshing {
			refreshing = true
			m.startAuth(ctx)
		}
	}
	usable := func() bool {
		return have && (cur.Expires.IsZero() || time.Now().Before(cur.Expires))
	}
	defer m.published.Store(nil)
	for {
		select {
		case r := <-m.reqs:
			switch {
			case usable():
				used = true
				r.reply <- leaseReply{cred: cur}
			case time.Now().Before(failUntil):
				r.reply <- leaseReply{err: lastErr}
			default:
				waiters = append(waiters, r)
				start()
			}
		case r := <-m.cancels:
			waiters = remove(waiters, r)
		case secret := <-m.invals:
			if have && cur.Secret == secret {
				have = false
				m.published.Store(nil)
				m.metrics.invalidations.WithLabelValues(m.name).Inc()
				start()
			}
		case res := <-m.authDone:
			refreshing = false
			if res.err != nil {
				lastErr, failUntil = res.err, time.Now().Add(authFailHold)
				m.log.Warn("token refresh failed", "vendor", m.name, "err", res.err)
				for _, w := range waiters {
					w.reply <- leaseReply{err: res.err}
				}
				waiters = nil
				if usable() {
					// Try again before the current token runs out.
					refresh.Reset(authFailHold)
				}
				continue
			}
			cur, have = res.cred, true
			used = len(waiters) > 0
			snap = &tokenSnapshot{cred: cur}
			m.published.Store(snap)
			for _, w := range waiters {
				w.reply <- leaseReply{cred: cur}
			}
			waiters = nil
			if !cur.Expires.IsZero() {
				refresh.Reset(max(0, time.Until(cur.Expires)-m.refreshBefore(cur)))
			}
		case <-refresh.C:
			// A token nobody used since it came is left to expire: an idle
			// vendor is not asked for tokens forever; the next call fetches
			// one on demand.
			if used || (snap != nil && snap.used.Load()) || len(waiters) > 0 {
				start()
			}
		case <-ctx.Done():
			return
		}
	}
}

// refreshBefore is how long before expiry a token is refreshed: the
// configured margin, but never more than a tenth of the token's life.
func (m *tokenManager) refreshBefore(c hotelrates.Credential) time.Duration {
	life := time.Until(c.Expires)
	return min(m.cfg.RefreshBefore, life/10)
}

type idleSession struct {
	cred     hotelrates.Credential
	lastUsed time.Time
}

func (m *tokenManager) runSessions(ctx context.Context) {
	var (
		idle      []idleSession
		open      int // sessions logged in and not dropped (idle or leased)
		logins    int // logins in flight
		waiters   []leaseReq
		failUntil time.Time
		lastErr   error
	)
	maxSessions := m.cfg.Concurrency
	// held wakes the loop when a login failure's hold ends while callers
	// still wait for a session no login in flight will serve.
	held := time.NewTimer(time.Hour)
	held.Stop()
	defer held.Stop()
	defer func() {
		for _, s := range idle {
			m.closeSession(s.cred)
		}
	}()
	// give hands a session to the first waiter, or keeps it idle.
	give := func(c hotelrates.Credential) {
		if len(waiters) > 0 {
			waiters[0].reply <- leaseReply{cred: c}
			waiters = waiters[1:]
			return
		}
		idle = append(idle, idleSession{cred: c, lastUsed: time.Now()})
	}
	// grow logs in while callers wait that logins in flight will not serve;
	// during a login failure's hold it tries again when the hold ends.
	grow := func() {
		for len(waiters) > logins && open+logins < maxSessions {
			if hold := time.Until(failUntil); hold > 0 {
				held.Reset(hold)
				return
			}
			logins++
			m.startAuth(ctx)
		}
	}
	for {
		select {
		case r := <-m.reqs:
			// Sessions idle longer than the vendor keeps them are gone.
			now := time.Now()
			kept := idle[:0]
			for _, s := range idle {
				if s.cred.IdleTimeout > 0 && now.Sub(s.lastUsed) > s.cred.IdleTimeout*9/10 {
					open--
					continue
				}
				kept = append(kept, s)
			}
			clear(idle[len(kept):])
			idle = kept
			switch {
			case len(idle) > 0:
				s := idle[len(idle)-1]
				idle = idle[:len(idle)-1]
				r.reply <- leaseReply{cred: s.cred}
			case now.Before(failUntil) && open == 0 && logins == 0:
				r.reply <- leaseReply{err: lastErr}
			default:
				waiters = append(waiters, r)
				grow()
			}
		case r := <-m.cancels:
			before := len(waiters)
			waiters = remove(waiters, r)
			if len(waiters) == before {
				// Already answered: take the session back.
				select {
				case rep := <-r.reply:
					if rep.err == nil {
						give(rep.cred)
					}
				default:
				}
			}
		case rel := <-m.releases:
			if rel.bad {
				open--
				m.metrics.invalidations.WithLabelValues(m.name).Inc()
				grow()
				continue
			}
			give(rel.cred)
		case res := <-m.authDone:
			logins--
			if res.err != nil {
				lastErr, failUntil = res.err, time.Now().Add(authFailHold)
				m.log.Warn("session login failed", "vendor", m.name, "err", res.err)
				// Callers no login in flight will serve get the error.
				for len(waiters) > logins {
					w := waiters[len(waiters)-1]
					waiters = waiters[:len(waiters)-1]
					w.reply <- leaseReply{err: res.err}
				}
				continue
			}
			open++
			give(res.cred)
		case <-held.C:
			grow()
		case <-ctx.Done():
			return
		}
	}
}

func remove(ws []leaseReq, r leaseReq) []leaseReq {
	for i, w := range ws {
		if w.reply == r.reply {
			return append(ws[:i], ws[i+1:]...)
		}
	}
	return ws
}
