package state_test

import (
	"context"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/state"
	"github.com/windrose-gw/windrose/internal/state/redistest"
)

// benchLimits never refuse when the clock moves 1 ms per request: 900
// tokens take 900 µs of a 60M-tokens-per-minute window.
var benchLimits = state.Limits{RequestsPerMinute: 1_000_000, TokensPerMinute: 60_000_000, BudgetUSD: 1e12, Period: state.Month}

func benchAdmitSettle(b *testing.B, s state.Store) {
	ctx := context.Background()
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Millisecond)
		d, err := s.Admit(ctx, state.Admission{Key: "team-a", Limits: benchLimits, Tokens: 1200, Now: now})
		if err != nil || !d.OK() {
			b.Fatal(d, err)
		}
		_ = s.Settle(ctx, state.Settlement{Key: "team-a", Limits: benchLimits, Reserved: d.Reserved, Tokens: 900, CostUSD: 0.001, Now: now})
	}
}

// The limit check a request pays with the memory backend (target: under
// 2 µs, zero allocations).
func BenchmarkMemoryAdmitSettle(b *testing.B) { benchAdmitSettle(b, state.NewMemory()) }

// The same against a real Redis on loopback: two round trips (admit, settle).
func BenchmarkRedisAdmitSettle(b *testing.B) {
	srv := redistest.Start(b)
	benchAdmitSettle(b, state.NewRedis(state.RedisOptions{Client: srv.Client(), Timeout: time.Second}))
}

// Allocation guard for the memory backend (a deterministic count, not a
// timing).
func TestMemoryAdmitNoAllocs(t *testing.T) {
	s := state.NewMemory()
	ctx := context.Background()
	now := time.Now()
	a := state.Admission{Key: "team-a", Limits: benchLimits, Tokens: 1200, Now: now}
	_, _ = s.Admit(ctx, a)
	n := testing.AllocsPerRun(100, func() {
		a.Now = a.Now.Add(time.Millisecond)
		d, _ := s.Admit(ctx, a)
		_ = s.Settle(ctx, state.Settlement{Key: "team-a", Limits: benchLimits, Reserved: d.Reserved, Tokens: 900, CostUSD: 0.001, Now: a.Now})
	})
	if n != 0 {
		t.Fatalf("admit+settle allocates %v times", n)
	}
}
