package executor

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/health"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/router"
	"github.com/windrose-gw/windrose/providers"
)

var (
	ok       = step{events: []string{"hel", "lo"}, usage: &llm.Usage{PromptTokens: 10, CompletionTokens: 2, TotalTokens: 12}}
	err500   = step{err: &gwerr.Error{Kind: gwerr.Upstream, Status: 500, Message: "boom"}}
	err429RA = step{err: &gwerr.Error{Kind: gwerr.RateLimited, Status: 429, Message: "slow down", RetryAfter: 7 * time.Second}}
	errBad   = step{err: &gwerr.Error{Kind: gwerr.InvalidRequest, Status: 400, Message: "context too long", Code: "context_length_exceeded"}}
	errAuth  = step{err: &gwerr.Error{Kind: gwerr.Auth, Status: 401, Message: "bad key"}}
)

func TestChatRetryClasses(t *testing.T) {
	cases := []struct {
		name      string
		deps      []dep
		wantErr   gwerr.Kind // Internal = no error
		wantCalls map[string]int
		wantWin   string
	}{
		// A 5xx moves on to the next tier at once.
		{"5xx fails over", []dep{{"a", 0, []step{err500}}, {"b", 1, []step{ok}}}, gwerr.Internal, map[string]int{"a": 1, "b": 1}, "b"},
		// The provider's own verdict on the request must reach the client
		// unchanged: retrying a context-length error elsewhere only burns money.
		{"invalid request stops", []dep{{"a", 0, []step{errBad}}, {"b", 1, []step{ok}}}, gwerr.InvalidRequest, map[string]int{"a": 1, "b": 0}, ""},
		// A rejected key marks that deployment; the next one may be fine.
		{"auth moves on", []dep{{"a", 0, []step{errAuth}}, {"b", 1, []step{ok}}}, gwerr.Internal, map[string]int{"a": 1, "b": 1}, "b"},
		// Alone, a deployment is retried (with backoff) up to the attempt cap.
		{"sole deployment retried", []dep{{"a", 0, []step{err500, err500, ok}}}, gwerr.Internal, map[string]int{"a": 3}, "a"},
		// ...and never more than the cap.
		{"attempt cap", []dep{{"a", 0, []step{err500}}}, gwerr.Upstream, map[string]int{"a": 3}, ""},
		// A sole deployment that said Retry-After is not slept on.
		{"retry-after not retried in place", []dep{{"a", 0, []step{err429RA, ok}}}, gwerr.RateLimited, map[string]int{"a": 1}, ""},
		// Every deployment rejecting our credentials is a gateway problem (502), not the client's 401.
		{"all auth is upstream", []dep{{"a", 0, []step{errAuth}}, {"b", 1, []step{errAuth}}}, gwerr.Upstream, map[string]int{"a": 1, "b": 1}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.deps...)
			resp, res, err := r.exec.Chat(context.Background(), r.rt, &llm.ChatRequest{}, router.Request{})
			if got := gwerr.KindOf(err); err != nil && got != tc.wantErr || err == nil && tc.wantErr != gwerr.Internal {
				t.Fatalf("err = %v (kind %v), want kind %v", err, got, tc.wantErr)
			}
			for name, n := range tc.wantCalls {
				if got := r.calls(name); got != n {
					t.Errorf("calls to %s = %d, want %d", name, got, n)
				}
			}
			if tc.wantWin != "" {
				if res.Target == nil || res.Target.Name != tc.wantWin || resp.Choices[0].Message.Content != "hello" {
					t.Fatalf("winner = %+v, resp %+v; want %s", res.Target, resp, tc.wantWin)
				}
			}
		})
	}
}

func TestRetryAfterCooldownSkipsDeployment(t *testing.T) {
	r := newRig(t, dep{"a", 0, []step{err429RA, ok}}, dep{"b", 1, []step{ok}})
	ctx := context.Background()
	if _, res, err := r.exec.Chat(ctx, r.rt, &llm.ChatRequest{}, router.Request{}); err != nil || res.Target.Name != "b" {
		t.Fatalf("first request: %v %+v", err, res.Target)
	}
	if got := testutil.ToFloat64(r.rt.Targets[0].Metrics.Cooldowns); got != 1 {
		t.Errorf("cooldowns = %v, want 1", got)
	}
	// While a cools down, the router must not even try it.
	if _, res, _ := r.exec.Chat(ctx, r.rt, &llm.ChatRequest{}, router.Request{}); res.Target.Name != "b" || r.calls("a") != 1 {
		t.Fatalf("during cooldown: winner %s, calls to a %d", res.Target.Name, r.calls("a"))
	}
	r.clock.add(8 * time.Second)
	if _, res, _ := r.exec.Chat(ctx, r.rt, &llm.ChatRequest{}, router.Request{}); res.Target.Name != "a" {
		t.Fatalf("after cooldown: winner %s, want a", res.Target.Name)
	}
}

func TestOnlyCoolingDeploymentsGive429(t *testing.T) {
	r := newRig(t, dep{"a", 0, []step{err429RA}})
	ctx := context.Background()
	_, _, _ = r.exec.Chat(ctx, r.rt, &llm.ChatRequest{}, router.Request{})
	_, _, err := r.exec.Chat(ctx, r.rt, &llm.ChatRequest{}, router.Request{})
	ge := gwerr.As(err)
	if ge.Kind != gwerr.RateLimited || ge.RetryAfter <= 0 || ge.RetryAfter > 7*time.Second {
		t.Fatalf("err = %+v, want RateLimited with Retry-After ≤ 7s", ge)
	}
	if r.calls("a") != 1 {
		t.Fatalf("a called %d times, want 1", r.calls("a"))
	}
}

func TestStreamCommitPoint(t *testing.T) {
	cut := gwerr.New(gwerr.Upstream, "connection reset")
	cases := []struct {
		name          string
		deps          []dep
		wantText      string
		wantCommitted string
		wantErr       bool
	}{
		// Failing before any content is invisible to the client.
		{"fail before content fails over", []dep{{"a", 0, []step{{after: cut}}}, {"b", 1, []step{ok}}}, "hello", "b", false},
		// An HTTP error on open likewise.
		{"open error fails over", []dep{{"a", 0, []step{err500}}, {"b", 1, []step{ok}}}, "hello", "b", false},
		// After content reached the client nothing is retried: the error is returned for in-band delivery.
		{"fail after content is final", []dep{{"a", 0, []step{{events: []string{"par"}, after: cut}}}, {"b", 1, []step{ok}}}, "par", "a", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.deps...)
			sink := &recSink{}
			_, res, err := r.exec.Stream(context.Background(), r.rt, &llm.ChatRequest{Stream: true}, &router.Request{}, sink)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if sink.committed != tc.wantCommitted || sink.text != tc.wantText || !res.Committed {
				t.Fatalf("committed %q text %q (res %+v); want %q %q", sink.committed, sink.text, res, tc.wantCommitted, tc.wantText)
			}
			if r.calls("b") > 0 && tc.wantErr {
				t.Fatalf("retried after commit")
			}
		})
	}
}

func TestStreamUsageOfFailedAttemptIsCounted(t *testing.T) {
	// The stream breaks after content; the provider's error carries the
	// usage it had billed so far, which must still be metered and priced.
	cut := providers.WithUsage(gwerr.New(gwerr.Upstream, "connection reset"), &llm.Usage{PromptTokens: 10, CompletionTokens: 2, TotalTokens: 12})
	r := newRig(t, dep{"a", 0, []step{{events: []string{"par"}, after: cut}}})
	_, res, err := r.exec.Stream(context.Background(), r.rt, &llm.ChatRequest{Stream: true}, &router.Request{}, &recSink{})
	if err == nil || !res.Committed {
		t.Fatalf("err = %v committed %v; want a failed committed stream", err, res.Committed)
	}
	if got := r.attempts("a", "failed"); got != 1 {
		t.Fatalf("failed attempts = %v, want 1", got)
	}
	if got := testutil.ToFloat64(r.rt.Targets[0].Metrics.InputTokens); got != 10 {
		t.Fatalf("input tokens = %v, want 10", got)
	}
	if got := testutil.ToFloat64(r.rt.Targets[0].Metrics.Cost); got != 12.0/1e6 {
		t.Fatalf("cost = %v, want %v", got, 12.0/1e6)
	}
}

func TestClientCancelNeverCountsAgainstProvider(t *testing.T) {
	r := newRig(t, dep{"a", 0, []step{{block: true}}})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, _, err := r.exec.Chat(ctx, r.rt, &llm.ChatRequest{}, router.Request{})
	if gwerr.KindOf(err) != gwerr.Canceled {
		t.Fatalf("err = %v, want Canceled", err)
	}
	for range 10 { // ten more cancels must not open the breaker
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, _, _ = r.exec.Chat(ctx, r.rt, &llm.ChatRequest{}, router.Request{})
	}
	if s := r.health.State("a"); s != health.Closed {
		t.Fatalf("breaker state = %v after client cancels, want closed", s)
	}
}

func TestHedgeFirstContentWins(t *testing.T) {
	r := newRig(t, dep{"slow", 0, []step{{block: true}}}, dep{"fast", 1, []step{ok}})
	r.rt.HedgeAfter, r.rt.HedgeBudget = 10*time.Millisecond, 1
	sink := &recSink{}
	_, res, err := r.exec.Stream(context.Background(), r.rt, &llm.ChatRequest{Stream: true}, &router.Request{}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if sink.committed != "fast" || sink.text != "hello" || res.Attempts != 2 {
		t.Fatalf("committed %q text %q attempts %d", sink.committed, sink.text, res.Attempts)
	}
	if got := r.attempts("fast", "hedge_won"); got != 1 {
		t.Errorf("hedge_won = %v", got)
	}
	deadline := time.Now().Add(2 * time.Second)
	for r.attempts("slow", "hedge_lost") != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // the loser is reaped in the background
	}
	if got := r.attempts("slow", "hedge_lost"); got != 1 {
		t.Errorf("hedge_lost = %v", got)
	}
}

func TestHedgeBudget(t *testing.T) {
	// The slow answer comes 300ms after the hedge is due, so a late timer
	// on a loaded runner still hedges every request the budget allows.
	r := newRig(t, dep{"slow", 0, []step{{delay: 300 * time.Millisecond, events: []string{"x"}}}}, dep{"fast", 1, []step{ok}})
	r.rt.HedgeAfter, r.rt.HedgeBudget = 5*time.Millisecond, 0.5
	for range 4 {
		if _, _, err := r.exec.Chat(context.Background(), r.rt, &llm.ChatRequest{}, router.Request{}); err != nil {
			t.Fatal(err)
		}
	}
	if h := r.rt.Live.Hedges(); h != 2 {
		t.Fatalf("hedges = %d over 4 requests with budget 0.5, want 2", h)
	}
}

func TestStreamWithoutFinishIsFailure(t *testing.T) {
	// A clean EOF after content but before any finish reason: the
	// provider closed the stream early. It is a failure of the deployment
	// (stream_incomplete), not a complete answer.
	r := newRig(t, dep{"a", 0, []step{{events: []string{"x"}, after: io.EOF}}})
	_, res, err := r.exec.Stream(context.Background(), r.rt, &llm.ChatRequest{Stream: true}, &router.Request{}, &recSink{})
	if err == nil || !res.Committed {
		t.Fatalf("err = %v committed %v; a stream without its end must fail", err, res.Committed)
	}
	if code := gwerr.As(err).Code; code != "stream_incomplete" {
		t.Fatalf("code = %q, want stream_incomplete (the EOF-without-finish branch)", code)
	}
	if got := r.attempts("a", "failed"); got != 1 {
		t.Fatalf("failed attempts = %v, want 1", got)
	}
}
