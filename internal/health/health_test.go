package health

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

// clock is a fake clock safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// snap is what a check step compares.
type snap struct {
	State    State
	Usable   bool
	Cooldown time.Duration
}

// step is one action on deployment "d", or a check of its snapshot.
type step struct {
	name string // for failure messages
	run  func(t *Tracker, c *clock) any
	want any // compared with run's result when non-nil
}

func acquire(want bool) step {
	return step{"acquire", func(t *Tracker, _ *clock) any { return t.Acquire("d") }, want}
}

func release() step {
	return step{"release", func(t *Tracker, _ *clock) any { t.Release("d"); return nil }, nil}
}

func ok() step {
	return step{"success", func(t *Tracker, _ *clock) any { t.Success("d", 0); return nil }, nil}
}

func fail(k gwerr.Kind) step {
	return step{"failure " + k.String(), func(t *Tracker, _ *clock) any { t.Failure("d", k); return nil }, nil}
}

// repeat expands steps n times.
func repeat(n int, steps ...step) []step {
	var out []step
	for range n {
		out = append(out, steps...)
	}
	return out
}

func cool(d time.Duration) step {
	return step{"cooldown", func(t *Tracker, _ *clock) any { t.Cooldown("d", d); return nil }, nil}
}

func wait(d time.Duration) step {
	return step{"wait " + d.String(), func(_ *Tracker, c *clock) any { c.advance(d); return nil }, nil}
}

func check(s State, usable bool, cooldown time.Duration) step {
	return step{"check", func(t *Tracker, _ *clock) any {
		return snap{t.State("d"), t.Usable("d"), t.CooldownRemaining("d")}
	}, snap{s, usable, cooldown}}
}

// open trips the default breaker with five upstream failures.
func open() []step {
	return append(repeat(5, fail(gwerr.Upstream)), check(Open, false, 0))
}

func seq(parts ...any) []step {
	var out []step
	for _, p := range parts {
		switch p := p.(type) {
		case step:
			out = append(out, p)
		case []step:
			out = append(out, p...)
		}
	}
	return out
}

func TestTransitions(t *testing.T) {
	tests := []struct {
		name        string
		cfg         BreakerConfig
		steps       []step
		transitions []State // every OnChange call, in order
	}{
		{
			// A client hanging up is never the provider's fault, however often.
			name:  "cancel never counts",
			steps: seq(repeat(20, acquire(true), fail(gwerr.Canceled)), check(Closed, true, 0)),
		},
		{
			// A cancel is no verdict: it neither counts nor breaks a run of
			// real failures.
			name:        "cancel does not reset the failure run",
			steps:       seq(repeat(4, fail(gwerr.Upstream)), fail(gwerr.Canceled), fail(gwerr.Timeout), check(Open, false, 0)),
			transitions: []State{Open},
		},
		{
			// Bad requests say nothing about the deployment's health.
			name: "invalid request, not found and too large never count",
			steps: seq(repeat(10, fail(gwerr.InvalidRequest), fail(gwerr.NotFound), fail(gwerr.TooLarge)),
				check(Closed, true, 0)),
		},
		{
			// The basic trip: the fifth consecutive failure opens, not the fourth.
			name:        "consecutive failures open",
			steps:       seq(repeat(4, fail(gwerr.Upstream)), check(Closed, true, 0), fail(gwerr.Overloaded), check(Open, false, 0), acquire(false)),
			transitions: []State{Open},
		},
		{
			// A success in between breaks the run.
			name:  "success resets the consecutive count",
			steps: seq(repeat(4, fail(gwerr.Upstream)), ok(), repeat(4, fail(gwerr.Upstream)), check(Closed, true, 0)),
		},
		{
			// Two failures out of three never make five in a row, but the
			// 20th request brings the rate to 70% with enough volume.
			name: "failure rate in window opens",
			steps: seq(repeat(6, fail(gwerr.Upstream), fail(gwerr.Upstream), ok()), fail(gwerr.Upstream),
				check(Closed, true, 0), fail(gwerr.Upstream), check(Open, false, 0)),
			transitions: []State{Open},
		},
		{
			// The rate must exceed the threshold; exactly half is tolerated.
			name:  "failure rate at threshold does not open",
			steps: seq(repeat(30, ok(), fail(gwerr.Upstream)), check(Closed, true, 0)),
		},
		{
			// Old failures leave the window: the same traffic split across
			// more than a window never reaches MinRequests.
			name: "window buckets age out",
			steps: seq(repeat(6, fail(gwerr.Upstream), fail(gwerr.Upstream), ok()), wait(30*time.Second),
				repeat(6, fail(gwerr.Upstream), fail(gwerr.Upstream), ok()), check(Closed, true, 0)),
		},
		{
			// Requests spread over half a window still add up.
			name: "window spans its whole length",
			steps: seq(repeat(3, fail(gwerr.Upstream), fail(gwerr.Upstream), ok()), wait(15*time.Second),
				repeat(3, fail(gwerr.Upstream), fail(gwerr.Upstream), ok()), check(Closed, true, 0),
				fail(gwerr.Upstream), fail(gwerr.Upstream), check(Open, false, 0)),
			transitions: []State{Open},
		},
		{
			// Usable only looks; the probe slot is taken by Acquire, once.
			name: "open then probe then success closes",
			steps: seq(open(), wait(9*time.Second), check(Open, false, 0), acquire(false), wait(time.Second),
				check(Open, true, 0), check(Open, true, 0), acquire(true), check(HalfOpen, true, 0), acquire(false),
				ok(), check(Closed, true, 0), acquire(true)),
			transitions: []State{Open, HalfOpen, Closed},
		},
		{
			// A failed probe reopens at once and the wait starts over.
			name: "failure in half-open reopens and restarts OpenFor",
			steps: seq(open(), wait(10*time.Second), acquire(true), fail(gwerr.Timeout), check(Open, false, 0),
				wait(9*time.Second), acquire(false), wait(time.Second), acquire(true), check(HalfOpen, true, 0)),
			transitions: []State{Open, HalfOpen, Open, HalfOpen},
		},
		{
			// Exactly HalfOpenProbes probes at once; all must succeed to close.
			name: "half-open admits HalfOpenProbes probes",
			cfg:  BreakerConfig{HalfOpenProbes: 2},
			steps: seq(open(), wait(10*time.Second), acquire(true), acquire(true), acquire(false),
				release(), acquire(true), ok(), check(HalfOpen, true, 0), acquire(true), acquire(false),
				ok(), check(Closed, true, 0)),
			transitions: []State{Open, HalfOpen, Closed},
		},
		{
			// A canceled probe frees its slot without a verdict.
			name: "canceled probe frees the slot",
			steps: seq(open(), wait(10*time.Second), acquire(true), fail(gwerr.Canceled), check(HalfOpen, true, 0),
				acquire(true), acquire(false)),
			transitions: []State{Open, HalfOpen},
		},
		{
			// A success from an attempt started before the trip is not a probe.
			name:        "late success while open is ignored",
			steps:       seq(open(), ok(), check(Open, false, 0), wait(10*time.Second), check(Open, true, 0)),
			transitions: []State{Open},
		},
		{
			// After recovery the old failures are forgotten: one new failure
			// does not reopen.
			name: "closing clears history",
			steps: seq(open(), wait(10*time.Second), acquire(true), ok(), repeat(4, fail(gwerr.Upstream)),
				check(Closed, true, 0), fail(gwerr.Upstream), check(Open, false, 0)),
			transitions: []State{Open, HalfOpen, Closed, Open},
		},
		{
			// The failure-rate window is cleared on closing too: the
			// failures that opened the breaker do not count again.
			name: "closing clears the rate window",
			cfg:  BreakerConfig{ConsecutiveFailures: 3, MinRequests: 6},
			steps: seq(repeat(3, ok()), repeat(3, fail(gwerr.Upstream)), check(Open, false, 0),
				wait(10*time.Second), acquire(true), ok(), fail(gwerr.Upstream), check(Closed, true, 0)),
			transitions: []State{Open, HalfOpen, Closed},
		},
		{
			// Retry-After skips the deployment without touching the breaker.
			name: "cooldown skips but does not open",
			steps: seq(cool(5*time.Second), check(Closed, false, 5*time.Second), acquire(false),
				wait(5*time.Second), check(Closed, true, 0), acquire(true)),
		},
		{
			// A shorter Retry-After never cuts a longer one short.
			name: "cooldown extends, never shortens",
			steps: seq(cool(10*time.Second), wait(2*time.Second), cool(3*time.Second), check(Closed, false, 8*time.Second),
				cool(20*time.Second), check(Closed, false, 20*time.Second), cool(0), cool(-time.Second),
				check(Closed, false, 20*time.Second)),
		},
		{
			// A probe waits for the provider's Retry-After too.
			name: "cooldown holds back the probe",
			steps: seq(open(), cool(15*time.Second), wait(10*time.Second), check(Open, false, 5*time.Second),
				acquire(false), wait(5*time.Second), acquire(true)),
			transitions: []State{Open, HalfOpen},
		},
		{
			// Configured thresholds replace the defaults.
			name:        "custom consecutive threshold",
			cfg:         BreakerConfig{ConsecutiveFailures: 2, OpenFor: time.Second},
			steps:       seq(fail(gwerr.Auth), fail(gwerr.RateLimited), check(Open, false, 0), wait(time.Second), acquire(true)),
			transitions: []State{Open, HalfOpen},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			tr := NewTracker(tt.cfg, c.now)
			tr.Add("d")
			var got []State
			tr.OnChange(func(name string, s State) {
				if name != "d" {
					t.Errorf("OnChange for %q", name)
				}
				got = append(got, s)
			})
			for i, s := range tt.steps {
				res := s.run(tr, c)
				if s.want == nil {
					continue
				}
				if diff := cmp.Diff(s.want, res); diff != "" {
					t.Fatalf("step %d (%s) (-want +got):\n%s", i, s.name, diff)
				}
			}
			if diff := cmp.Diff(tt.transitions, got); diff != "" {
				t.Errorf("transitions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnknownDeployment: names never registered are healthy and ignored,
// so a config reload race never blocks traffic or panics.
func TestUnknownDeployment(t *testing.T) {
	tr := NewTracker(BreakerConfig{}, newClock().now)
	for range 10 {
		tr.Failure("x", gwerr.Upstream)
	}
	tr.Cooldown("x", time.Minute)
	tr.Success("x", time.Second)
	tr.Release("x")
	got := []any{tr.Usable("x"), tr.Acquire("x"), tr.State("x"), tr.CooldownRemaining("x"), tr.TTFT("x"), tr.P95TTFT("x")}
	want := []any{true, true, Closed, time.Duration(0), time.Duration(0), time.Duration(0)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestAddKeepsState: registering a name again must not heal it.
func TestAddKeepsState(t *testing.T) {
	tr := NewTracker(BreakerConfig{ConsecutiveFailures: 1}, newClock().now)
	tr.Add("d")
	tr.Failure("d", gwerr.Upstream)
	tr.Add("d")
	tr.Add("e")
	if got := tr.State("d"); got != Open {
		t.Errorf("State after re-Add = %v, want open", got)
	}
	if got := tr.State("e"); got != Closed {
		t.Errorf("State(e) = %v, want closed", got)
	}
}

// TestFlapping: a provider that fails and recovers over and over gets
// traffic back no later than OpenFor (plus one request interval) after each
// recovery; the breaker never backs off further than that.
func TestFlapping(t *testing.T) {
	const (
		openFor = 10 * time.Second
		tick    = 100 * time.Millisecond
	)
	c := newClock()
	tr := NewTracker(BreakerConfig{OpenFor: openFor}, c.now)
	tr.Add("d")
	downs := []time.Duration{2 * time.Second, 15 * time.Second, 500 * time.Millisecond, 40 * time.Second, 11 * time.Second}
	const up = 20 * time.Second
	for cycle, down := range downs {
		// Outage: every attempt that is let through fails.
		for elapsed := time.Duration(0); elapsed < down; elapsed += tick {
			if tr.Usable("d") && tr.Acquire("d") {
				tr.Failure("d", gwerr.Upstream)
			}
			c.advance(tick)
		}
		// Recovery: measure how long until a request succeeds again.
		var back time.Duration = -1
		for elapsed := time.Duration(0); elapsed < up; elapsed += tick {
			if tr.Usable("d") && tr.Acquire("d") {
				tr.Success("d", 0)
				if back < 0 {
					back = elapsed
				}
			}
			c.advance(tick)
		}
		if back < 0 || back > openFor+tick {
			t.Errorf("cycle %d (down %v): traffic back after %v, want <= %v", cycle, down, back, openFor+tick)
		}
		if got := tr.State("d"); got != Closed {
			t.Errorf("cycle %d: state after recovery = %v, want closed", cycle, got)
		}
	}
}

func TestLatency(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name     string
		samples  []time.Duration
		wantEWMA time.Duration
		wantP95  time.Duration
	}{
		{
			// No data: 0 so the latency strategy explores the deployment.
			name: "unknown",
		},
		{
			// Unmeasured successes (ttft 0) do not drag the average to zero.
			name:     "zero samples ignored",
			samples:  []time.Duration{0, 100 * ms, 0},
			wantEWMA: 100 * ms, wantP95: 100 * ms,
		},
		{
			// The first sample seeds the average; later ones move it by 20%.
			name:     "ewma",
			samples:  []time.Duration{100 * ms, 200 * ms},
			wantEWMA: 120 * ms, wantP95: 200 * ms,
		},
		{
			// Nearest rank over 1..100 ms.
			name:     "p95 of 100",
			samples:  seqMS(1, 100),
			wantEWMA: -1, wantP95: 95 * ms,
		},
		{
			// Only the last 128 samples count: old slow ones are forgotten.
			name:     "p95 ring keeps the last 128",
			samples:  append(repeatDur(72, 10*time.Second), seqMS(1, 128)...),
			wantEWMA: -1, wantP95: 122 * ms,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker(BreakerConfig{}, newClock().now)
			tr.Add("d")
			for _, s := range tt.samples {
				tr.Success("d", s)
			}
			if tt.wantEWMA >= 0 {
				if got := tr.TTFT("d"); got != tt.wantEWMA {
					t.Errorf("TTFT = %v, want %v", got, tt.wantEWMA)
				}
			}
			if got := tr.P95TTFT("d"); got != tt.wantP95 {
				t.Errorf("P95TTFT = %v, want %v", got, tt.wantP95)
			}
		})
	}
}

func seqMS(from, to int) []time.Duration {
	var out []time.Duration
	for i := from; i <= to; i++ {
		out = append(out, time.Duration(i)*time.Millisecond)
	}
	return out
}

func repeatDur(n int, d time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestStateString(t *testing.T) {
	got := []string{Closed.String(), HalfOpen.String(), Open.String(), State(7).String()}
	want := []string{"closed", "half_open", "open", "unknown"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
