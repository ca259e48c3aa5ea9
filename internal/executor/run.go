package executor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/router"
	"github.com/windrose-gw/windrose/providers"
)

// Causes set on an attempt's context, so a canceled call can be told apart
// from a client that hung up.
var (
	errAttemptTimeout = errors.New("attempt timeout")
	errFirstToken     = errors.New("first token timeout")
	errStall          = errors.New("stream stalled")
	errLost           = errors.New("lost the hedge race")
)

// attempt is one call to one deployment.
type attempt struct {
	t      *Target
	ctx    context.Context
	cancel context.CancelCauseFunc
	start  time.Time
	hedge  bool
	// pinned attempts (X-Windrose-Deployment) never acquired a breaker
	// slot: their outcomes go to metrics, never to the breaker's accounting.
	pinned bool

	// Filled by the opener.
	resp   *llm.ChatResponse
	stream providers.Stream
	first  *llm.StreamEvent // first content event; nil when the stream ended empty
	model  string           // the model id the provider said answered ("" if unsaid)
	empty  emptyEnd         // how an empty stream ended
	ttft   time.Duration
	err    error

	// winResult is the attempts_total result of the winner: success or
	// hedge_won. Empty for attempts that did not win.
	winResult string
	// waited is a committed stream's time spent reading the next event.
	waited time.Duration
	// counted says windrose_upstream_in_flight counts this attempt.
	counted atomic.Bool
	// finish is the answer's finish reason, for the attempt's span.
	finish string
	// span is the attempt's trace span (nil when tracing is off).
	span     trace.Span
	spanDone atomic.Bool
	// deadline is the request deadline's timer of a resumed attempt
	// until its pump starts (armDeadline); nil for the others.
	deadline *time.Timer
}

// upBegin counts the attempt in windrose_upstream_in_flight.
func (a *attempt) upBegin() {
	a.counted.Store(true)
	a.t.Metrics.InFlight.Inc()
}

// upEnd stops counting it; calling it again does nothing.
func (a *attempt) upEnd() {
	if a.counted.CompareAndSwap(true, false) {
		a.t.Metrics.InFlight.Dec()
	}
}

// opener performs the part of an attempt that may still be retried: the
// whole call for Chat, the call up to the first content for a stream.
type opener func(a *attempt)

// run walks the plan until an attempt succeeds, by the request deadline
// (zero: none). It returns the winning attempt, whose context is still live
// (the caller cancels it). A stream's attempts are children of ctx, not of
// the walk's context, since the winner outlives the walk: its pump keeps
// the deadline from then on (stallTimer).
func (e *Executor) run(ctx context.Context, deadline time.Time, rt *Route, rr router.Request, stream bool, open opener) (*attempt, Result, error) {
	plan, err := e.plan(rt, rr)
	if err != nil {
		return nil, Result{}, err
	}
	if rr.Pin != "" {
		if err := e.pinCooldown(rt, plan); err != nil {
			return nil, Result{}, err
		}
	}
	rt.Live.requests.Add(1)
	start := e.now()
	wctx, cancel := walkContext(ctx, deadline)
	defer cancel()
	w := walk{e: e, ctx: wctx, base: wctx, rt: rt, plan: plan, open: open, results: make(chan *attempt, 2), mode: modeOf(rt, rr, stream)}
	if stream {
		w.base = ctx
	}
	a, res, err := w.loop()
	res.Upstream = e.now().Sub(start)
	return a, res, err
}

// walk is the state of one request's walk over its plan.
type walk struct {
	e   *Executor
	ctx context.Context // the request's, bounded by its deadline
	// base is the attempts' parent: ctx, or for a stream the request's
	// context without the deadline (see run).
	base    context.Context
	rt      *Route
	plan    router.Plan
	open    opener
	results chan *attempt

	next     int // next index into plan.Attempts
	tries    int // non-hedge attempts started
	inflight []*attempt
	res      Result
	retries  int
	mode     mode
	// failures are the failed attempts so far, in order: the final error
	// names them when they all failed the same deployment-specific way.
	failures []failure
	// After a context-length error only deployments with a larger declared
	// context window may be tried: needWindow is the largest window that
	// already proved too small, needDeclared that the rule is on.
	needWindow   int
	needDeclared bool
}

// failure is one failed attempt.
type failure struct {
	t   *Target
	err error
}

// loop starts the plan's first attempt and waits for results, hedging or
// failing over as they come. w.mode says where the attempts run, what
// admits them and who records the winner (see mode).
func (w *walk) loop() (*attempt, Result, error) {
	var lastErr error
	if !w.startNext(false) {
		return nil, w.res, gwerr.New(gwerr.Unavailable, "no deployment of model %q is accepting requests (circuit breakers open)", w.rt.Model.Name)
	}
	hedgeC, stopHedge := w.hedgeTimer()
	defer stopHedge()
	for {
		if w.mode.spawn == inline && w.ctx.Err() != nil {
			// An inline attempt returns before the loop looks: see a
			// client that left (or the request deadline) first, as a
			// running attempt would.
			return nil, w.res, w.stop()
		}
		select {
		case <-hedgeC:
			hedgeC = nil
			w.maybeHedge()
		case <-w.ctx.Done():
			return nil, w.res, w.stop()
		case a := <-w.results:
			w.remove(a)
			if a.err == nil {
				w.win(a)
				return a, w.res, nil
			}
			kind := w.e.failed(w.rt, a)
			lastErr = a.err
			w.failures = append(w.failures, failure{t: a.t, err: a.err})
			if w.ctx.Err() != nil || kind == gwerr.Canceled {
				if requestDeadline(w.ctx) {
					w.e.metrics.Attempts.WithLabelValues(w.rt.Model.Name, a.t.Name, "failed").Inc()
				}
				return nil, w.res, w.stop()
			}
			if next, ok := w.contextLengthNext(a, kind); ok {
				if !next {
					w.e.metrics.Attempts.WithLabelValues(w.rt.Model.Name, a.t.Name, "failed").Inc()
					w.abandon(errLost)
					return nil, w.res, a.err
				}
				w.e.metrics.Attempts.WithLabelValues(w.rt.Model.Name, a.t.Name, "failed_over").Inc()
				w.e.metrics.Failovers.WithLabelValues(w.rt.Model.Name, gwerr.CodeContextLength).Inc()
				w.failoverEvent(a, gwerr.CodeContextLength)
				continue
			}
			if !kind.Retryable() {
				w.e.metrics.Attempts.WithLabelValues(w.rt.Model.Name, a.t.Name, "failed").Inc()
				w.abandon(errLost)
				return nil, w.res, a.err
			}
			if len(w.inflight) > 0 {
				continue // a hedge is still running; it may yet win
			}
			if w.tries < w.rt.Attempts && w.startNext(false) {
				w.e.metrics.Attempts.WithLabelValues(w.rt.Model.Name, a.t.Name, "failed_over").Inc()
				w.e.metrics.Failovers.WithLabelValues(w.rt.Model.Name, kind.String()).Inc()
				w.failoverEvent(a, kind.String())
				continue
			}
			if w.tries < w.rt.Attempts && w.retrySame(a) {
				continue
			}
			w.e.metrics.Attempts.WithLabelValues(w.rt.Model.Name, a.t.Name, "failed").Inc()
			return nil, w.res, w.final(lastErr)
		}
	}
}

// stop ends a walk whose request context is done: a client that left is a
// cancel that counts against nobody; windrose's own request deadline is a
// Timeout, and the attempts it cut short failed on time, as an attempt
// timeout would have.
func (w *walk) stop() error {
	if !requestDeadline(w.ctx) {
		w.abandon(errLost)
		return gwerr.Wrap(gwerr.Canceled, context.Cause(w.ctx), "the client canceled the request")
	}
	w.abandon(errDeadline)
	e := gwerr.Wrap(gwerr.Timeout, context.Cause(w.ctx), "model %q: the request timed out (server.request_timeout) after %d attempt(s)",
		w.rt.Model.Name, w.res.Attempts)
	e.Code = "request_timeout"
	return e
}

// requestDeadline reports whether ctx ended because a deadline passed (the
// server's request_timeout), not because the client went away.
func requestDeadline(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), context.DeadlineExceeded)
}

// startNext launches the next deployment of the plan whose breaker admits
// an attempt.
func (w *walk) startNext(hedge bool) bool {
	for w.next < len(w.plan.Attempts) {
		t := w.rt.Targets[w.plan.Attempts[w.next]]
		w.next++
		if !w.fits(t) {
			continue
		}
		if w.acquire(t.Name) {
			w.launch(t, hedge)
			return true
		}
	}
	return false
}

// retrySame retries the deployment that just failed, after an exponential
// backoff with jitter. DESIGN: only when no other eligible deployment is
// left, and never when the provider told us how long to wait (that put the
// deployment in cooldown) or rejected our credentials.
func (w *walk) retrySame(a *attempt) bool {
	ge := gwerr.As(a.err)
	if ge.RetryAfter > 0 || ge.Kind == gwerr.Auth || ge.Kind == gwerr.ModelUnavailable || !w.fits(a.t) {
		return false
	}
	d := backoff(w.retries)
	d = d/2 + time.Duration(w.e.jitter(int64(d/2)+1))
	w.retries++
	if !w.e.sleep(w.ctx.Done(), d) || !w.acquire(a.t.Name) {
		return false
	}
	w.e.metrics.Attempts.WithLabelValues(w.rt.Model.Name, a.t.Name, "retried").Inc()
	w.launch(a.t, false)
	return true
}

// contextLengthNext applies the context-window rule to a failed attempt.
// handled is false when the failure is not a context-length error. Else the
// walk moves on only to a deployment of the plan whose declared
// context_window is larger than the failing one's (any declared window when
// the failing one declares none); started is false when none is left, and
// the client then gets the 400 at once.
func (w *walk) contextLengthNext(a *attempt, kind gwerr.Kind) (started, handled bool) {
	if kind != gwerr.InvalidRequest || gwerr.As(a.err).Code != gwerr.CodeContextLength {
		return false, false
	}
	w.needDeclared = true
	w.needWindow = max(w.needWindow, a.t.ContextWindow)
	if len(w.inflight) > 0 {
		return true, true // a hedge still runs on another deployment
	}
	return w.tries < w.rt.Attempts && w.startNext(false), true
}

// fits reports whether t may still be tried under the context-window rule.
func (w *walk) fits(t *Target) bool {
	return !w.needDeclared || t.ContextWindow > w.needWindow
}

func backoff(n int) time.Duration {
	d := 100 * time.Millisecond << min(n, 5)
	return min(d, 2*time.Second)
}

func (w *walk) launch(t *Target, hedge bool) {
	ctx, span := w.e.startSpan(w.base, t, hedge)
	ctx, cancel := context.WithCancelCause(ctx)
	a := &attempt{t: t, ctx: ctx, cancel: cancel, start: w.e.now(), hedge: hedge, span: span,
		pinned: w.mode.admit == byPin}
	w.inflight = append(w.inflight, a)
	w.res.Attempts++
	if !hedge {
		w.tries++
	}
	switch w.mode.spawn {
	case inline:
		w.open(a)
		w.results <- a // buffered: the loop receives it next
	case concurrent:
		// The goroutine gets the walk's parts, not the walk: capturing w
		// would move every walk (288 B) to the heap.
		go runAttempt(w.e, w.rt.Model.Name, w.open, w.results, a)
	}
}

// runAttempt runs a concurrent attempt and sends it to results.
func runAttempt(e *Executor, model string, open opener, results chan<- *attempt, a *attempt) {
	defer recoverAttempt(e, model, results, a)
	open(a)
	results <- a
}

// recoverAttempt turns a panic in a concurrent attempt (an adapter bug)
// into that attempt's Internal error, as the server's recoverer does for
// one on the request's goroutine: a goroutine of its own has no recoverer
// above it, and the panic would end the process.
func recoverAttempt(e *Executor, model string, results chan<- *attempt, a *attempt) {
	v := recover()
	if v == nil {
		return
	}
	e.log.Error("panic in attempt", zap.String("model", model), zap.String("deployment", a.t.Name),
		zap.Any("panic", v), zap.Stack("stack"))
	if a.stream != nil {
		a.stream.Close()
	}
	a.resp, a.stream, a.first = nil, nil, nil
	a.err = gwerr.New(gwerr.Internal, "internal error")
	results <- a
}

func (w *walk) remove(a *attempt) {
	for i, x := range w.inflight {
		if x == a {
			w.inflight = append(w.inflight[:i], w.inflight[i+1:]...)
			return
		}
	}
}

// win records the winner and cancels any other attempt still running.
func (w *walk) win(a *attempt) {
	w.res.Target = a.t
	result := "success"
	if len(w.inflight) > 0 || a.hedge {
		result = "hedge_won"
		w.e.metrics.Hedges.WithLabelValues(w.rt.Model.Name, "won").Inc()
	}
	a.winResult = result
	if w.mode.verdict == atWin {
		w.e.metrics.Attempts.WithLabelValues(w.rt.Model.Name, a.t.Name, result).Inc()
	}
	w.abandon(errLost)
}

// abandon cancels every attempt still in flight and cleans each up when it
// returns, in the background: its tokens are still metered and its breaker
// slot released, but it never counts as the deployment's failure.
func (w *walk) abandon(cause error) {
	if len(w.inflight) == 0 {
		return
	}
	pending := w.inflight
	w.inflight = nil
	for _, a := range pending {
		a.cancel(cause)
	}
	switch {
	case w.mode.spawn == inline:
		w.e.settle(w.rt, w.results, cause, len(pending)) // an inline attempt has already returned
	case cause == errDeadline:
		// The request has timed out and its 504 is about to leave: account
		// the attempts it cut short first, so metrics and the access log
		// agree with the answer. They were just canceled and return at
		// once (every adapter's call honours its context).
		w.e.settle(w.rt, w.results, cause, len(pending))
	default:
		go w.e.settle(w.rt, w.results, cause, len(pending))
	}
}

// settle cleans up n abandoned attempts as each returns on results (a
// method of the executor, not of the walk: see launch).
func (e *Executor) settle(rt *Route, results <-chan *attempt, cause error, n int) {
	for range n {
		a := <-results
		if cause == errDeadline && a.err != nil {
			// Cut short by windrose's request deadline: a timeout of the
			// deployment, never a client cancel.
			e.failed(rt, a)
			e.metrics.Attempts.WithLabelValues(rt.Model.Name, a.t.Name, "failed").Inc()
			continue
		}
		e.lost(rt, a)
	}
}

// final is the error a client sees once every attempt failed.
func (w *walk) final(last error) error {
	ge := gwerr.As(last)
	switch ge.Kind {
	case gwerr.Auth:
		// The provider rejected windrose's credentials: not the client's fault.
		return &gwerr.Error{Kind: gwerr.Upstream, Code: "upstream_auth_failed", Status: ge.Status, Err: last,
			Message: "model " + quote(w.rt.Model.Name) + ": the provider rejected the gateway's credentials"}
	}
	if names, ok := w.allUnavailable(); ok {
		return &gwerr.Error{Kind: gwerr.ModelUnavailable, Code: gwerr.CodeModelUnavailable, Status: ge.Status, Err: last,
			Message: "model " + quote(w.rt.Model.Name) + " is unavailable at every deployment tried (" + strings.Join(names, ", ") +
				"): each answered that it no longer serves or does not have the model; last: " + ge.Message}
	}
	return last
}

// allUnavailable reports whether every failed attempt was ModelUnavailable,
// and names those deployments once each, in order.
func (w *walk) allUnavailable() ([]string, bool) {
	var names []string
	for _, f := range w.failures {
		if gwerr.KindOf(f.err) != gwerr.ModelUnavailable {
			return nil, false
		}
		if !slices.Contains(names, f.t.Name) {
			names = append(names, f.t.Name)
		}
	}
	return names, len(names) > 0
}
