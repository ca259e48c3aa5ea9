package health

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

// TestConcurrentProbes: when many requests race for a half-open breaker,
// exactly HalfOpenProbes get through.
func TestConcurrentProbes(t *testing.T) {
	for _, probes := range []int{1, 3} {
		t.Run(fmt.Sprint(probes), func(t *testing.T) {
			c := newClock()
			tr := NewTracker(BreakerConfig{ConsecutiveFailures: 1, HalfOpenProbes: probes}, c.now)
			tr.Add("d")
			tr.Failure("d", gwerr.Upstream)
			c.advance(10 * time.Second)

			var admitted atomic.Int32
			var start, done sync.WaitGroup
			start.Add(1)
			for range 64 {
				done.Go(func() {
					start.Wait()
					if tr.Acquire("d") {
						admitted.Add(1)
					}
				})
			}
			start.Done()
			done.Wait()
			if got := admitted.Load(); int(got) != probes {
				t.Errorf("admitted %d probes, want %d", got, probes)
			}
		})
	}
}

// TestConcurrentUse hammers the Tracker from many goroutines (run it with
// -race) and checks that OnChange sees, for each deployment, a valid chain
// of transitions ending in the breaker's actual state.
func TestConcurrentUse(t *testing.T) {
	c := newClock()
	tr := NewTracker(BreakerConfig{ConsecutiveFailures: 2, OpenFor: 50 * time.Millisecond, HalfOpenProbes: 2}, c.now)
	names := []string{"a", "b", "c"}
	for _, n := range names {
		tr.Add(n)
	}
	var mu sync.Mutex
	seen := map[string][]State{}
	tr.OnChange(func(d string, s State) {
		mu.Lock()
		seen[d] = append(seen[d], s)
		mu.Unlock()
	})

	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				d := names[(g+i)%len(names)]
				_ = tr.Usable(d)
				if i%50 == 0 {
					c.advance(10 * time.Millisecond)
					tr.Add(fmt.Sprint("late-", g, "-", i)) // registration while serving
				}
				if i%97 == 0 {
					tr.Cooldown(d, time.Millisecond)
				}
				if !tr.Acquire(d) {
					continue
				}
				switch (g * i) % 4 {
				case 0:
					tr.Failure(d, gwerr.Upstream)
				case 1:
					tr.Release(d)
				default:
					tr.Success(d, time.Duration(i)*time.Microsecond)
				}
				_, _, _ = tr.TTFT(d), tr.P95TTFT(d), tr.CooldownRemaining(d)
			}
		})
	}
	wg.Wait()

	// The transitions a breaker may make.
	validNext := map[[2]State]bool{
		{Closed, Open}: true, {Open, HalfOpen}: true, {HalfOpen, Closed}: true, {HalfOpen, Open}: true,
	}
	for _, n := range names {
		chain := seen[n]
		prev := Closed
		for i, s := range chain {
			if !validNext[[2]State{prev, s}] {
				t.Fatalf("%s: transition %d is %v -> %v, chain %v", n, i, prev, s, chain)
			}
			prev = s
		}
		if len(chain) == 0 {
			t.Errorf("%s: no transitions; the test exercised nothing", n)
		}
		if got := tr.State(n); got != prev {
			t.Errorf("%s: state %v, last notified %v", n, got, prev)
		}
	}
}
