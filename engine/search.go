package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"hotelrates"
)

var errDeadline = errors.New("search deadline exceeded")

// closedChan is always ready.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// answerMargin is how long before its deadline a search stops collecting,
// so that its answer is written by the deadline, not after it: a
// twentieth of the search's time, at most maxAnswerMargin.
func answerMargin(timeout time.Duration) time.Duration {
	return min(timeout/20, maxAnswerMargin)
}

const maxAnswerMargin = 20 * time.Millisecond

// Search answers s from every vendor it names (all, when it names none)
// and returns when every vendor answered for every hotel, or when the
// search's deadline passes, with what arrived: every hotel once, in the
// order of s.HotelIDs.
//
// The search's deadline is its Timeout (DefaultTimeout when it names
// none, at most MaxTimeout) or ctx's deadline, whichever comes first:
// at a ctx deadline Search returns what has arrived, Complete false and
// each vendor's status saying how far it got, and a nil error, as at the
// search's own timeout. To answer by the deadline, not after it, a search
// stops collecting a twentieth of its time before it (at most 20 ms). If ctx is cancelled Search also returns what has
// arrived, with ctx's error (context.Cause). Other errors are
// *hotelrates.Error: invalid input (CodeInvalidArgument), a search the
// engine refuses because it could not meet its deadline or has too many
// searches in progress (CodeOverloaded, with a RetryAfter), or an engine
// that is stopping (CodeUnavailable); those come with no result.
func (e *Engine) Search(ctx context.Context, s hotelrates.Search) (hotelrates.Result, error) {
	var hotels []hotelrates.HotelResult
	res, err := e.stream(ctx, s, true, func(hs []hotelrates.HotelResult) error {
		hotels = append(hotels, hs...)
		return nil
	})
	if hotels == nil {
		return res, err
	}
	// In request order, as the API promises.
	pos := make(map[string]int, len(s.HotelIDs))
	for i, id := range s.HotelIDs {
		if _, ok := pos[id]; !ok {
			pos[id] = i
		}
	}
	slices.SortFunc(hotels, func(a, b hotelrates.HotelResult) int { return pos[a.HotelID] - pos[b.HotelID] })
	res.Hotels = hotels
	return res, err
}

// Stream answers s like Search but calls onHotels with hotels' offers as
// soon as every vendor has answered for them (or, when the search ends
// first, with whatever arrived, Complete false). Hotels that complete
// within Options.StreamInterval of the last call are passed together in
// the next, at the interval's end, so a writer flushes once per interval,
// not once per vendor call; the first hotels after a quiet interval and
// the search's last hotels are passed at once. Every hotel is passed exactly once; the slice is not used after
// onHotels returns. The Result returned last carries the summary: Hotels
// is nil. If onHotels returns an error the search stops and Stream
// returns it.
//
// The search runs on the caller's goroutine: it plans its hotels at each
// vendor's queue (which answers from the rate cache, joins calls in
// flight, plans new calls and admits them or refuses the search), then
// collects the queues' results in an aggregator, and at its end sends each
// queue one message, so the queue drops the calls no other search waits
// for. A search is admitted only if the work due before its deadline at
// each of its vendors (earliest deadline first: work due later does not
// count against it), its own calls included, leaves it time to finish;
// otherwise it is refused at once with CodeOverloaded and a RetryAfter,
// and none of its calls is made.
func (e *Engine) Stream(ctx context.Context, s hotelrates.Search, onHotels func([]hotelrates.HotelResult) error) (hotelrates.Result, error) {
	return e.stream(ctx, s, false, onHotels)
}

// stream is Stream; collect says the caller keeps every hotel for the end
// (Search): onHotels is then called once, with all of them.
func (e *Engine) stream(ctx context.Context, s hotelrates.Search, collect bool, onHotels func([]hotelrates.HotelResult) error) (hotelrates.Result, error) {
	start := time.Now()
	if err := s.Validate(e.opts.Limits); err != nil {
		return hotelrates.Result{}, err
	}
	vendors, err := e.pick(s.Vendors)
	if err != nil {
		return hotelrates.Result{}, err
	}
	if e.ctx.Err() != nil {
		return hotelrates.Result{}, errStopped
	}
	if err := ctx.Err(); err != nil {
		return hotelrates.Result{}, context.Cause(ctx)
	}
	if s.ID == "" {
		s.ID = NewID()
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = e.opts.DefaultTimeout
	}
	deadline := start.Add(min(timeout, e.opts.MaxTimeout))
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d // the caller's deadline is the search's
	}
	admitBy := deadline // a drain cuts the search short, but is no reason to refuse it
	if by := e.drainDeadline(); !by.IsZero() && by.Before(deadline) {
		deadline = by
		if min1 := start.Add(time.Millisecond); deadline.Before(min1) {
			deadline = min1
		}
	}
	if n := e.searching.Add(1); n > int64(e.opts.MaxSearches) {
		e.searching.Add(-1)
		e.metrics.shed.WithLabelValues("searches").Inc()
		return hotelrates.Result{}, &hotelrates.Error{Code: hotelrates.CodeOverloaded, RetryAfter: time.Second,
			Message: fmt.Sprintf("%d searches in progress, the most this service takes; retry shortly", e.opts.MaxSearches)}
	}
	e.metrics.searchesActive.Inc()
	defer func() {
		e.searching.Add(-1)
		e.metrics.searchesActive.Dec()
	}()

	sr := &searchRun{e: e, seq: e.seq.Add(1), vendors: vendors, inbox: newInbox(), leaveReply: make(chan int, 1)}
	hotels := hotelrates.UniqueHotelIDs(s.HotelIDs)
	asked, skipped := askedHotels(vendors, hotels, s.Stay)
	plans, err := sr.plan(s, asked, deadline, admitBy)
	if err != nil {
		if hotelrates.ErrorCode(err) == hotelrates.CodeOverloaded {
			e.metrics.shed.WithLabelValues("backlog").Inc()
		}
		return hotelrates.Result{}, err
	}
	left := false
	defer func() {
		if !left { // onHotels panicked: the queues still forget the search
			for _, q := range vendors {
				sr.leave(q)
			}
		}
	}()
	agg := newAggregator(s.ID, hotels, vendors, asked, skipped, start)
	pending := 0
	for i, q := range vendors {
		pending += plans[i].parts
		for _, h := range plans[i].hits {
			agg.addCached(q.name, h.hotel, h.c)
		}
	}

	var emitErr error
	emit := func(hs []hotelrates.HotelResult) {
		if emitErr == nil && len(hs) > 0 {
			emitErr = onHotels(hs)
		}
	}
	take := func() {
		for _, r := range sr.inbox.take() {
			pending--
			agg.add(r)
		}
	}
	// Hotels completing within the stream interval of the last batch wait
	// for the interval's end (flush), then go together. A search without
	// a stream has no use for batches: all its hotels go at the end.
	gap := e.opts.StreamInterval
	var lastEmit time.Time
	send := func() {
		if hs := agg.ready(); len(hs) > 0 {
			lastEmit = time.Now()
			emit(hs)
		}
	}
	var flush <-chan time.Time
	var flushTimer *time.Timer
	defer func() {
		if flushTimer != nil {
			flushTimer.Stop()
		}
	}()
	if !collect {
		send() // the hotels the cache answered
	}
	timer := time.NewTimer(time.Until(deadline.Add(-answerMargin(deadline.Sub(start)))))
	defer timer.Stop()
	cut := "" // why the search ends with hotels unanswered
	var ctxErr error
	// What completes a hotel goes to the stream at once, or at the end
	// of the interval since the last batch (flush). While a flush is due
	// the search is not woken by every answer, only by the last one due
	// or its timers: it takes the answers together at the flush.
	handle := func() {
		take()
		if pending == 0 || flush != nil || collect || !agg.hasReady() {
			return // the last hotels go below; a batch is already due; no stream; nothing completed
		}
		wait := gap - time.Since(lastEmit)
		switch {
		case wait <= 0:
			send()
		case flushTimer == nil:
			flushTimer = time.NewTimer(wait)
			flush = flushTimer.C
		default:
			flushTimer.Reset(wait)
			flush = flushTimer.C
		}
	}
	if sr.inbox.expect(pending) {
		take() // every result is in already
	}
loop:
	for pending > 0 && emitErr == nil {
		// Results already waiting are one more ready case of the select,
		// not a way around it: the timers, ctx and drain are still seen.
		var waiting <-chan struct{}
		if sr.inbox.wait(flush == nil) {
			waiting = closedChan
			select { // a token for these results would only double their chance
			case <-sr.inbox.notify:
			default:
			}
		}
		select {
		case <-waiting:
			handle()
		case <-sr.inbox.notify:
			handle()
		case <-flush:
			flush = nil
			take()
			send()
		case <-timer.C:
			cut = "deadline passed"
			break loop
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				ctxErr = context.Cause(ctx)
				cut = "search cancelled"
				break loop
			}
			cut = "deadline passed" // the caller's deadline is the search's
			break loop
		case <-e.drained:
			cut = "service shutting down"
			break loop
		}
	}
	// One message per vendor ends the search there; what arrived before it
	// still counts, and so do the calls sent for the search that had not
	// answered.
	for _, q := range vendors {
		agg.addCalls(q.name, sr.leave(q))
	}
	left = true
	take()
	if emitErr != nil {
		e.metrics.searches.WithLabelValues("canceled").Inc()
		return hotelrates.Result{}, emitErr
	}
	emit(append(agg.ready(), agg.rest()...))
	res := agg.result(cut) // cut explains only hotels left unanswered
	res.Elapsed = time.Since(start)
	outcome := "complete"
	switch {
	case ctxErr != nil:
		outcome = "canceled"
	case !res.Complete:
		outcome = "partial"
	}
	e.metrics.searches.WithLabelValues(outcome).Inc()
	e.metrics.searchDuration.Observe(res.Elapsed.Seconds())
	if emitErr != nil {
		return res, emitErr
	}
	return res, ctxErr
}

// askedHotels returns, per vendor, the hotels it is asked for: those it
// carries (by the engine's mapping), none when the stay has children and
// the vendor cannot price them, or the vendor says it cannot price the
// stay (hotelrates.StayChecker); skipped says why.
func askedHotels(vendors []*vendorQueue, hotels []string, stay hotelrates.Stay) (asked [][]string, skipped []string) {
	asked, skipped = make([][]string, len(vendors)), make([]string, len(vendors))
	for i, q := range vendors {
		if len(stay.Children) > 0 && !q.info.Children {
			skipped[i] = "not asked: the vendor does not price children"
			continue
		}
		if sc, ok := q.pool.vendor.(hotelrates.StayChecker); ok {
			if err := sc.CanPrice(stay); err != nil {
				skipped[i] = "not asked: " + clip(err.Error(), 200)
				continue
			}
		}
		asked[i] = q.pool.tr.carries(hotels)
	}
	return asked, skipped
}

// searchRun is one search's side of the conversation with its vendors'
// queues.
type searchRun struct {
	e          *Engine
	seq        uint64
	vendors    []*vendorQueue
	inbox      *inbox
	leaveReply chan int
}

// plan asks every vendor's queue to plan the search. Each admits or
// refuses it atomically; a search refused by one vendor is withdrawn from
// those that admitted it before any of its calls starts (their calls wait,
// reserved, for the commit that follows when every vendor admitted it).
func (sr *searchRun) plan(s hotelrates.Search, asked [][]string, deadline, admitBy time.Time) ([]planReply, error) {
	plans := make([]planReply, len(sr.vendors))
	reply := make(chan planReply, 1)
	commit := len(sr.vendors) == 1
	stayKey := s.Stay.Key()
	for i, q := range sr.vendors {
		req := &planReq{seq: sr.seq, id: s.ID, stay: s.Stay, stayKey: stayKey, hotels: asked[i], fresh: s.Fresh,
			deadline: deadline, admitBy: admitBy, commit: commit, inbox: sr.inbox, reply: reply}
		select {
		case q.plans <- req:
		case <-q.stopped:
			sr.withdraw(i)
			return nil, errStopped
		}
		plans[i] = <-reply // the queue answers a plan before its next message
		if plans[i].err != nil {
			sr.withdraw(i)
			return nil, plans[i].err
		}
	}
	if !commit {
		for _, q := range sr.vendors {
			select {
			case q.commits <- sr.seq:
			case <-q.stopped:
			}
		}
	}
	return plans, nil
}

// withdraw ends the search at the first n vendors, which admitted it.
func (sr *searchRun) withdraw(n int) {
	for _, q := range sr.vendors[:n] {
		sr.leave(q)
	}
}

// leave ends the search at q and returns the calls sent for it there that
// had not answered.
func (sr *searchRun) leave(q *vendorQueue) int {
	select {
	case q.leaves <- &leaveReq{seq: sr.seq, reply: sr.leaveReply}:
		return <-sr.leaveReply
	case <-q.stopped:
		return 0
	}
}
