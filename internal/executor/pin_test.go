package executor

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/health"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/router"
)

// TestPinnedRequestHonoursCooldown: pinning skips breakers and failover,
// never a provider's Retry-After; the 429 carries the time left.
func TestPinnedRequestHonoursCooldown(t *testing.T) {
	r := newRig(t, dep{"a", 0, []step{err429RA, ok}}, dep{"b", 1, []step{ok}})
	ctx := context.Background()
	_, _, _ = r.exec.Chat(ctx, r.rt, &llm.ChatRequest{}, router.Request{}) // a answers 429, Retry-After 7s
	r.clock.add(2 * time.Second)
	_, _, err := r.exec.Chat(ctx, r.rt, &llm.ChatRequest{}, router.Request{Pin: "a"})
	ge := gwerr.As(err)
	if ge.Kind != gwerr.RateLimited || ge.RetryAfter != 5*time.Second {
		t.Fatalf("pinned during cooldown: %+v, want RateLimited with 5s left", ge)
	}
	if r.calls("a") != 1 {
		t.Fatalf("a called %d times during its cooldown, want 1", r.calls("a"))
	}
	r.clock.add(6 * time.Second)
	if _, res, err := r.exec.Chat(ctx, r.rt, &llm.ChatRequest{}, router.Request{Pin: "a"}); err != nil || res.Target.Name != "a" {
		t.Fatalf("pinned after cooldown: %v %+v", err, res.Target)
	}
}

// TestPinnedAttemptsStayOutOfProbes: another request holds the half-open
// breaker's only probe slot; a pinned attempt's success, failure or cancel
// must neither close nor re-open the breaker nor free that slot. Its
// outcome still reaches the upstream metrics.
func TestPinnedAttemptsStayOutOfProbes(t *testing.T) {
	cases := []struct {
		name    string
		step    step
		cancel  bool    // the client leaves mid-attempt
		outcome string  // windrose_upstream_requests_total outcome of the pinned attempts
		want    float64 // how many
	}{
		// Before: a pinned success closed a breaker another request was probing.
		{"success", ok, false, "success", 1},
		// Before: a pinned failure re-opened it (and freed nobody's slot correctly).
		// (a pinned request retries in place up to attempts: 3).
		{"failure", err500, false, "upstream", 3},
		// Before: a pinned cancel released the other request's probe slot.
		{"cancel", step{block: true}, true, "canceled", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, dep{"a", 0, []step{tc.step}})
			for range 5 {
				r.health.Failure("a", gwerr.Upstream)
			}
			r.clock.add(11 * time.Second)
			if !r.health.Acquire("a") { // the other request's probe
				t.Fatal("no probe slot after open_for")
			}
			if s := r.health.State("a"); s != health.HalfOpen {
				t.Fatalf("state %v, want half-open", s)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tc.cancel {
				go func() { time.Sleep(10 * time.Millisecond); cancel() }()
			}
			_, _, _ = r.exec.Chat(ctx, r.rt, &llm.ChatRequest{}, router.Request{Pin: "a"})
			cancel()
			if s := r.health.State("a"); s != health.HalfOpen {
				t.Errorf("after the pinned attempt: state %v, want still half-open", s)
			}
			if r.health.Acquire("a") {
				t.Errorf("the pinned attempt freed the other request's probe slot")
			}
			if got := testutil.ToFloat64(r.metrics.Upstream.WithLabelValues("fake", "a", "r", tc.outcome)); got != tc.want {
				t.Errorf("upstream outcome %s = %v, want %v (pinned outcomes still count in metrics)", tc.outcome, got, tc.want)
			}
		})
	}
}
