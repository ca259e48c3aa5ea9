package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/health"
)

// chaosStep is one request of a scripted scenario on chaosPair: first set
// the primary's faults (when faults is not empty; "{}" clears them) and
// move the clock, then send the request and check who answered.
type chaosStep struct {
	name       string
	faults     string
	advance    time.Duration
	stream     bool
	deployment string // who must answer (every step expects a 200)
	attempts   int
	calls      int // the primary's upstream requests so far
	state      health.State
}

// runSteps plays steps in order on env, stopping at the first step whose
// answer is wrong: later steps depend on the state it should have left.
func runSteps(t *testing.T, env *Env, clk *chaosClock, steps []chaosStep) {
	t.Helper()
	for i, s := range steps {
		if s.faults != "" {
			env.Emu("mistral").SetFaults(t, s.faults)
		}
		clk.Advance(s.advance)
		r := chaosPost(t, env, chaosCall{stream: s.stream})
		type view struct {
			Status, Attempts, Calls int
			Deployment              string
			State                   health.State
		}
		got := view{r.status, chaosAttempts(r.header), env.Emu("mistral").Requests(t),
			r.header.Get("X-Windrose-Deployment"),
			health.State(env.Metric(t, "windrose_deployment_state", map[string]string{"deployment": "primary"}))}
		want := view{http.StatusOK, s.attempts, s.calls, s.deployment, s.state}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("step %d (%s) (-want +got):\n%s", i, s.name, diff)
		}
		if r.sse != nil {
			chaosCheckEnd(t, r.sse, false, "")
		}
	}
}

// TestChaosRetryAfter checks that a 429's Retry-After is honoured: the
// primary gets no traffic while it asked us to wait, and gets it back after.
//
// chaosClock is the wall clock plus the test's advances, so real time
// spent between steps only ever moves the clock further. A step that must
// still be inside the wait therefore sits 30s before its end, more than any
// loaded runner takes between two requests (the client gives up after 10s);
// the step after the wait is past it however slow the run.
func TestChaosRetryAfter(t *testing.T) {
	t.Parallel()
	clk := &chaosClock{}
	env := Start(t, chaosPair, chaosGateway(clk, health.BreakerConfig{}, 1))
	runSteps(t, env, clk, []chaosStep{
		// The 429 is hidden by the fallback, and parks the primary for 60s.
		{name: "429 fails over", faults: `{"status":429,"retry_after":60}`, deployment: "fallback", attempts: 2, calls: 1},
		// During the wait the primary is not even tried: calling it would
		// only earn another 429 and annoy the provider.
		{name: "cooldown honoured", stream: true, deployment: "fallback", attempts: 1, calls: 1},
		{name: "cooldown honoured later", advance: 30 * time.Second, deployment: "fallback", attempts: 1, calls: 1},
		// Once the wait is over, traffic returns to the tier-0 deployment.
		{name: "traffic returns", faults: "{}", advance: 31 * time.Second, stream: true,
			deployment: "primary", attempts: 1, calls: 2},
	})
	chaosMetrics(t, env, map[string]float64{
		"windrose_cooldowns_total{deployment=primary}":  1,
		"windrose_cooldowns_total":                      1,
		"windrose_failovers_total{reason=rate_limited}": 1,
		"windrose_failovers_total":                      1,
	})
}

// TestChaosFlappingPrimary checks that a primary that goes down, up, down
// and up again is cut off while down and gets its traffic back each time it
// recovers, with the state gauge following.
//
// OpenFor is a minute so that the real time between two steps (which
// chaosClock adds to the advances) can never end an open period early;
// each probe step advances a whole OpenFor, so it is due however slow the
// run.
func TestChaosFlappingPrimary(t *testing.T) {
	t.Parallel()
	clk := &chaosClock{}
	open := time.Minute
	env := Start(t, chaosPair, chaosGateway(clk, health.BreakerConfig{ConsecutiveFailures: 2, OpenFor: open}, 2))
	down, up := `{"status":503}`, "{}"
	runSteps(t, env, clk, []chaosStep{
		{name: "first failure fails over", faults: down, deployment: "fallback", attempts: 2, calls: 1},
		// The second failure in a row opens the breaker.
		{name: "breaker opens", stream: true, deployment: "fallback", attempts: 2, calls: 2, state: health.Open},
		// While open, the primary costs the client nothing.
		{name: "open: primary skipped", deployment: "fallback", attempts: 1, calls: 2, state: health.Open},
		// One probe after OpenFor; it fails, so the breaker opens again.
		{name: "failed probe reopens", advance: open, stream: true, deployment: "fallback", attempts: 2, calls: 3, state: health.Open},
		// Recovered but OpenFor restarted at the failed probe: still skipped.
		{name: "recovered, still open", faults: up, deployment: "fallback", attempts: 1, calls: 3, state: health.Open},
		// The next probe succeeds and the primary takes its traffic back.
		{name: "probe closes", advance: open, stream: true, deployment: "primary", attempts: 1, calls: 4},
		{name: "traffic is back", deployment: "primary", attempts: 1, calls: 5},
		// It flaps again: the breaker history was reset when it closed, so
		// it again takes two failures to open.
		{name: "down again", faults: down, stream: true, deployment: "fallback", attempts: 2, calls: 6},
		{name: "opens again", deployment: "fallback", attempts: 2, calls: 7, state: health.Open},
		{name: "back again", faults: up, advance: open, stream: true, deployment: "primary", attempts: 1, calls: 8},
	})
	chaosMetrics(t, env, map[string]float64{
		"windrose_failovers_total{reason=overloaded}":                    5,
		"windrose_attempts_total{deployment=primary,result=failed_over}": 5,
		"windrose_attempts_total{deployment=primary,result=success}":     3,
		"windrose_attempts_total{deployment=fallback,result=success}":    7,
		"windrose_upstream_requests_total{deployment=primary}":           8,
	})
}

// TestChaosPersistentFailure checks that a primary failing every request is
// cut off by its breaker after ConsecutiveFailures, whatever the failure,
// while every client request still succeeds.
func TestChaosPersistentFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, faults, reason string
	}{
		// Throttling without a Retry-After: only the breaker stops the hammering.
		{"persistent 429", `{"status":429}`, "rate_limited"},
		// The classic outage.
		{"persistent 503", `{"status":503}`, "overloaded"},
		// A crashing backend.
		{"persistent 500", `{"status":500}`, "upstream"},
		// A load balancer resetting every connection.
		{"persistent reset", `{"cut_after":0}`, "upstream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := Start(t, chaosPair, chaosGateway(nil, health.BreakerConfig{ConsecutiveFailures: 3, OpenFor: time.Hour}, 3))
			env.Emu("mistral").SetFaults(t, tt.faults)
			var attempts []int
			for i := range 6 {
				r := chaosPost(t, env, chaosCall{stream: i%2 == 1})
				if r.status != http.StatusOK || r.header.Get("X-Windrose-Deployment") != "fallback" {
					t.Fatalf("request %d: %d from %q, want 200 from the fallback; body %s",
						i, r.status, r.header.Get("X-Windrose-Deployment"), r.body)
				}
				attempts = append(attempts, chaosAttempts(r.header))
			}
			if diff := cmp.Diff([]int{2, 2, 2, 1, 1, 1}, attempts); diff != "" {
				t.Errorf("X-Windrose-Attempts per request (-want +got):\n%s", diff)
			}
			if n := env.Emu("mistral").Requests(t); n != 3 {
				t.Errorf("primary saw %d requests, want 3 (then the breaker opens)", n)
			}
			chaosMetrics(t, env, map[string]float64{
				"windrose_deployment_state{deployment=primary}":                  float64(health.Open),
				"windrose_deployment_state{deployment=fallback}":                 float64(health.Closed),
				"windrose_failovers_total{reason=" + tt.reason + "}":             3,
				"windrose_failovers_total":                                       3,
				"windrose_attempts_total{deployment=primary,result=failed_over}": 3,
				"windrose_attempts_total{deployment=fallback,result=success}":    6,
				"windrose_attempts_total":                                        9,
				"windrose_requests_total{code=200}":                              6,
			})
		})
	}
}

// TestChaosAllRateLimited checks the persistent 429 everywhere: a clear
// 429 with Retry-After, then, while every deployment cools down, a 429 at
// once with no upstream call.
func TestChaosAllRateLimited(t *testing.T) {
	t.Parallel()
	env := Start(t, chaosPair)
	for _, emu := range []string{"mistral", "openrouter"} {
		env.Emu(emu).SetFaults(t, `{"status":429,"retry_after":7}`)
	}
	for i, stream := range []bool{false, true} {
		r := chaosPost(t, env, chaosCall{stream: stream})
		if r.status != http.StatusTooManyRequests || r.err.Type != "rate_limit_error" {
			t.Fatalf("request %d: %d %s, want 429 rate_limit_error", i, r.status, r.body)
		}
		ra, err := strconv.Atoi(r.header.Get("Retry-After"))
		if err != nil || ra < 1 || ra > 7 {
			t.Errorf("request %d: Retry-After %q, want 1..7 seconds", i, r.header.Get("Retry-After"))
		}
	}
	if diff := cmp.Diff(map[string]int{"mistral": 1, "openrouter": 1}, chaosCalls(t, env, "mistral", "openrouter")); diff != "" {
		t.Errorf("upstream requests (-want +got):\n%s", diff)
	}
	chaosMetrics(t, env, map[string]float64{
		"windrose_cooldowns_total":                                       2,
		"windrose_attempts_total{deployment=primary,result=failed_over}": 1,
		"windrose_attempts_total{deployment=fallback,result=failed}":     1,
		"windrose_attempts_total":                                        2,
		"windrose_requests_total{code=429}":                              2,
	})
}

// TestChaosAllDown checks that when every deployment fails the client gets
// a clear error in OpenAI's envelope after a bounded number of attempts
// (the client's own 10 s timeout catches a hang), never a 200 or a hang.
func TestChaosAllDown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, faults, errType, kind string
		status                      int
	}{
		// Everything overloaded: a 503 that says so.
		{"all 503", `{"status":503}`, "service_unavailable_error", "overloaded", 503},
		// Every connection reset: a 502, the gateway's upstreams are broken.
		{"all reset", `{"cut_after":0}`, "service_unavailable_error", "upstream", 502},
		// Nobody answers: a 504 after the attempt timeouts, not a hang.
		{"all silent", `{"stall_after":0}`, "timeout_error", "timeout", 504},
	}
	for _, tt := range tests {
		for _, stream := range chatAndStream {
			t.Run(fmt.Sprintf("%s/stream=%v", tt.name, stream), func(t *testing.T) {
				t.Parallel()
				env := Start(t, chaosPair, chaosGateway(nil, health.BreakerConfig{}, 4))
				for _, emu := range []string{"mistral", "openrouter"} {
					env.Emu(emu).SetFaults(t, tt.faults)
				}
				r := chaosPost(t, env, chaosCall{stream: stream})
				if r.status != tt.status || r.err.Type != tt.errType {
					t.Fatalf("%d %s, want %d %s", r.status, r.body, tt.status, tt.errType)
				}
				// attempts: 3 is primary, fallback, then the fallback again
				// after a backoff (no deployment is left to fail over to).
				if diff := cmp.Diff(map[string]int{"mistral": 1, "openrouter": 2}, chaosCalls(t, env, "mistral", "openrouter")); diff != "" {
					t.Errorf("upstream requests (-want +got):\n%s", diff)
				}
				chaosMetrics(t, env, map[string]float64{
					"windrose_attempts_total{deployment=primary,result=failed_over}": 1,
					"windrose_attempts_total{deployment=fallback,result=retried}":    1,
					"windrose_attempts_total{deployment=fallback,result=failed}":     1,
					"windrose_attempts_total":                                        3,
					"windrose_failovers_total{reason=" + tt.kind + "}":               1,
					"windrose_upstream_requests_total{outcome=" + tt.kind + "}":      3,
					"windrose_upstream_requests_total":                               3,
				})
			})
		}
	}
}

// TestChaosAllDownBreakersOpen checks the end state of an outage: once
// every breaker is open the gateway answers 503 at once, says why, and
// sends nothing upstream.
func TestChaosAllDownBreakersOpen(t *testing.T) {
	t.Parallel()
	env := Start(t, chaosPair, chaosGateway(nil, health.BreakerConfig{ConsecutiveFailures: 2, OpenFor: time.Hour}, 5))
	for _, emu := range []string{"mistral", "openrouter"} {
		env.Emu(emu).SetFaults(t, `{"status":503}`)
	}
	// The first request fails the primary once and the fallback twice (a
	// failover, then a retry): the fallback's breaker opens. The second is
	// planned on the primary alone, whose second failure opens its breaker
	// too, which then refuses the retry.
	for i := range 2 {
		if r := chaosPost(t, env, chaosCall{}); r.status != http.StatusServiceUnavailable {
			t.Fatalf("request %d: %d %s, want 503", i, r.status, r.body)
		}
	}
	before := chaosCalls(t, env, "mistral", "openrouter")
	if diff := cmp.Diff(map[string]int{"mistral": 2, "openrouter": 2}, before); diff != "" {
		t.Errorf("upstream requests while the breakers opened (-want +got):\n%s", diff)
	}
	for _, stream := range chatAndStream {
		r := chaosPost(t, env, chaosCall{stream: stream})
		if r.status != http.StatusServiceUnavailable || r.err.Type != "service_unavailable_error" ||
			r.err.code() != "no_healthy_deployment" || !strings.Contains(r.err.Message, "failing or cooling down") {
			t.Errorf("stream=%v: %d %s, want 503 no_healthy_deployment saying why", stream, r.status, r.body)
		}
	}
	if diff := cmp.Diff(before, chaosCalls(t, env, "mistral", "openrouter")); diff != "" {
		t.Errorf("upstream requests with every breaker open (-before +after):\n%s", diff)
	}
	chaosMetrics(t, env, map[string]float64{
		"windrose_deployment_state{deployment=primary}":  float64(health.Open),
		"windrose_deployment_state{deployment=fallback}": float64(health.Open),
		"windrose_requests_total{code=503}":              4,
	})
}
