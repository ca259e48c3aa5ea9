package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// chaosAutoPair is chaosPair with the default first_token_timeout (auto),
// scaled down: a 200 ms floor, 1 s per 1000 prompt tokens, a 10 s cold
// start and ceiling, trusted after 5 observations.
const chaosAutoPair = `
models:
  - name: chaos
    attempts: 3
    attempt_timeout: 5s
    stall_timeout: 5s
    first_token_auto:
      floor: 200ms
      ceiling: 10s
      cold_start: 10s
      factor: 4
      per_1k_prompt_tokens: 1s
      min_samples: 5
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

// TestChaosAdaptiveFirstToken: with first_token_timeout: auto (the
// default) a deployment that has a normal time-to-first-token history and
// then sits silent is abandoned after a small multiple of its own p99, long
// before its first token would come (20 s) and long before a fixed 30 s,
// since nothing has reached the client yet and failing over is free. A long
// prompt gets a longer allowance; the status view shows each bound.
func TestChaosAdaptiveFirstToken(t *testing.T) {
	t.Parallel()
	env := Start(t, chaosAutoPair)
	bound := func(dep string) (float64, string) {
		d := chaosGetStatus(t, env)[dep]
		return d["first_token_timeout_seconds"].(float64), d["first_token_timeout_mode"].(string)
	}
	// No history yet: the cold-start bound.
	if b, mode := bound("primary"); b != 10 || mode != "auto" {
		t.Fatalf("cold bound %v (%s), want 10s auto", b, mode)
	}
	// A normal history: a few quick streams served by the primary.
	for i := range 5 {
		if r := chaosPost(t, env, chaosCall{stream: true}); r.status != http.StatusOK || r.header.Get("X-Windrose-Deployment") != "primary" {
			t.Fatalf("warm-up %d: %d from %q", i, r.status, r.header.Get("X-Windrose-Deployment"))
		}
	}
	st := chaosGetStatus(t, env)["primary"]
	if st["ttft_samples"].(float64) != 5 || st["ttft_p95_seconds"].(float64) <= 0 || st["ttft_p50_seconds"].(float64) <= 0 {
		t.Errorf("primary status %v: want 5 TTFT samples with p50 and p95", st)
	}
	// Loopback TTFTs are milliseconds (more on a loaded -race run), so the
	// bound is the 200 ms floor or 4×p99, far below the cold 10 s. The
	// checks below are relative to it, so they hold on a slow machine too.
	warm, _ := bound("primary")
	if p95 := st["ttft_p95_seconds"].(float64); warm < 0.2 || warm < 4*p95 || warm > 2 {
		t.Fatalf("warm bound %vs, want max(0.2s, 4×p99) with p95 %vs, and far below the cold 10s", warm, p95)
	}
	wait := func(d float64) time.Duration { return time.Duration(d * float64(time.Second)) }

	// The primary now takes 20 s to its first token.
	env.Emu("mistral").SetFaults(t, `{"first_token_delay":"20s"}`)
	start := time.Now()
	r := chaosPost(t, env, chaosCall{stream: true})
	took := time.Since(start)
	if r.status != http.StatusOK || r.header.Get("X-Windrose-Deployment") != "fallback" || r.sse == nil || !r.sse.done {
		t.Fatalf("silent primary: %d from %q, want a whole 200 stream from fallback", r.status, r.header.Get("X-Windrose-Deployment"))
	}
	if took > wait(warm)+2*time.Second {
		t.Errorf("failover took %v; the primary's bound is %vs", took, warm)
	}
	chaosMetrics(t, env, map[string]float64{
		"windrose_upstream_requests_total{deployment=primary,outcome=timeout}": 1,
		"windrose_failovers_total{reason=timeout}":                             1,
	})

	// A first token 700 ms past the bound: too slow for a short prompt...
	slow := wait(warm) + 700*time.Millisecond
	env.Emu("mistral").SetFaults(t, `{"first_token_delay":"`+slow.String()+`"}`)
	if r := chaosPost(t, env, chaosCall{stream: true}); r.header.Get("X-Windrose-Deployment") != "fallback" {
		t.Errorf("short prompt, %v first token: served by %q, want fallback", slow, r.header.Get("X-Windrose-Deployment"))
	}
	// ...but within the allowance of a ~2000-token prompt (+2 s).
	long := strings.Repeat("wind ", 1600)
	if r := chaosPost(t, env, chaosCall{stream: true, prompt: long}); r.status != http.StatusOK || r.header.Get("X-Windrose-Deployment") != "primary" {
		t.Errorf("long prompt, %v first token: %d from %q, want primary", slow, r.status, r.header.Get("X-Windrose-Deployment"))
	}
}
