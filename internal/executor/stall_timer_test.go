package executor

import (
	"testing"
	"time"
)

// TestStallTimerFiresOnlyWhileWaiting: the stall timer is not reset per
// chunk, so it must tell a wait from the time between waits itself. Time
// spent not waiting (writing to the client) never trips it however long it
// lasts, chunks that keep coming within the timeout never trip it, and a
// wait that outlasts the timeout does, after the timer has re-armed itself.
func TestStallTimerFiresOnlyWhileWaiting(t *testing.T) {
	const d = 20 * time.Millisecond
	fired := make(chan struct{}, 1)
	s := &stallTimer{}
	s.start(d, func() { fired <- struct{}{} })
	defer s.stop()
	s.waiting()
	s.got()
	// Not waiting for many timeouts: the timer fires, sees no wait and
	// re-arms. (Load can only make this longer, never trip it.)
	time.Sleep(10 * d)
	select {
	case <-fired:
		t.Fatal("the stall timer fired while windrose was not waiting for the provider")
	default:
	}
	// Chunks arriving at once: each wait is far shorter than the timeout.
	for range 50 {
		s.waiting()
		s.got()
	}
	select {
	case <-fired:
		t.Fatal("the stall timer fired across waits that each ended at once")
	default:
	}
	s.waiting()
	select {
	case <-fired:
	case <-time.After(10 * time.Second):
		t.Fatal("a wait past the stall timeout was never declared a stall")
	}
}

// TestStallTimerStop: a stopped timer never declares a stall, even if the
// stream stopped in the middle of a wait.
func TestStallTimerStop(t *testing.T) {
	const d = 10 * time.Millisecond
	fired := make(chan struct{}, 1)
	s := &stallTimer{}
	s.start(d, func() { fired <- struct{}{} })
	s.waiting()
	s.stop()
	time.Sleep(5 * d)
	select {
	case <-fired:
		t.Fatal("a stopped stall timer fired")
	default:
	}
}
