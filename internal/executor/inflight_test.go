package executor

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/router"
)

// TestUpstreamInFlightSettles checks windrose_upstream_in_flight returns to
// zero however an attempt ends: a gauge that leaks on one path climbs for
// the life of the process.
func TestUpstreamInFlightSettles(t *testing.T) {
	cut := step{events: []string{"a", "b"}, after: &gwerr.Error{Kind: gwerr.Upstream, Message: "cut"}}
	cases := []struct {
		name   string
		stream bool
		deps   []dep
		sink   recSink
	}{
		// A plain answer.
		{"chat ok", false, []dep{{"a", 0, []step{ok}}}, recSink{}},
		// A failed attempt, then the next tier.
		{"chat fails over", false, []dep{{"a", 0, []step{err500}}, {"b", 1, []step{ok}}}, recSink{}},
		// A stream to its end.
		{"stream ok", true, []dep{{"a", 0, []step{ok}}}, recSink{}},
		// A stream refused before any event, then the next tier.
		{"stream fails over", true, []dep{{"a", 0, []step{err500}}, {"b", 1, []step{ok}}}, recSink{}},
		// A stream broken after commit.
		{"stream cut", true, []dep{{"a", 0, []step{cut}}}, recSink{}},
		// A client gone mid-stream.
		{"client gone", true, []dep{{"a", 0, []step{ok}}}, recSink{fail: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.deps...)
			if tc.stream {
				sink := tc.sink
				_, _, _ = r.exec.Stream(context.Background(), r.rt, &llm.ChatRequest{}, &router.Request{}, &sink)
			} else {
				_, _, _ = r.exec.Chat(context.Background(), r.rt, &llm.ChatRequest{}, router.Request{})
			}
			for _, d := range tc.deps {
				if g := testutil.ToFloat64(r.metrics.UpstreamInFlight.WithLabelValues(d.name)); g != 0 {
					t.Errorf("in flight at %s after the request = %v, want 0", d.name, g)
				}
			}
		})
	}
}

// TestUpstreamInFlightCounts checks a running attempt is counted while it
// waits on the provider.
func TestUpstreamInFlightCounts(t *testing.T) {
	r := newRig(t, dep{"a", 0, []step{{block: true}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _, _ = r.exec.Chat(ctx, r.rt, &llm.ChatRequest{}, router.Request{})
	}()
	g := r.metrics.UpstreamInFlight.WithLabelValues("a")
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(g) != 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if v := testutil.ToFloat64(g); v != 1 {
		t.Errorf("in flight during the call = %v, want 1", v)
	}
	cancel()
	<-done
	if v := testutil.ToFloat64(g); v != 0 {
		t.Errorf("in flight after the call = %v, want 0", v)
	}
}

// TestResultUpstreamTime checks the time waiting on the provider is
// reported, so windrose_overhead_seconds excludes it.
func TestResultUpstreamTime(t *testing.T) {
	const delay = 30 * time.Millisecond
	slow := step{events: []string{"a"}, delay: delay, usage: ok.usage}
	for _, stream := range []bool{false, true} {
		r := newRig(t, dep{"a", 0, []step{slow}})
		r.exec.now = time.Now
		start := time.Now()
		var res Result
		if stream {
			_, res, _ = r.exec.Stream(context.Background(), r.rt, &llm.ChatRequest{}, &router.Request{}, &recSink{})
		} else {
			_, res, _ = r.exec.Chat(context.Background(), r.rt, &llm.ChatRequest{}, router.Request{})
		}
		total := time.Since(start)
		if res.Upstream < delay || res.Upstream > total {
			t.Errorf("stream %v: upstream time %v, want between the provider's %v and the total %v", stream, res.Upstream, delay, total)
		}
	}
}
