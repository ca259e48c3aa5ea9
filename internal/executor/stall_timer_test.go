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
	s.start(d, time.Time{}, func(error) { fired <- struct{}{} })
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
	s.start(d, time.Time{}, func(error) { fired <- struct{}{} })
	s.waiting()
	s.stop()
	time.Sleep(5 * d)
	select {
	case <-fired:
		t.Fatal("a stopped stall timer fired")
	default:
	}
}

// TestStallTimerDeadline: the stall timer also keeps a committed stream's
// request deadline, with or without a stall timeout, waiting or not, and
// never mistakes it for a stall.
func TestStallTimerDeadline(t *testing.T) {
	for _, c := range []struct {
		name    string
		d       time.Duration // stall timeout
		waiting bool
	}{
		{name: "no stall timeout", d: 0},
		{name: "stall timeout longer, not waiting", d: time.Hour},
		{name: "stall timeout longer, waiting", d: time.Hour, waiting: true},
		// Shorter than the deadline, but windrose is not waiting: the
		// timer re-arms itself, only up to the deadline.
		{name: "stall timeout shorter, not waiting", d: 5 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			causes := make(chan error, 2)
			s := &stallTimer{}
			s.start(c.d, time.Now().Add(30*time.Millisecond), func(err error) { causes <- err })
			defer s.stop()
			if c.waiting {
				s.waiting()
			}
			select {
			case err := <-causes:
				if err != errDeadline {
					t.Fatalf("canceled with %v, want errDeadline", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the deadline passed and the stream was never canceled")
			}
		})
	}
}
