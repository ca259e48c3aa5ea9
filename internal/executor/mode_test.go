package executor

import (
	"testing"

	"github.com/windrose-gw/windrose/internal/router"
)

// TestModeOf pins which path of the walk each kind of request takes.
func TestModeOf(t *testing.T) {
	hedged := &Route{RouteConfig: RouteConfig{HedgeBudget: 0.1}}
	plain := &Route{}
	tests := []struct {
		name   string
		rt     *Route
		rr     router.Request
		stream bool
		want   mode
	}{
		// The common case: no hedge can overlap, so no goroutine per attempt.
		{"plain chat", plain, router.Request{}, false, mode{inline, byBreaker, atWin}},
		// A hedge must race the attempt it backs up.
		{"hedged chat", hedged, router.Request{}, false, mode{concurrent, byBreaker, atWin}},
		// A stream's result is known only at its end, and its attempt runs
		// on a goroutine of its own, so the handler's goroutine, which
		// lives as long as the stream, never grows the HTTP client's stack.
		{"stream", plain, router.Request{}, true, mode{concurrent, byBreaker, atEnd}},
		// A pin reaches a deployment whatever its breaker says.
		{"pinned hedged stream", hedged, router.Request{Pin: "a"}, true, mode{concurrent, byPin, atEnd}},
	}
	for _, tt := range tests {
		if got := modeOf(tt.rt, tt.rr, tt.stream); got != tt.want {
			t.Errorf("%s: modeOf = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
