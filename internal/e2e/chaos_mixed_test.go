package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/health"
)

// chaosTrio is three deployments in one tier, equally weighted: two will be
// faulted, one stays healthy. attempts: 3 covers the whole plan, so a
// request can always reach the healthy one. Timeouts are generous here:
// this run is about failover under load, not about slow providers.
const chaosTrio = `
models:
  - name: chaos
    attempts: 3
    attempt_timeout: 5s
    first_token_timeout: 5s
    stall_timeout: 5s
    deployments:
      - name: a
        provider: mistral
        model: mistral-medium-2508
        base_url: ${EMU_MISTRAL_URL}
        api_key: ${EMU_API_KEY}
      - name: b
        provider: openrouter
        model: mistralai/mistral-medium-3.1
        base_url: ${EMU_OPENROUTER_URL}
        api_key: ${EMU_API_KEY}
      - name: c
        provider: mistral
        model: mistral-medium-2508
        base_url: ${EMU_MISTRAL_B_URL}
        api_key: ${EMU_API_KEY}
`

// chaosMixedPhases are the fault sets of deployments a and b, phase by
// phase: 30% of their requests fail with an error status, a reset
// connection, or a stream cut after the role chunk (before commit).
var chaosMixedPhases = []struct{ a, b string }{
	{`{"rate":0.3,"status":500}`, `{"rate":0.3,"status":503}`},
	{`{"rate":0.3,"status":429}`, `{"rate":0.3,"cut_after":1}`},
	{`{"rate":0.3,"cut_after":0}`, `{"rate":0.3,"status":500}`},
	{`{"rate":0.3,"cut_after":1}`, `{"rate":0.3,"status":429}`},
}

const (
	chaosMixedPerPhase = 500
	chaosMixedWorkers  = 16
)

// chaosTally is what the clients of the mixed run saw, added up.
type chaosTally struct {
	mu                  sync.Mutex
	requests            int
	byDeployment        map[string]int
	attempts            int // sum of X-Windrose-Attempts
	promptTok, complTok int // sum of the usage clients were given
	errors              int
	firstErrors         []string
}

// add records one answer, checking it is a complete, correct 200.
func (c *chaosTally) add(i int, stream bool, r *chaosReply, err error) {
	problem := chaosMixedProblem(i, stream, r, err)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests++
	if problem != "" {
		c.errors++
		if len(c.firstErrors) < 10 {
			c.firstErrors = append(c.firstErrors, problem)
		}
		return
	}
	c.byDeployment[r.header.Get("X-Windrose-Deployment")]++
	c.attempts += chaosAttempts(r.header)
	u := r.sse.usageOr(r.answer)
	c.promptTok += u.PromptTokens
	c.complTok += u.CompletionTokens
}

// chaosMixedProblem describes what is wrong with request i's answer, or
// returns "" for a complete 200 with the right content and usage.
func chaosMixedProblem(i int, stream bool, r *chaosReply, err error) string {
	want := fmt.Sprintf("You said: request %d — emulated reply.", i)
	switch {
	case err != nil:
		return fmt.Sprintf("request %d (stream=%v): %v", i, stream, err)
	case r.status != http.StatusOK:
		return fmt.Sprintf("request %d (stream=%v): %d %s", i, stream, r.status, r.body)
	case stream && (!r.sse.done || r.sse.errEvent != nil || r.sse.roles != 1 || r.sse.content != want ||
		r.sse.usage == nil || r.sse.readErr != nil || len(r.sse.problems) > 0):
		return fmt.Sprintf("request %d (stream): done %v, error %+v, %d roles, content %q, usage %v, read error %v, problems %q",
			i, r.sse.done, r.sse.errEvent, r.sse.roles, r.sse.content, r.sse.usage, r.sse.readErr, r.sse.problems)
	case !stream && (len(r.answer.Choices) != 1 || r.answer.Choices[0].Message.Content != want || r.answer.Usage == nil):
		return fmt.Sprintf("request %d (chat): answer %s", i, r.body)
	}
	return ""
}

// usageOr returns the stream's usage, or the answer's when s is nil.
func (s *chaosSSE) usageOr(a *chaosResp) chaosUsage {
	if s != nil {
		return *s.usage
	}
	return *a.Usage
}

// TestChaosMixedRun sends 2,000 requests, half streamed, from 16 clients at
// once while 30% of the requests to two of three deployments fail in
// changing ways. No client may see an error, and the metrics must add up to
// what the clients and the emulators saw: every attempt counted once, every
// failover explained, every token billed.
func TestChaosMixedRun(t *testing.T) {
	t.Parallel()
	env := Start(t, chaosTrio,
		WithEmulator("mistral", emukit.Options{Seed: 11}),
		WithEmulator("openrouter", emukit.Options{Seed: 22}),
		WithEmulator("mistral_b", emukit.Options{Seed: 33}),
		chaosGateway(nil, health.BreakerConfig{OpenFor: 100 * time.Millisecond}, 7))
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = chaosMixedWorkers
	client := &http.Client{Timeout: chaosClientWait, Transport: transport}
	t.Cleanup(client.CloseIdleConnections)

	tally := &chaosTally{byDeployment: map[string]int{}}
	for p, ph := range chaosMixedPhases {
		env.Emu("mistral").SetFaults(t, ph.a)
		env.Emu("openrouter").SetFaults(t, ph.b)
		chaosMixedPhase(t.Context(), client, env, p*chaosMixedPerPhase, tally)
	}
	for _, e := range tally.firstErrors {
		t.Error(e)
	}
	if tally.errors > 0 {
		t.Fatalf("%d of %d requests failed for the client", tally.errors, tally.requests)
	}
	chaosMixedMetrics(t, env, tally)
}

// chaosMixedPhase sends requests first..first+chaosMixedPerPhase-1 from
// chaosMixedWorkers goroutines; even ones are streamed.
func chaosMixedPhase(ctx context.Context, client *http.Client, env *Env, first int, tally *chaosTally) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range chaosMixedWorkers {
		wg.Go(func() {
			for i := range jobs {
				stream := i%2 == 0
				r, err := chaosSend(ctx, client, env, chaosCall{stream: stream, prompt: fmt.Sprintf("request %d", i)})
				tally.add(i, stream, r, err)
			}
		})
	}
	for i := first; i < first+chaosMixedPerPhase; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// chaosMixedMetrics checks that the metrics add up to what the clients and
// the emulators saw.
func chaosMixedMetrics(t *testing.T, env *Env, tally *chaosTally) {
	t.Helper()
	n := float64(tally.requests)
	failedOver := env.Metric(t, "windrose_attempts_total", map[string]string{"result": "failed_over"})
	retried := env.Metric(t, "windrose_attempts_total", map[string]string{"result": "retried"})
	upstream, faulted := 0.0, map[string]float64{}
	for _, emu := range []string{"mistral", "openrouter", "mistral_b"} {
		st := env.Emu(emu).Stats(t)
		upstream += st["requests"].(float64)
		faulted[emu] = st["faulted"].(float64)
	}
	// The faults must have fired, or this run proves nothing.
	if faulted["mistral"] == 0 || faulted["openrouter"] == 0 || failedOver < n/20 {
		t.Errorf("faults barely fired: faulted %v, %v failovers in %v requests", faulted, failedOver, n)
	}
	want := map[string]float64{
		// Every request succeeded, on the first try or after failing over.
		"windrose_requests_total{code=200}":                 n,
		"windrose_requests_total":                           n,
		"windrose_attempts_total{result=success}":           n,
		"windrose_upstream_requests_total{outcome=success}": n,
		"windrose_attempts_total{result=failed}":            0,
		// Each attempt has exactly one result, and each reached an emulator.
		"windrose_attempts_total":          float64(tally.attempts),
		"windrose_upstream_requests_total": upstream,
		// Each failover has a reason; each failed attempt was a fault.
		"windrose_failovers_total":                                 failedOver,
		"windrose_attempts_total{result=failed_over}":              faulted["mistral"] + faulted["openrouter"] - retried,
		"windrose_attempts_total{deployment=c,result=failed_over}": faulted["mistral_b"],
		// Tokens are the provider's numbers for the answers clients got.
		"windrose_tokens_total{type=input}":  float64(tally.promptTok),
		"windrose_tokens_total{type=output}": float64(tally.complTok),
	}
	for _, dep := range []string{"a", "b", "c"} {
		want["windrose_attempts_total{deployment="+dep+",result=success}"] = float64(tally.byDeployment[dep])
	}
	if float64(tally.attempts) != upstream {
		t.Errorf("clients were told of %d attempts, emulators received %v requests", tally.attempts, upstream)
	}
	chaosMetrics(t, env, want)
	t.Logf("%v requests, %v attempts, %v failovers, %v same-deployment retries, answered by %v",
		n, tally.attempts, failedOver, retried, tally.byDeployment)
}
