package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// chaosCase is one request through chaosPair with faults injected. The
// wanted headers and content apply to a 200; errType and errCode describe
// the error envelope of a non-200, or the in-band error event of a stream
// that broke after commit.
type chaosCase struct {
	name    string
	faults  map[string]string // deployment → fault set JSON
	streams []bool            // which modes to run: false chat, true stream
	opts    []Option
	prompt  string

	status     int
	deployment string // X-Windrose-Deployment of a 200
	attempts   int    // X-Windrose-Attempts of a 200
	content    string // what the client read; default chaosHello
	inBand     bool   // a 200 stream that must end with an error event, no [DONE]
	errType    string
	errCode    string
	errSays    string         // a phrase the error message must contain
	calls      map[string]int // deployment → upstream requests
	metrics    map[string]float64
}

var (
	chatAndStream = []bool{false, true}
	streamOnly    = []bool{true}
)

// chaosServed is the metric picture of one attempt that succeeded on dep.
func chaosServed(dep string) map[string]float64 {
	return map[string]float64{
		"windrose_attempts_total": 1,
		"windrose_attempts_total{deployment=" + dep + ",result=success}":           1,
		"windrose_failovers_total":                                                 0,
		"windrose_upstream_requests_total":                                         1,
		"windrose_upstream_requests_total{deployment=" + dep + ",outcome=success}": 1,
		"windrose_tokens_total{deployment=" + dep + ",type=input}":                 chaosHelloIn,
		"windrose_tokens_total{deployment=" + dep + ",type=output}":                chaosHelloOut,
		"windrose_tokens_total":                                                    chaosHelloIn + chaosHelloOut,
		"windrose_cooldowns_total":                                                 0,
	}
}

// chaosFailedOver is the picture of a primary that failed with kind and a
// fallback that answered: one failover, nothing billed to the primary.
func chaosFailedOver(kind string) map[string]float64 {
	return map[string]float64{
		"windrose_attempts_total": 2,
		"windrose_attempts_total{deployment=primary,result=failed_over}":            1,
		"windrose_attempts_total{deployment=fallback,result=success}":               1,
		"windrose_failovers_total":                                                  1,
		"windrose_failovers_total{reason=" + kind + "}":                             1,
		"windrose_upstream_requests_total":                                          2,
		"windrose_upstream_requests_total{deployment=primary,outcome=" + kind + "}": 1,
		"windrose_upstream_requests_total{deployment=fallback,outcome=success}":     1,
		"windrose_tokens_total{deployment=primary}":                                 0,
		"windrose_tokens_total{deployment=fallback,type=input}":                     chaosHelloIn,
		"windrose_tokens_total{deployment=fallback,type=output}":                    chaosHelloOut,
	}
}

// chaosBroken is the picture of a primary stream that broke with kind
// after commit: one attempt with one result, failed (a broken stream is
// not also a success), no failover, tokens as reported.
func chaosBroken(kind string, tokens float64) map[string]float64 {
	return map[string]float64{
		"windrose_attempts_total":                                                   1,
		"windrose_attempts_total{deployment=primary,result=failed}":                 1,
		"windrose_attempts_total{deployment=primary,result=success}":                0,
		"windrose_failovers_total":                                                  0,
		"windrose_upstream_requests_total":                                          1,
		"windrose_upstream_requests_total{deployment=primary,outcome=" + kind + "}": 1,
		"windrose_tokens_total":                                                     tokens,
	}
}

// chaosRefused is the picture of a request the primary refused as invalid:
// one failed attempt, no failover, the breaker untouched.
func chaosRefused() map[string]float64 {
	return map[string]float64{
		"windrose_attempts_total":                                                      1,
		"windrose_attempts_total{deployment=primary,result=failed}":                    1,
		"windrose_failovers_total":                                                     0,
		"windrose_upstream_requests_total":                                             1,
		"windrose_upstream_requests_total{deployment=primary,outcome=invalid_request}": 1,
		"windrose_deployment_state{deployment=primary}":                                0,
	}
}

// chaosRejectedByFallback is the picture of a primary that failed over
// (503) to a fallback that then refused with outcome.
func chaosRejectedByFallback(outcome string) map[string]float64 {
	return map[string]float64{
		"windrose_attempts_total": 2,
		"windrose_attempts_total{deployment=primary,result=failed_over}":                1,
		"windrose_attempts_total{deployment=fallback,result=failed}":                    1,
		"windrose_failovers_total":                                                      1,
		"windrose_failovers_total{reason=overloaded}":                                   1,
		"windrose_upstream_requests_total{deployment=primary,outcome=overloaded}":       1,
		"windrose_upstream_requests_total{deployment=fallback,outcome=" + outcome + "}": 1,
	}
}

var (
	callsPrimary = map[string]int{"primary": 1, "fallback": 0}
	callsBoth    = map[string]int{"primary": 1, "fallback": 1}
)

// chaosFailoverCases are the single-request faults of issue 3.
var chaosFailoverCases = []chaosCase{
	// The textbook failover: an overloaded primary is invisible to the client.
	{name: "503 on primary", faults: map[string]string{"primary": `{"status":503}`}, streams: chatAndStream,
		status: 200, deployment: "fallback", attempts: 2, calls: callsBoth, metrics: chaosFailedOver("overloaded")},
	// A 5xx without a body the gateway understands is an upstream failure.
	{name: "500 on primary", faults: map[string]string{"primary": `{"status":500}`}, streams: chatAndStream,
		status: 200, deployment: "fallback", attempts: 2, calls: callsBoth, metrics: chaosFailedOver("upstream")},
	// A 429 with Retry-After moves on at once rather than spending the
	// client's time waiting, and parks the primary for the time it asked.
	{name: "429 with Retry-After on primary", faults: map[string]string{"primary": `{"status":429,"retry_after":30}`},
		streams: chatAndStream, status: 200, deployment: "fallback", attempts: 2, calls: callsBoth,
		metrics: chaosMerge(chaosFailedOver("rate_limited"), map[string]float64{
			"windrose_cooldowns_total{deployment=primary}": 1, "windrose_cooldowns_total": 1})},
	// A connection dropped before the answer (a reset, a crashed pod) is an
	// upstream failure like a 5xx, on a stream as on a plain call.
	{name: "connection reset", faults: map[string]string{"primary": `{"cut_after":0}`}, streams: chatAndStream,
		status: 200, deployment: "fallback", attempts: 2, calls: callsBoth, metrics: chaosFailedOver("upstream")},
	// A provider that takes the request and then says nothing must cost one
	// attempt timeout (first-token timeout on a stream), not the client's
	// whole deadline.
	{name: "no response at all", faults: map[string]string{"primary": `{"stall_after":0}`}, streams: chatAndStream,
		status: 200, deployment: "fallback", attempts: 2, calls: callsBoth, metrics: chaosFailedOver("timeout")},
	// A first token slower than the timeout is given up on and retried
	// elsewhere before the client sees anything.
	{name: "slow first token", faults: map[string]string{"primary": `{"first_token_delay":"5s"}`}, streams: chatAndStream,
		status: 200, deployment: "fallback", attempts: 2, calls: callsBoth, metrics: chaosFailedOver("timeout")},
	// A first token that is slow but inside the timeout must not fail over:
	// the timeout is a bound, not a race.
	{name: "slow first token within the timeout", faults: map[string]string{"primary": `{"first_token_delay":"30ms"}`},
		streams: chatAndStream, status: 200, deployment: "primary", attempts: 1, calls: callsPrimary,
		metrics: chaosServed("primary")},
	// A stream cut after its role chunk has sent the client nothing yet: it
	// fails over, and the client gets one role chunk, only the fallback's
	// content and a normal [DONE].
	{name: "stream cut before commit", faults: map[string]string{"primary": `{"cut_after":1}`}, streams: streamOnly,
		status: 200, deployment: "fallback", attempts: 2, calls: callsBoth, metrics: chaosFailedOver("upstream")},
	// A malformed chunk before any content is just as invisible.
	{name: "malformed chunk before commit", faults: map[string]string{"primary": `{"malformed_after":1}`}, streams: streamOnly,
		status: 200, deployment: "fallback", attempts: 2, calls: callsBoth, metrics: chaosFailedOver("upstream")},
	// After content reached the client nothing is retried: the stream ends
	// with an in-band error and no [DONE], so no client takes half an
	// answer for a whole one.
	{name: "stream cut after commit", faults: map[string]string{"primary": `{"cut_after":3}`}, streams: streamOnly,
		status: 200, deployment: "primary", attempts: 1, content: "You said:", inBand: true,
		errType: "service_unavailable_error", calls: callsPrimary, metrics: chaosBroken("upstream", 0)},
	// A stream that stops but keeps its connection open is ended by the
	// stall timeout, with an in-band timeout error.
	{name: "stall mid-stream", faults: map[string]string{"primary": `{"stall_after":3}`}, streams: streamOnly,
		status: 200, deployment: "primary", attempts: 1, content: "You said:", inBand: true,
		errType: "timeout_error", calls: callsPrimary, metrics: chaosBroken("timeout", 0)},
	// A malformed chunk mid-answer ends the stream with an error; skipping
	// the line would hand the client a silently damaged answer.
	{name: "malformed chunk after commit", faults: map[string]string{"primary": `{"malformed_after":3}`}, streams: streamOnly,
		status: 200, deployment: "primary", attempts: 1, content: "You said:", inBand: true,
		errType: "service_unavailable_error", calls: callsPrimary, metrics: chaosBroken("upstream", 0)},
	// A stream that sent its content and finish reason and then closed
	// cleanly without the terminator is complete (some OpenAI-compatible
	// servers and proxies omit it): the client gets the finish, the usage
	// and a [DONE], and the attempt is a success.
	{name: "missing terminator", faults: map[string]string{"primary": `{"no_done":true}`}, streams: streamOnly,
		status: 200, deployment: "primary", attempts: 1, content: chaosHello, calls: callsPrimary,
		metrics: chaosServed("primary")},
	// A context-length 400 would fail the same way everywhere: no failover,
	// and the client gets the provider's error with OpenAI's code.
	{name: "context length 400", faults: map[string]string{"primary": `{"error_kind":"context_length"}`},
		streams: chatAndStream, status: 400, errType: "invalid_request_error", errCode: "context_length_exceeded",
		errSays: "context length", calls: callsPrimary, metrics: chaosRefused()},
	// The same, caused for real: a prompt over a small context window on the
	// primary must not be shipped to a fallback with a bigger one.
	{name: "context length 400 for real", streams: chatAndStream, prompt: strings.Repeat("word ", 60),
		opts:   []Option{WithEmulator("mistral", emukit.Options{ContextTokens: 32})},
		status: 400, errType: "invalid_request_error", errCode: "context_length_exceeded",
		errSays: "context length", calls: callsPrimary, metrics: chaosRefused()},
	// A content filter judges the request, not the provider: no failover.
	{name: "content filter 400", faults: map[string]string{"primary": `{"error_kind":"content_filter"}`},
		streams: chatAndStream, status: 400, errType: "invalid_request_error", calls: callsPrimary, metrics: chaosRefused()},
	// The primary is down and the fallback refuses the request (a moderation
	// flag): the client must see the refusal, not the primary's 503.
	{name: "fallback rejects the request", streams: chatAndStream,
		faults: map[string]string{"primary": `{"status":503}`, "fallback": `{"error_kind":"content_filter"}`},
		status: 400, errType: "invalid_request_error", errCode: "content_filter", calls: callsBoth,
		metrics: chaosRejectedByFallback("invalid_request")},
	// The fallback rejects the gateway's own key: a 502 naming that, never a
	// 401 that would blame the client's key.
	{name: "fallback rejects the gateway key", streams: chatAndStream,
		faults: map[string]string{"primary": `{"status":503}`, "fallback": `{"error_kind":"auth"}`},
		status: 502, errType: "service_unavailable_error", errCode: "upstream_auth_failed", errSays: "credentials", calls: callsBoth,
		metrics: chaosRejectedByFallback("auth")},
}

// TestChaosFailover sends one request per case through the real gateway to
// faulted emulators and checks what the client saw, what each emulator
// received and what the metrics say.
func TestChaosFailover(t *testing.T) {
	t.Parallel()
	for _, tc := range chaosFailoverCases {
		for _, stream := range tc.streams {
			mode := "chat"
			if stream {
				mode = "stream"
			}
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				env := Start(t, chaosPair, tc.opts...)
				for dep, f := range tc.faults {
					env.Emu(chaosEmuOf[dep]).SetFaults(t, f)
				}
				r := chaosPost(t, env, chaosCall{stream: stream, prompt: tc.prompt})
				tc.check(t, r)
				calls := map[string]int{}
				for dep, emu := range chaosEmuOf {
					calls[dep] = env.Emu(emu).Requests(t)
				}
				if diff := cmp.Diff(tc.calls, calls); diff != "" {
					t.Errorf("upstream requests per deployment (-want +got):\n%s", diff)
				}
				chaosMetrics(t, env, tc.metrics)
			})
		}
	}
}

// check asserts the client's view of one answer.
func (tc *chaosCase) check(t *testing.T, r *chaosReply) {
	t.Helper()
	if r.status != tc.status {
		t.Fatalf("status %d, want %d; body %s", r.status, tc.status, r.body)
	}
	if tc.status != http.StatusOK {
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("error Content-Type %q, want application/json", ct)
		}
		if r.err.Type != tc.errType || r.err.code() != tc.errCode || !strings.Contains(r.err.Message, tc.errSays) {
			t.Errorf("error type %q code %q, want %q and %q and a message saying %q (%s)",
				r.err.Type, r.err.code(), tc.errType, tc.errCode, tc.errSays, r.body)
		}
		return
	}
	got := [2]any{r.header.Get("X-Windrose-Deployment"), chaosAttempts(r.header)}
	if want := [2]any{tc.deployment, tc.attempts}; got != want {
		t.Errorf("X-Windrose-Deployment, X-Windrose-Attempts = %v, want %v", got, want)
	}
	prefix := chaosIDPrefix[chaosEmuOf[tc.deployment]]
	if r.sse == nil {
		chaosCheckAnswer(t, r.answer, prefix)
		return
	}
	content := tc.content
	if content == "" {
		content = chaosHello
	}
	chaosCheckStream(t, r.sse, content, prefix)
	chaosCheckEnd(t, r.sse, tc.inBand, tc.errType)
}

// chaosCheckAnswer checks a complete non-streamed answer from the emulator
// whose ids start with prefix.
func chaosCheckAnswer(t *testing.T, a *chaosResp, prefix string) {
	t.Helper()
	if !strings.HasPrefix(a.ID, prefix) || len(a.Choices) != 1 || a.Choices[0].Message.Content != chaosHello ||
		a.Usage == nil || *a.Usage != (chaosUsage{chaosHelloIn, chaosHelloOut}) {
		t.Errorf("answer %+v: want id %s…, content %q and usage %d+%d", a, prefix, chaosHello, chaosHelloIn, chaosHelloOut)
	}
}

// chaosCheckStream checks that a stream carried one role chunk and only
// content from the deployment whose ids start with prefix: a failover
// before commit must leave no trace of the failed attempt.
func chaosCheckStream(t *testing.T, s *chaosSSE, content, prefix string) {
	t.Helper()
	if len(s.problems) > 0 {
		t.Errorf("bad events: %q", s.problems)
	}
	if s.content != content || s.roles != 1 {
		t.Errorf("stream content %q with %d role chunks, want %q with 1", s.content, s.roles, content)
	}
	for _, id := range s.ids {
		if !strings.HasPrefix(id, prefix) {
			t.Errorf("chunk id %q is not from the serving deployment (%s…); ids %q", id, prefix, s.ids)
		}
	}
}

// chaosCheckEnd checks how a 200 stream ended: [DONE] after a finish
// reason and usage, or an in-band error event of errType and no [DONE].
func chaosCheckEnd(t *testing.T, s *chaosSSE, inBand bool, errType string) {
	t.Helper()
	if s.after > 0 {
		t.Errorf("%d events after the stream's end", s.after)
	}
	if !inBand {
		if !s.done || s.errEvent != nil || s.readErr != nil || s.finish != "stop" {
			t.Errorf("stream end: done %v, error %+v, read error %v, finish %q; want [DONE] after finish stop",
				s.done, s.errEvent, s.readErr, s.finish)
		}
		if s.usage == nil || *s.usage != (chaosUsage{chaosHelloIn, chaosHelloOut}) {
			t.Errorf("stream usage %+v, want %d+%d", s.usage, chaosHelloIn, chaosHelloOut)
		}
		return
	}
	if s.done {
		t.Errorf("a stream broken after commit ended with [DONE]")
	}
	if s.errEvent == nil || s.errEvent.Type != errType {
		t.Errorf("in-band error %+v, want one of type %q", s.errEvent, errType)
	}
}
