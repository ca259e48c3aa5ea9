package health

import (
	"slices"
	"sync"
	"time"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

// breaker is one deployment's state. Times are durations since the
// Tracker's start (see Tracker.elapsed).
type breaker struct {
	mu sync.Mutex

	state       State
	consecutive int           // failures in a row while closed
	openedAt    time.Duration // when the breaker last opened
	probes      int           // half-open probes in flight
	successes   int           // half-open probe successes so far
	coolUntil   time.Duration // Retry-After cooldown end
	openFor     time.Duration // how long this opening lasts (OpenFor, or longer)
	lastKind    string        // kind of the last counted failure

	win window
	lat latency

	// events queues transitions for OnChange; delivering says a goroutine
	// is draining it (see Tracker.notify).
	events     []State
	delivering bool
}

func newBreaker(window time.Duration) *breaker {
	return &breaker{win: newWindow(window)}
}

func (b *breaker) usable(now time.Duration, cfg *BreakerConfig) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now < b.coolUntil {
		return false
	}
	return b.state != Open || now >= b.openedAt+b.openFor
}

// acquire reports whether an attempt may start, and whether that moved the
// breaker to half-open.
func (b *breaker) acquire(now time.Duration, cfg *BreakerConfig) (ok, changed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	// A running Retry-After also holds back probes: the provider asked us
	// not to call, and a probe sent now would only fail.
	if now < b.coolUntil {
		return false, false
	}
	switch b.state {
	case Open:
		if now < b.openedAt+b.openFor {
			return false, false
		}
		b.setState(HalfOpen)
		b.probes, b.successes = 1, 0
		return true, true
	case HalfOpen:
		if b.probes >= cfg.HalfOpenProbes {
			return false, false
		}
		b.probes++
		return true, false
	}
	return true, false
}

func (b *breaker) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == HalfOpen && b.probes > 0 {
		b.probes--
	}
}

// success records a success and reports whether it closed the breaker.
func (b *breaker) success(now, ttft time.Duration, cfg *BreakerConfig) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lat.add(ttft)
	switch b.state {
	case Closed:
		b.consecutive = 0
		b.win.add(now, false)
	case HalfOpen:
		if b.probes > 0 {
			b.probes--
		}
		b.successes++
		if b.successes >= cfg.HalfOpenProbes {
			b.setState(Closed)
			b.reset()
			return true
		}
	case Open:
		// The attempt started before the breaker opened; one late success
		// is not a probe, so the breaker waits for its real probe.
	}
	return false
}

// failure records a counted failure and reports whether it opened the
// breaker.
func (b *breaker) failure(now time.Duration, kind gwerr.Kind, cfg *BreakerConfig) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastKind = kind.String()
	if kind == gwerr.ModelUnavailable {
		// The deployment cannot serve the model at all: out at once, for
		// long, whatever the counters say; probes after that.
		if b.state == Open {
			return false
		}
		b.openFor = cfg.ModelUnavailableOpenFor
		b.setState(Open)
		b.openedAt = now
		b.reset()
		return true
	}
	switch b.state {
	case Closed:
		b.consecutive++
		b.win.add(now, true)
		total, failed := b.win.sum(now)
		tripped := b.consecutive >= cfg.ConsecutiveFailures ||
			(total >= cfg.MinRequests && float64(failed) > cfg.FailureRate*float64(total))
		if !tripped {
			return false
		}
	case HalfOpen:
		// A failed probe reopens at once and restarts OpenFor.
	case Open:
		return false // a late result from before the breaker opened
	}
	b.openFor = cfg.OpenFor
	b.setState(Open)
	b.openedAt = now
	b.reset()
	return true
}

// reset clears the counters on every transition to Open or Closed, so a
// recovered deployment is not judged again on failures from before its
// outage, and a flapping one is not re-opened by stale history.
func (b *breaker) reset() {
	b.consecutive, b.probes, b.successes = 0, 0, 0
	b.win.reset()
}

func (b *breaker) cooldown(now, d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until := now + d; until > b.coolUntil {
		b.coolUntil = until
	}
}

func (b *breaker) cooldownRemaining(now time.Duration) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return max(b.coolUntil-now, 0)
}

func (b *breaker) currentState() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}

func (b *breaker) ttft() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lat.ewma
}

// ttftStats are percentiles of the recent time-to-first-token samples.
type ttftStats struct {
	p50, p95, p99 time.Duration
	n             int
}

func (b *breaker) percentiles() ttftStats {
	var buf [latencySamples]time.Duration
	b.mu.Lock()
	n := copy(buf[:], b.lat.samples[:b.lat.n])
	b.mu.Unlock()
	s := buf[:n]
	if n == 0 {
		return ttftStats{}
	}
	slices.Sort(s)
	return ttftStats{p50: rank(s, 50), p95: rank(s, 95), p99: rank(s, 99), n: n}
}

func (b *breaker) status(now time.Duration, cfg *BreakerConfig) Status {
	p := b.percentiles()
	b.mu.Lock()
	defer b.mu.Unlock()
	st := Status{State: b.state, Cooldown: max(b.coolUntil-now, 0), LastErrorKind: b.lastKind,
		P50: p.p50, P95: p.p95, P99: p.p99, Samples: p.n}
	if b.state == Open {
		st.OpenRemaining = max(b.openedAt+b.openFor-now, 0)
	}
	return st
}

func (b *breaker) p95() time.Duration {
	var buf [latencySamples]time.Duration
	b.mu.Lock()
	n := copy(buf[:], b.lat.samples[:b.lat.n])
	b.mu.Unlock()
	// Sorting happens outside the lock: it is the only slow part.
	return percentile95(buf[:n])
}

// setState changes the state and queues the transition for OnChange. The
// caller holds b.mu.
func (b *breaker) setState(s State) {
	b.state = s
	b.events = append(b.events, s)
}

// beginDelivery makes the caller the deliverer and hands it the queued
// transitions, or returns nil when another goroutine is delivering or
// nothing is queued.
func (b *breaker) beginDelivery() []State {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.delivering || len(b.events) == 0 {
		return nil
	}
	b.delivering = true
	ev := b.events
	b.events = nil
	return ev
}

// nextEvents hands the deliverer what was queued meanwhile, or ends its
// turn and returns nil.
func (b *breaker) nextEvents() []State {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.events) == 0 {
		b.delivering = false
		return nil
	}
	ev := b.events
	b.events = nil
	return ev
}
