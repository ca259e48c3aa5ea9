package executor

import (
	"context"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/router"
)

// slowSink is a client that takes its time over every event.
type slowSink struct {
	recSink
	delay time.Duration
}

func (s *slowSink) Event(ev *llm.StreamEvent) error {
	time.Sleep(s.delay)
	return s.recSink.Event(ev)
}

// TestStallMeasuresUpstreamOnly: the stall timeout bounds the provider's
// silence, not the time windrose spends writing to a slow client. A fast
// provider behind a client slower than the stall timeout must finish, and
// its breaker must not be blamed.
func TestStallMeasuresUpstreamOnly(t *testing.T) {
	r := newRig(t, dep{"a", 0, []step{{events: []string{"one ", "two ", "three"}}}})
	// The fake provider answers at once; 250ms leaves it a wide margin on
	// a loaded -race runner, and the client is slower still.
	r.rt.StallTimeout = 250 * time.Millisecond
	sink := &slowSink{delay: 400 * time.Millisecond}
	_, _, err := r.exec.Stream(context.Background(), r.rt, &llm.ChatRequest{Stream: true}, &router.Request{}, sink)
	if err != nil || sink.text != "one two three" {
		t.Fatalf("err %v, text %q: a slow client must not trip the provider's stall timer", err, sink.text)
	}
	if got := r.attempts("a", "success"); got != 1 {
		t.Errorf("success attempts = %v, want 1", got)
	}
}
