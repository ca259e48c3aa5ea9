package executor

import (
	"testing"
	"time"
)

func TestFirstTokenBound(t *testing.T) {
	auto := FirstTokenBound{Floor: time.Second, Ceiling: 20 * time.Second, ColdStart: 10 * time.Second,
		Factor: 4, PerKPromptTokens: 500 * time.Millisecond, MinSamples: 10}
	for _, tc := range []struct {
		name    string
		b       FirstTokenBound
		p99     time.Duration
		samples int
		prompt  int
		want    time.Duration
	}{
		// A fixed bound ignores history and prompt.
		{"fixed", FirstTokenBound{Fixed: 30 * time.Second}, time.Millisecond, 100, 100000, 30 * time.Second},
		// Too few observations: the cold-start value.
		{"cold", auto, 50 * time.Millisecond, 9, 0, 10 * time.Second},
		// A fast history is held up by the floor.
		{"floor", auto, 50 * time.Millisecond, 10, 0, time.Second},
		// A slower history: Factor × p99.
		{"factor", auto, 800 * time.Millisecond, 10, 0, 3200 * time.Millisecond},
		// A long prompt adds its allowance (8000 tokens × 0.5 s / 1000).
		{"prompt allowance", auto, 50 * time.Millisecond, 10, 8000, 5 * time.Second},
		// Never past the ceiling, allowance included.
		{"ceiling", auto, 4 * time.Second, 10, 100000, 20 * time.Second},
		// An unconfigured bound (a route built in Go) is no bound.
		{"unconfigured", FirstTokenBound{}, time.Second, 100, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.b.Of(tc.p99, tc.samples, tc.prompt); got != tc.want {
				t.Errorf("Of(%v, %d, %d) = %v, want %v", tc.p99, tc.samples, tc.prompt, got, tc.want)
			}
		})
	}
}
