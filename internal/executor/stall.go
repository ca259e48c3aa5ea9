package executor

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// stallTimer bounds a committed stream: the provider's silence between two
// chunks (the stall timeout, 0: none), and the request deadline (zero:
// none), with one timer for both (a second timer a stream was 0.1 KB held
// for its whole life). The stall bound runs only while windrose waits for
// the provider: time spent writing to a slow client is not the provider's
// stall.
//
// It is not reset per chunk: resetting a timer twice a chunk was a large
// part of windrose's CPU per streamed chunk (BENCHMARKS.md). waiting and
// got only record when the current wait began; one timer, armed for the
// whole timeout, checks that record when it fires and re-arms itself for
// what is left of the current wait (or for a whole timeout when windrose is
// not waiting), never past the deadline, so a stall is still declared
// exactly timeout after the wait began.
type stallTimer struct {
	t        *time.Timer
	d        time.Duration
	deadline time.Time
	cancel   context.CancelCauseFunc // with errStall or errDeadline
	base     time.Time               // monotonic origin of since
	since    atomic.Int64            // 1 + nanoseconds from base to when the current wait began; 0: not waiting
	done     atomic.Bool
	mu       sync.Mutex // orders the timer's assignment in start before fire reads it
}

// start arms the timer: cancel gets errStall once the provider was silent
// for d, errDeadline once the deadline passed.
func (s *stallTimer) start(d time.Duration, deadline time.Time, cancel context.CancelCauseFunc) {
	s.d, s.deadline, s.cancel, s.base = d, deadline, cancel, time.Now()
	s.mu.Lock()
	s.t = time.AfterFunc(s.next(d), s.fire)
	s.mu.Unlock()
}

// next is d, or what is left before the deadline when that is sooner (or
// there is no stall bound).
func (s *stallTimer) next(d time.Duration) time.Duration {
	if s.deadline.IsZero() {
		return d
	}
	left := time.Until(s.deadline)
	if d <= 0 || left < d {
		return left
	}
	return d
}

func (s *stallTimer) fire() {
	if s.done.Load() {
		return
	}
	if passed(s.deadline) {
		s.cancel(errDeadline)
		return
	}
	left := s.d
	if w := s.since.Load(); w != 0 && s.d > 0 {
		left = s.d - (time.Since(s.base) - time.Duration(w-1))
		if left <= 0 {
			s.cancel(errStall)
			return
		}
	}
	s.mu.Lock()
	s.t.Reset(s.next(left))
	s.mu.Unlock()
}

// waiting says windrose starts waiting for the provider.
func (s *stallTimer) waiting() {
	if s.d > 0 {
		s.since.Store(int64(time.Since(s.base)) + 1)
	}
}

// got says the wait is over (a chunk came, or windrose writes to the client).
func (s *stallTimer) got() {
	if s.d > 0 {
		s.since.Store(0)
	}
}

// stop ends the timer for good.
func (s *stallTimer) stop() {
	if s.t != nil {
		s.done.Store(true)
		s.t.Stop()
	}
}
