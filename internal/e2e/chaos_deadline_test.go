package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// chaosDeadlinePair is chaosPair with a short request deadline and generous
// per-attempt bounds, so the request deadline is what fires. The deadline
// is 2s, not less: the stream-after-commit case needs its first content
// chunk well before it even on a loaded -race runner.
const chaosDeadlinePair = `
server:
  request_timeout: 2s
models:
  - name: chaos
    attempts: 3
    attempt_timeout: 5s
    first_token_timeout: 5s
    stall_timeout: 5s
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

// chaosLogs gives the gateway an observed logger and returns its entries.
func chaosLogs() (Option, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return WithLogger(zap.New(core)), logs
}

// chaosAccess returns the access-log lines' fields.
func chaosAccess(logs *observer.ObservedLogs) []map[string]any {
	var out []map[string]any
	for _, e := range logs.FilterMessage("access").All() {
		out = append(out, e.ContextMap())
	}
	return out
}

// TestChaosDeadlineIsTimeout: windrose's own request deadline is a Timeout
// (504 in OpenAI's envelope before commit, the SSE error event after),
// never a client cancel: not 499, not an empty 200, not "canceled" in the
// metrics or the access log.
func TestChaosDeadlineIsTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		stream bool
		faults string
		// committed: the deadline passes after content reached the client.
		committed bool
	}{
		// A first token slower than the whole request deadline, non-stream:
		// the base answered 200 with an empty body.
		{name: "chat", faults: `{"first_token_delay":"30s"}`},
		// The same on a stream, before anything was sent: a 504, not a 499.
		{name: "stream before commit", stream: true, faults: `{"first_token_delay":"30s"}`},
		// Chunks flow slowly and the deadline passes mid-answer: an SSE
		// error event with the timeout, never a clean close. The role chunk
		// comes at once and "You" at 400ms, 1.6s before the deadline; the
		// whole answer would need at least 2.8s (a slow run only delays it).
		{name: "stream after commit", stream: true, faults: `{"chunk_delay":"400ms"}`, committed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			logOpt, logs := chaosLogs()
			env := Start(t, chaosDeadlinePair, logOpt)
			env.Emu("mistral").SetFaults(t, tc.faults)
			start := time.Now()
			r := chaosPost(t, env, chaosCall{stream: tc.stream})
			// The upstream would take 30s (2.8s after commit); the answer
			// must come at the 2s deadline, well before the client's 10s.
			if d := time.Since(start); d > 8*time.Second {
				t.Errorf("answer took %v; the request deadline is 2s", d)
			}
			status := http.StatusGatewayTimeout
			if tc.committed {
				status = http.StatusOK
				if r.status != http.StatusOK || r.sse == nil {
					t.Fatalf("status %d, want a committed 200 stream; body %s", r.status, r.body)
				}
				s := r.sse
				if s.done || s.errEvent == nil || s.errEvent.Type != "timeout_error" || s.errEvent.code() != "request_timeout" {
					t.Errorf("stream end: done=%v error=%+v; want an error event of type timeout_error, code request_timeout, no [DONE]", s.done, s.errEvent)
				}
				if !strings.HasPrefix(s.content, "You said") {
					t.Errorf("content %q: the client should hold the start of the answer", s.content)
				}
				if s.readErr == nil {
					t.Errorf("the connection closed cleanly after the error event; want it aborted")
				}
			} else if r.status != status || r.err == nil || r.err.Type != "timeout_error" || r.err.code() != "request_timeout" {
				t.Fatalf("status %d error %+v, want 504 timeout_error request_timeout; body %q", r.status, r.err, r.body)
			}
			if n := env.Emu("openrouter").Requests(t); n != 0 {
				t.Errorf("fallback got %d requests after the deadline", n)
			}
			chaosMetrics(t, env, map[string]float64{
				"windrose_requests_total{code=499}":                                     0,
				"windrose_requests_total{code=" + itoa(status) + "}":                    1,
				"windrose_upstream_requests_total{deployment=primary,outcome=timeout}":  1,
				"windrose_upstream_requests_total{deployment=primary,outcome=canceled}": 0,
				"windrose_attempts_total{deployment=primary,result=failed}":             1,
				"windrose_attempts_total{deployment=primary,result=canceled}":           0,
			})
			acc := chaosAccess(logs)
			if len(acc) != 1 || acc[0]["status"] != int64(status) || acc[0]["error_kind"] != "timeout" {
				t.Errorf("access log %v: want one line with status %d and error_kind timeout", acc, status)
			}
		})
	}
}

// TestChaosCutMessage: the error event after a mid-stream cut says what
// happened, after how many chunks, with the error kind, and the connection
// is aborted so parsers that ignore error events see an incomplete body.
func TestChaosCutMessage(t *testing.T) {
	t.Parallel()
	env := Start(t, chaosPair)
	env.Emu("mistral").SetFaults(t, `{"cut_after":3}`)
	r := chaosPost(t, env, chaosCall{stream: true})
	if r.status != http.StatusOK || r.sse == nil || r.sse.errEvent == nil {
		t.Fatalf("status %d: want a 200 stream ending in an error event; body %s", r.status, r.body)
	}
	e := r.sse.errEvent
	for _, want := range []string{`deployment "primary"`, "after 2 chunks without finishing", "error kind upstream", "closed the connection mid-stream"} {
		if !strings.Contains(e.Message, want) {
			t.Errorf("error message %q does not say %q", e.Message, want)
		}
	}
	if e.code() != "stream_upstream" {
		t.Errorf("error code %q, want stream_upstream", e.code())
	}
	if r.sse.readErr == nil {
		t.Errorf("connection closed cleanly after the error event; want it aborted")
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
