package executor

import (
	"context"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/router"
)

// TestConcurrentAttemptPanic: with hedging on, attempts run on their own
// goroutines, where no recoverer stands above them. An adapter that panics
// there must fail the request with an Internal error, as a panic on the
// request's goroutine does, not end the process (which would fail this
// test binary).
func TestConcurrentAttemptPanic(t *testing.T) {
	for _, stream := range []bool{false, true} {
		r := newRig(t, dep{"bad", 0, []step{{panics: "adapter bug"}}})
		r.rt.HedgeAfter, r.rt.HedgeBudget = time.Hour, 1 // concurrent mode, no hedge fired
		var err error
		if stream {
			_, _, err = r.exec.Stream(context.Background(), r.rt, &llm.ChatRequest{Stream: true}, &router.Request{}, &recSink{})
		} else {
			_, _, err = r.exec.Chat(context.Background(), r.rt, &llm.ChatRequest{}, router.Request{})
		}
		if gwerr.KindOf(err) != gwerr.Internal {
			t.Fatalf("stream=%v: err = %v, want an Internal error", stream, err)
		}
		if r.calls("bad") != 1 {
			t.Fatalf("stream=%v: calls = %d, want 1 (a bug is not retried)", stream, r.calls("bad"))
		}
	}
}
