package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/health"
)

// chaosHedged is chaosPair with hedging on: a second attempt starts when
// the primary has sent no first token after 40ms, for every request.
const chaosHedged = `
models:
  - name: chaos
    attempts: 3
    first_token_timeout: 5s
    hedge: {after: 40ms, budget: 1}
    deployments:
      - name: primary
        provider: mistral
        model: mistral-medium-2508
        priority: 0
        base_url: ${EMU_MISTRAL_URL}
        api_key: ${EMU_API_KEY}
      - name: fallback
        provider: openrouter
        model: mistralai/mistral-medium-3.1
        priority: 1
        base_url: ${EMU_OPENROUTER_URL}
        api_key: ${EMU_API_KEY}
`

// TestChaosHedge checks hedged requests end to end: a primary that is slow
// to its first token loses to a hedge on the fallback, the client sees only
// the winner's answer well before the primary would have answered, the
// loser is cancelled and counted as hedge_lost, and its breaker is not
// blamed for losing a race.
func TestChaosHedge(t *testing.T) {
	for _, stream := range []bool{false, true} {
		name := map[bool]string{false: "chat", true: "stream"}[stream]
		t.Run(name, func(t *testing.T) {
			env := Start(t, chaosHedged, WithEnv("EMU_API_KEY", APIKey), chaosGateway(nil, health.BreakerConfig{}, 1))
			env.Emu("mistral").SetFaults(t, `{"first_token_delay":"3s"}`)
			start := time.Now()
			r := chaosPost(t, env, chaosCall{stream: stream})
			if took := time.Since(start); took > 2*time.Second {
				t.Fatalf("took %v: the hedge did not win", took)
			}
			if r.status != 200 || r.header.Get("X-Windrose-Deployment") != "fallback" || chaosAttempts(r.header) != 2 {
				t.Fatalf("status %d deployment %q attempts %d", r.status, r.header.Get("X-Windrose-Deployment"), chaosAttempts(r.header))
			}
			content := ""
			if stream {
				if !r.sse.done || r.sse.errEvent != nil {
					t.Fatalf("stream did not end cleanly: %+v", r.sse)
				}
				content = r.sse.content
			} else {
				content = r.answer.Choices[0].Message.Content
			}
			if !strings.Contains(content, "hello") {
				t.Fatalf("content %q", content)
			}
			// The loser is reaped in the background once cancelled.
			deadline := time.Now().Add(5 * time.Second)
			for env.Metric(t, "windrose_attempts_total", map[string]string{"deployment": "primary", "result": "hedge_lost"}) != 1 {
				if time.Now().After(deadline) {
					t.Fatal("the losing attempt was never counted as hedge_lost")
				}
				time.Sleep(20 * time.Millisecond)
			}
			chaosMetrics(t, env, map[string]float64{
				"windrose_attempts_total{deployment=fallback,result=hedge_won}":         1,
				"windrose_hedges_total{result=started}":                                 1,
				"windrose_hedges_total{result=won}":                                     1,
				"windrose_upstream_requests_total{deployment=primary,outcome=canceled}": 1,
			})
			if s := env.Gateway.Health.State("primary"); s != health.Closed {
				t.Fatalf("primary breaker %v after losing a race, want closed", s)
			}
		})
	}
}
