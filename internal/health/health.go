// Package health tracks each deployment's circuit breaker, Retry-After
// cooldown and time-to-first-token statistics.
//
// The router asks Usable to filter deployments; the executor calls Acquire
// right before an attempt and reports its outcome with exactly one of
// Success, Failure or Release. Time comes from an injected clock, nothing
// runs in the background, and every deployment has its own small mutex, so
// requests to different deployments never contend.
package health

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

// State is a breaker state. Its numeric values are exported as a metric
// gauge, so they are fixed.
type State int

// Breaker states.
const (
	Closed   State = 0 // traffic flows
	HalfOpen State = 1 // a limited number of probes may go through
	Open     State = 2 // no traffic until OpenFor has passed
)

// String returns the state's bounded label value.
func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case HalfOpen:
		return "half_open"
	case Open:
		return "open"
	}
	return "unknown"
}

// BreakerConfig tunes every deployment's breaker. A zero (or negative) field
// takes its default.
type BreakerConfig struct {
	// ConsecutiveFailures opens the breaker after this many failures in a
	// row. Default: 5.
	ConsecutiveFailures int
	// FailureRate opens the breaker when the share of failures in Window
	// exceeds it (0..1; 1 or more disables the rate rule). Default: 0.5.
	FailureRate float64
	// MinRequests is the fewest requests in Window before FailureRate is
	// judged. Default: 20.
	MinRequests int
	// Window is the span the failure rate is measured over, kept as a ring
	// of ten time buckets. Default: 30s.
	Window time.Duration
	// OpenFor is how long an open breaker waits before it lets a half-open
	// probe through (the probe interval). Default: 10s.
	OpenFor time.Duration
	// HalfOpenProbes is how many probe successes close a half-open breaker,
	// and how many probes may be in flight at once. Default: 1.
	HalfOpenProbes int
	// ModelUnavailableOpenFor is how long the breaker stays open after a
	// ModelUnavailable failure, which opens it at once: a retired model
	// does not come back in seconds. Default: 10m.
	ModelUnavailableOpenFor time.Duration
}

func (c BreakerConfig) withDefaults() BreakerConfig {
	if c.ConsecutiveFailures <= 0 {
		c.ConsecutiveFailures = 5
	}
	if c.FailureRate <= 0 {
		c.FailureRate = 0.5
	}
	if c.MinRequests <= 0 {
		c.MinRequests = 20
	}
	if c.Window <= 0 {
		c.Window = 30 * time.Second
	}
	if c.OpenFor <= 0 {
		c.OpenFor = 10 * time.Second
	}
	if c.HalfOpenProbes <= 0 {
		c.HalfOpenProbes = 1
	}
	if c.ModelUnavailableOpenFor <= 0 {
		c.ModelUnavailableOpenFor = 10 * time.Minute
	}
	return c
}

// Tracker holds the health of every registered deployment. It is safe for
// concurrent use. Names that were never registered are treated as healthy
// and their reports are ignored.
type Tracker struct {
	cfg   BreakerConfig
	now   func() time.Time
	start time.Time

	addMu sync.Mutex // serialises Add; readers never take it
	// breakers is copied on write by Add (rare, at wiring time) so the hot
	// path is one atomic load and a map lookup, with no shared lock.
	breakers atomic.Pointer[map[string]*breaker]
	onChange atomic.Pointer[func(string, State)]
	// onCooldown passes local cooldowns on to other replicas (peer.go).
	onCooldown atomic.Pointer[func(string, time.Duration)]
}

// NewTracker returns a Tracker using cfg (zero fields take defaults) and the
// clock now (time.Now when nil).
func NewTracker(cfg BreakerConfig, now func() time.Time) *Tracker {
	if now == nil {
		now = time.Now
	}
	t := &Tracker{cfg: cfg.withDefaults(), now: now, start: now()}
	m := map[string]*breaker{}
	t.breakers.Store(&m)
	return t
}

// Add registers a deployment. Registering a name twice keeps its state.
func (t *Tracker) Add(deployment string) {
	t.addMu.Lock()
	defer t.addMu.Unlock()
	old := *t.breakers.Load()
	if _, ok := old[deployment]; ok {
		return
	}
	m := make(map[string]*breaker, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[deployment] = newBreaker(t.cfg.Window)
	t.breakers.Store(&m)
}

// Remove forgets a deployment and its state (a config reload removed it,
// or changed its provider: a new Add starts it afresh). Reports for it are
// then ignored, as for a name never added.
func (t *Tracker) Remove(deployment string) {
	t.addMu.Lock()
	defer t.addMu.Unlock()
	old := *t.breakers.Load()
	if _, ok := old[deployment]; !ok {
		return
	}
	m := make(map[string]*breaker, len(old))
	for k, v := range old {
		if k != deployment {
			m[k] = v
		}
	}
	t.breakers.Store(&m)
}

// OnChange sets the function called after every state transition, outside
// any lock, in the order the transitions happened for each deployment. Set
// it once at wiring time. fn must not itself report to the Tracker.
func (t *Tracker) OnChange(fn func(deployment string, s State)) {
	t.onChange.Store(&fn)
}

// Usable reports whether the router may plan an attempt on deployment: false
// while its breaker is open and OpenFor has not passed, or while it cools
// down. It does not take a probe slot.
func (t *Tracker) Usable(deployment string) bool {
	b := t.get(deployment)
	if b == nil {
		return true
	}
	return b.usable(t.elapsed(), &t.cfg)
}

// Acquire asks to start an attempt on deployment now. It returns false while
// the breaker is open and OpenFor has not passed, while the deployment cools
// down (a Retry-After is still running), or when the breaker is half-open
// and all its probe slots are taken. Once OpenFor has passed it moves the
// breaker to half-open and takes a probe slot. Every true must be followed
// by exactly one Success, Failure or Release.
func (t *Tracker) Acquire(deployment string) bool {
	b := t.get(deployment)
	if b == nil {
		return true
	}
	ok, changed := b.acquire(t.elapsed(), &t.cfg)
	if changed {
		t.notify(deployment, b)
	}
	return ok
}

// Release ends an attempt that gave no verdict on the deployment's health
// (the client went away, the request was invalid): it frees a probe slot and
// changes nothing else.
func (t *Tracker) Release(deployment string) {
	if b := t.get(deployment); b != nil {
		b.release()
	}
}

// Status is one deployment's health as GET /v1/windrose/status shows it.
type Status struct {
	State         State
	OpenRemaining time.Duration // until an open breaker admits a probe
	Cooldown      time.Duration // Retry-After cooldown left
	LastErrorKind string        // kind of the last counted failure, "" if none
	P50, P95, P99 time.Duration // time to first token over recent successes
	Samples       int           // how many successes those figures come from
}

// Status returns deployment's health (the zero Status for unknown names).
func (t *Tracker) Status(deployment string) Status {
	b := t.get(deployment)
	if b == nil {
		return Status{}
	}
	return b.status(t.elapsed(), &t.cfg)
}

// TTFTStats returns deployment's p99 time to first token over its recent
// successes and how many samples it is from.
func (t *Tracker) TTFTStats(deployment string) (p99 time.Duration, n int) {
	b := t.get(deployment)
	if b == nil {
		return 0, 0
	}
	s := b.percentiles()
	return s.p99, s.n
}

// Success records a successful attempt. ttft is its time to first token, 0
// when not measured; it feeds TTFT and P95TTFT.
func (t *Tracker) Success(deployment string, ttft time.Duration) {
	b := t.get(deployment)
	if b == nil {
		return
	}
	if b.success(t.elapsed(), ttft, &t.cfg) {
		t.notify(deployment, b)
	}
}

// Failure records a failed attempt of the given kind. Kinds that are not the
// provider's fault (Canceled, InvalidRequest, NotFound, TooLarge) never count
// and behave like Release.
func (t *Tracker) Failure(deployment string, kind gwerr.Kind) {
	b := t.get(deployment)
	if b == nil {
		return
	}
	switch kind {
	case gwerr.Canceled, gwerr.InvalidRequest, gwerr.NotFound, gwerr.TooLarge:
		b.release()
		return
	}
	if b.failure(t.elapsed(), kind, &t.cfg) {
		t.notify(deployment, b)
	}
}

// Cooldown keeps deployment out of plans for d (a provider's Retry-After).
// It does not open the breaker, and it extends but never shortens a
// cooldown already running.
func (t *Tracker) Cooldown(deployment string, d time.Duration) {
	if b := t.get(deployment); b != nil && d > 0 {
		b.cooldown(t.elapsed(), d)
		if fn := t.onCooldown.Load(); fn != nil && *fn != nil {
			(*fn)(deployment, d)
		}
	}
}

// CooldownRemaining is how long deployment still cools down (0 if not).
func (t *Tracker) CooldownRemaining(deployment string) time.Duration {
	if b := t.get(deployment); b != nil {
		return b.cooldownRemaining(t.elapsed())
	}
	return 0
}

// State returns deployment's breaker state. An open breaker whose OpenFor
// has passed stays Open until the next Acquire takes a probe.
func (t *Tracker) State(deployment string) State {
	if b := t.get(deployment); b != nil {
		return b.currentState()
	}
	return Closed
}

// TTFT is an exponentially weighted moving average of deployment's time to
// first token (0 when unknown).
func (t *Tracker) TTFT(deployment string) time.Duration {
	if b := t.get(deployment); b != nil {
		return b.ttft()
	}
	return 0
}

// P95TTFT estimates the 95th percentile of deployment's time to first token
// over its last 128 measured successes (0 when unknown).
func (t *Tracker) P95TTFT(deployment string) time.Duration {
	if b := t.get(deployment); b != nil {
		return b.p95()
	}
	return 0
}

func (t *Tracker) get(deployment string) *breaker {
	return (*t.breakers.Load())[deployment]
}

// elapsed is the time since the Tracker was made. Working from a base time
// keeps Go's monotonic clock reading, so wall-clock jumps do not move
// breakers; a fake clock that goes backwards is clamped.
func (t *Tracker) elapsed() time.Duration {
	d := t.now().Sub(t.start)
	if d < 0 {
		return 0
	}
	return d
}

// notify delivers b's queued transitions to the OnChange function. Whoever
// finds no delivery running becomes the deliverer and drains the queue, so
// each transition is delivered once, in order, and outside b.mu.
func (t *Tracker) notify(deployment string, b *breaker) {
	fn := t.onChange.Load()
	for states := b.beginDelivery(); states != nil; states = b.nextEvents() {
		if fn == nil || *fn == nil {
			continue
		}
		for _, s := range states {
			(*fn)(deployment, s)
		}
	}
}
