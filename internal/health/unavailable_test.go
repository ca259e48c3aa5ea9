package health

import (
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

// TestModelUnavailableOpensForLong: one ModelUnavailable opens the breaker
// at once, whatever the counters, for ModelUnavailableOpenFor rather than
// OpenFor; a probe is let through after that, and the status says why.
func TestModelUnavailableOpensForLong(t *testing.T) {
	c := newClock()
	tr := NewTracker(BreakerConfig{ConsecutiveFailures: 5, OpenFor: 10 * time.Second, ModelUnavailableOpenFor: 10 * time.Minute}, c.now)
	tr.Add("d")
	if !tr.Acquire("d") {
		t.Fatal("closed breaker refused")
	}
	tr.Failure("d", gwerr.ModelUnavailable)
	if st := tr.Status("d"); st.State != Open || st.OpenRemaining != 10*time.Minute || st.LastErrorKind != "model_unavailable" {
		t.Fatalf("status %+v: want open for 10m after model_unavailable", st)
	}
	c.advance(time.Minute) // far past OpenFor
	if tr.Usable("d") || tr.Acquire("d") {
		t.Fatal("breaker admitted traffic one minute after a model_unavailable")
	}
	c.advance(9 * time.Minute)
	if !tr.Acquire("d") || tr.State("d") != HalfOpen {
		t.Fatalf("no probe after ModelUnavailableOpenFor (state %v)", tr.State("d"))
	}
	tr.Success("d", time.Millisecond)
	if tr.State("d") != Closed {
		t.Fatalf("probe success left state %v", tr.State("d"))
	}
	// A later ordinary failure streak opens it for the ordinary OpenFor.
	for range 5 {
		tr.Acquire("d")
		tr.Failure("d", gwerr.Upstream)
	}
	if st := tr.Status("d"); st.State != Open || st.OpenRemaining != 10*time.Second {
		t.Fatalf("status %+v: want open for OpenFor", st)
	}
}
