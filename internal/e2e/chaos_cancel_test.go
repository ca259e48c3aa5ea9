package e2e

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/health"
)

// TestChaosClientGone checks that a client hanging up mid-stream is a 499
// that never counts against the provider: no failure, no failover, the
// breaker untouched, and the attempt counted once, as canceled.
func TestChaosClientGone(t *testing.T) {
	t.Parallel()
	// One failure would open the breaker, so a cancel wrongly counted as
	// the provider's failure shows in the state gauge.
	env := Start(t, chaosPair, chaosGateway(nil, health.BreakerConfig{ConsecutiveFailures: 1, OpenFor: time.Hour}, 8))
	env.Emu("mistral").SetFaults(t, `{"chunk_delay":"50ms"}`)

	ctx, cancel := context.WithTimeout(t.Context(), chaosClientWait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, env.URL+"/v1/chat/completions",
		strings.NewReader(chaosBody(chaosCall{stream: true})))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	// Read up to the first content, then hang up with the answer half sent.
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && !strings.Contains(sc.Text(), `"content":"You"`) {
	}
	cancel()
	resp.Body.Close()

	// The gateway notices the hang-up on its own time; wait for its verdict.
	deadline := time.Now().Add(chaosClientWait)
	for env.Metric(t, "windrose_requests_total", map[string]string{"code": "499"}) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	chaosMetrics(t, env, map[string]float64{
		"windrose_requests_total{code=499}":                                     1,
		"windrose_requests_total":                                               1,
		"windrose_upstream_requests_total{deployment=primary,outcome=canceled}": 1,
		"windrose_upstream_requests_total":                                      1,
		"windrose_attempts_total{deployment=primary,result=canceled}":           1,
		"windrose_attempts_total{deployment=primary,result=success}":            0,
		"windrose_attempts_total":                                               1,
		"windrose_failovers_total":                                              0,
		"windrose_deployment_state{deployment=primary}":                         float64(health.Closed),
	})
	if n := env.Emu("openrouter").Requests(t); n != 0 {
		t.Errorf("fallback saw %d requests after the client left, want 0", n)
	}
}
