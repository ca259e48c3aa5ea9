package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/router"
	"github.com/windrose-gw/windrose/providers"
)

// Sink receives a committed stream. The executor calls Commit once, then
// Event for each event with deltas. Events are reused after Event returns.
// An error from the sink means the client is gone.
type Sink interface {
	Commit(t *Target, attempts int) error
	Event(ev *llm.StreamEvent) error
}

// BatchSink is a Sink that can hold written events until the stream is
// about to wait for the provider, instead of flushing each one: under load
// several events then go out in one write, as a byte-copying proxy's would.
// The executor switches it on only when the provider's stream can say when
// it is about to read (ReadNotifier), so no event ever waits for the next.
type BatchSink interface {
	Sink
	// Batch switches the sink to batching and returns the flush to call
	// before each read. A flush error is returned by the next Event.
	Batch() (flush func())
}

// ReadNotifier is a providers.Stream that calls fn before each read from
// the provider's connection (each read that may block).
type ReadNotifier interface {
	BeforeRead(fn func())
}

// batch lets sink batch events when both sides support it. The flush to
// the client runs with the stall timer paused (stall may be nil).
func batch(st providers.Stream, sink Sink, stall *stallTimer) {
	rn, ok := st.(ReadNotifier)
	if !ok {
		return
	}
	if bs, ok := sink.(BatchSink); ok {
		flush := bs.Batch()
		if stall == nil || stall.d <= 0 {
			rn.BeforeRead(flush)
			return
		}
		rn.BeforeRead(func() {
			stall.got()
			flush()
			stall.waiting()
		})
	}
}

// emptyEnd is how a stream that produced no content at all ended (an empty
// answer is valid: a finish reason and usage, no text).
type emptyEnd struct {
	finish llm.FinishReason
	usage  llm.Usage
	hasUse bool
}

// Stream serves a streamed request. Until the first content event any
// failure moves on to the next deployment, unseen by the client; the sink is
// committed only then. It returns the usage of the winning attempt (nil if
// the provider reported none) and, after commit, the error that ended the
// stream early, which the caller must send in-band.
// rr is the caller's; Stream adds to its Needs.
func (e *Executor) Stream(ctx context.Context, rt *Route, req *llm.ChatRequest, rr *router.Request, sink Sink) (*llm.Usage, Result, error) {
	rr.Needs |= llm.Needs(req) // plan only over deployments that can serve it
	deadline := e.deadline()
	a, res, err := e.openCommitted(ctx, deadline, rt, req, rr, sink)
	if a == nil {
		return nil, res, err
	}
	defer a.release()
	if a.first == nil {
		batch(a.stream, sink, nil)
		u, err := e.finishEmpty(rt, a, sink)
		return u, res, err
	}
	// The result goes to the stream's resume state by value: a pointer to
	// it would move it to the heap for the whole of every stream, resume
	// on or off.
	sr := newStreamRun(ctx, deadline, rt, req, rr, res)
	u, err := e.pump(rt, a, sink, sr, deadline)
	if sr != nil {
		res = sr.res
	}
	res.Upstream += a.waited
	return u, res, err
}

// release ends a committed stream's attempt: its stream closed, no longer
// counted in flight, its context canceled (one deferred call keeps
// Stream's frame small).
func (a *attempt) release() {
	_ = a.stream.Close()
	a.upEnd()
	a.cancel(nil)
}

// openCommitted walks the plan up to a stream with content (or an empty
// answer) and commits the sink to it. It returns a nil attempt when no
// stream was committed. It is kept out of Stream (noinline) because the
// walk's frames are large and Stream's frame stays on the stack for the
// whole stream: the handler goroutine of a pumping stream then fits a
// smaller stack (BENCHMARKS.md, memory per stream).
//
//go:noinline
func (e *Executor) openCommitted(ctx context.Context, deadline time.Time, rt *Route, req *llm.ChatRequest, rr *router.Request, sink Sink) (*attempt, Result, error) {
	a, res, err := e.run(ctx, deadline, rt, *rr, true, func(a *attempt) { e.openStream(rt, req, a) })
	if err != nil {
		return nil, res, err
	}
	if err := sink.Commit(a.t, res.Attempts); err != nil {
		e.lost(rt, a)
		a.release()
		return nil, res, gwerr.Wrap(gwerr.Canceled, err, "the client went away")
	}
	res.Committed = true
	return a, res, nil
}

// openStream calls the deployment and reads up to the first content event,
// under the deployment's first-token bound.
func (e *Executor) openStream(rt *Route, req *llm.ChatRequest, a *attempt) {
	if d := e.firstTokenTimeout(rt, a.t, req); d > 0 {
		t := time.AfterFunc(d, func() { a.cancel(errFirstToken) })
		defer t.Stop()
	}
	a.upBegin()
	a.stream, a.err = a.t.Client.ChatStream(a.ctx, req)
	if a.err != nil {
		a.upEnd()
		return
	}
	e.readFirst(a)
}

// readFirst reads a.stream up to its first content event.
func (e *Executor) readFirst(a *attempt) {
	for {
		ev, err := a.stream.Next()
		if err == io.EOF {
			return // an empty answer: a.first stays nil
		}
		if err != nil {
			a.err = err
			return
		}
		if ev.HasContent() {
			a.ttft = e.now().Sub(a.start)
			a.first = ev
			a.model = ev.Model
			return
		}
		for _, d := range ev.Deltas {
			if d.FinishReason != "" {
				a.empty.finish = d.FinishReason
			}
		}
		if ev.Usage != nil {
			a.empty.usage, a.empty.hasUse = *ev.Usage, true
		}
	}
}

// pump relays the committed stream to the sink under the stall timeout
// and the request deadline.
// sr, when not nil, records the text sent so that a break can be resumed.
func (e *Executor) pump(rt *Route, a *attempt, sink Sink, sr *streamRun, deadline time.Time) (*llm.Usage, error) {
	a.t.Metrics.TTFT.Observe(a.ttft.Seconds())
	stall := &stallTimer{}
	if rt.StallTimeout > 0 || !deadline.IsZero() {
		a.disarm() // the stall timer keeps the deadline from here on
		stall.start(rt.StallTimeout, deadline, a.cancel)
		defer stall.stop()
	}
	batch(a.stream, sink, stall)
	var usage llm.Usage
	hasUsage, finished, chunks := false, false, 0
	ev := a.first
	for {
		if ev.Usage != nil {
			usage, hasUsage = *ev.Usage, true
		}
		for i := range ev.Deltas {
			ev.Deltas[i].Role = "" // the sink sent the role when it committed
			if ev.Deltas[i].FinishReason != "" {
				finished = true
				a.finish = string(ev.Deltas[i].FinishReason)
			}
		}
		if len(ev.Deltas) > 0 {
			chunks++
			if sr != nil {
				sr.record(ev)
			}
			if err := sink.Event(ev); err != nil {
				return e.sinkGone(rt, a, &usage, hasUsage, err)
			}
		}
		var err error
		stall.waiting()
		t0 := e.now()
		ev, err = a.stream.Next()
		a.waited += e.now().Sub(t0)
		stall.got()
		if err != nil {
			return e.pumpEnd(rt, a, sink, sr, &usage, hasUsage, finished, chunks, err)
		}
	}
}

// pumpEnd ends a committed stream that Next ended with err. It is kept out
// of pump (noinline): its frames are cold, and pump's stays on the stack
// for the whole stream (BENCHMARKS.md, memory per stream).
//
//go:noinline
func (e *Executor) pumpEnd(rt *Route, a *attempt, sink Sink, sr *streamRun, usage *llm.Usage, hasUsage, finished bool, chunks int, err error) (*llm.Usage, error) {
	if err == io.EOF && finished {
		// A finish reason then a clean end is a whole answer, with or
		// without the provider's terminator.
		up := usagePtr(*usage, hasUsage)
		e.succeeded(a, up)
		e.metrics.Attempts.WithLabelValues(rt.Model.Name, a.t.Name, a.winResult).Inc()
		return sr.total(up), nil
	}
	u, berr := e.brokenAfterCommit(rt, a, *usage, hasUsage, chunks, err)
	if sr == nil {
		return u, berr
	}
	if pu := providers.UsageOf(err); pu != nil {
		sr.addUsage(*pu)
	} else if hasUsage {
		sr.addUsage(*usage)
	}
	return e.resume(rt, sink, sr, a.t, berr)
}

// cutError says what happened to a stream that broke after the client got
// chunks content chunks, with the error kind, for the in-band error event.
func cutError(t *Target, chunks int, err error) *gwerr.Error {
	if err == io.EOF {
		e := gwerr.New(gwerr.Upstream, "deployment %q: the provider closed the stream after %d chunks without finishing (error kind %s)",
			t.Name, chunks, gwerr.Upstream)
		e.Code = "stream_incomplete"
		return e
	}
	ge := gwerr.As(err)
	e := &gwerr.Error{Kind: ge.Kind, Status: ge.Status, Err: err, Code: ge.Code,
		Message: fmt.Sprintf("deployment %q: the stream broke after %d chunks without finishing (error kind %s): %s",
			t.Name, chunks, ge.Kind, ge.Message)}
	if e.Code == "" {
		e.Code = "stream_" + ge.Kind.String()
	}
	return e
}

// brokenAfterCommit handles a stream that failed after the client got
// chunks content chunks: it counts against the deployment (unless the
// client itself left) and the client gets the error in-band.
func (e *Executor) brokenAfterCommit(rt *Route, a *attempt, u llm.Usage, hasUsage bool, chunks int, err error) (*llm.Usage, error) {
	if a.ctx.Err() != nil && clientLeft(a.ctx) {
		return e.clientGone(rt, a, u, hasUsage, err)
	}
	if err == io.EOF {
		err = cutError(a.t, chunks, err)
	}
	a.err = err
	e.failed(rt, a) // classifies a.err: our deadlines become Timeouts
	e.metrics.Attempts.WithLabelValues(rt.Model.Name, a.t.Name, "failed").Inc()
	if hasUsage && providers.UsageOf(err) == nil {
		e.account(a.ctx, a.t, &u)
	}
	if gwerr.As(a.err).Code == "stream_incomplete" {
		return nil, a.err
	}
	ce := cutError(a.t, chunks, a.err)
	if requestDeadline(a.ctx) {
		ce.Code = "request_timeout"
	}
	return nil, ce
}

// clientLeft reports whether ctx ended because the client went away, not
// because of one of windrose's own deadlines (request, first token, stall).
func clientLeft(ctx context.Context) bool {
	cause := context.Cause(ctx)
	return errors.Is(cause, context.Canceled) && !errors.Is(cause, errStall) && !errors.Is(cause, errFirstToken)
}

// sinkGone is clientGone kept out of pump's frame (noinline, as pumpEnd).
//
//go:noinline
func (e *Executor) sinkGone(rt *Route, a *attempt, u *llm.Usage, hasUsage bool, err error) (*llm.Usage, error) {
	return e.clientGone(rt, a, *u, hasUsage, err)
}

func (e *Executor) clientGone(rt *Route, a *attempt, u llm.Usage, hasUsage bool, err error) (*llm.Usage, error) {
	e.lost(rt, a)
	if hasUsage {
		e.account(a.ctx, a.t, &u)
	}
	return nil, gwerr.Wrap(gwerr.Canceled, err, "the client went away")
}

// finishEmpty relays an answer that had no content at all.
func (e *Executor) finishEmpty(rt *Route, a *attempt, sink Sink) (*llm.Usage, error) {
	finish := a.empty.finish
	if finish == "" {
		finish = llm.FinishStop
	}
	ev := &llm.StreamEvent{Deltas: []llm.Delta{{FinishReason: finish}}}
	a.finish = string(finish)
	up := usagePtr(a.empty.usage, a.empty.hasUse)
	e.succeeded(a, up)
	e.metrics.Attempts.WithLabelValues(rt.Model.Name, a.t.Name, a.winResult).Inc()
	if err := sink.Event(ev); err != nil {
		return up, gwerr.Wrap(gwerr.Canceled, err, "the client went away")
	}
	return up, nil
}

func usagePtr(u llm.Usage, ok bool) *llm.Usage {
	if !ok {
		return nil
	}
	return &u
}
