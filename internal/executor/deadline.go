package executor

import (
	"context"
	"fmt"
	"time"
)

// The request deadline (server.request_timeout) bounds the walk and a
// committed stream. It used to be a context.WithTimeout around the whole
// request, every attempt's context a child of it; a stream then held, for
// all of its life, the timer context with its timer, its done channel and
// the children map it made its parent allocate (about 0.6 KB a stream,
// BENCHMARKS.md, memory per stream). Now the walk alone has a context with
// the deadline, gone once the walk ends; a stream's attempts are children
// of the request's context, canceled by the walk (abandon) while it lasts.
// A committed stream's pump keeps the deadline on its stall timer; a
// resumed attempt carries it as a timer of its own until its pump starts.

// errDeadline is the cause an attempt is canceled with when the request
// deadline passes. It wraps context.DeadlineExceeded, which the walk's own
// context reports then, so requestDeadline and classify read both alike.
var errDeadline = fmt.Errorf("request deadline: %w", context.DeadlineExceeded)

// deadline is when a request that starts now must be done; zero: never.
// It reads the wall clock, not e.now (a test's clock): the timers that
// enforce it run on real time, as context.WithTimeout's did.
func (e *Executor) deadline() time.Time {
	if e.timeout <= 0 {
		return time.Time{}
	}
	return time.Now().Add(e.timeout)
}

// passed reports whether deadline is set and has passed.
func passed(deadline time.Time) bool {
	return !deadline.IsZero() && !time.Now().Before(deadline)
}

// walkContext is the walk's context: ctx bounded by the deadline.
func walkContext(ctx context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	if deadline.IsZero() {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, deadline)
}

// armDeadline bounds an attempt that outlives the walk (a resumed stream,
// until its pump) by the request deadline; disarm ends that bound.
func (a *attempt) armDeadline(deadline time.Time) {
	if deadline.IsZero() {
		return
	}
	cancel := a.cancel
	a.deadline = time.AfterFunc(time.Until(deadline), func() { cancel(errDeadline) })
}

func (a *attempt) disarm() {
	if a.deadline != nil {
		a.deadline.Stop()
		a.deadline = nil // a stopped timer is still 0.1 KB the attempt would hold
	}
}
