package state_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/state"
	"github.com/windrose-gw/windrose/internal/state/redistest"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// Calendar periods are UTC days, ISO weeks (from Monday) and months.
func TestPeriodBounds(t *testing.T) {
	tests := []struct {
		p          state.Period
		at         time.Time
		start, end string
	}{
		{state.Day, t0, "2026-12-01", "2026-12-02"},
		// 2026-12-06 is a Sunday: its week began on Monday the 30th of November.
		{state.Week, time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC), "2026-11-30", "2026-12-07"},
		{state.Week, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), "2026-11-30", "2026-12-07"},
		{state.Month, time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC), "2026-12-01", "2027-01-01"},
		// A time in another zone is placed by its UTC date.
		{state.Day, time.Date(2026, 12, 2, 0, 30, 0, 0, time.FixedZone("CET", 3600)), "2026-12-01", "2026-12-02"},
	}
	for _, tt := range tests {
		s, e := tt.p.Bounds(tt.at)
		if got := s.Format(time.DateOnly); got != tt.start {
			t.Errorf("%v %v start = %s, want %s", tt.p, tt.at, got, tt.start)
		}
		if got := e.Format(time.DateOnly); got != tt.end {
			t.Errorf("%v %v end = %s, want %s", tt.p, tt.at, got, tt.end)
		}
	}
}

// backends runs a test against the memory store and a real Redis.
func backends(t *testing.T, run func(t *testing.T, s state.Store)) {
	t.Run("memory", func(t *testing.T) { run(t, state.NewMemory()) })
	t.Run("redis", func(t *testing.T) {
		srv := redistest.Start(t)
		run(t, state.NewRedis(state.RedisOptions{Client: srv.Client(), Timeout: time.Second}))
	})
}

func admit(t *testing.T, s state.Store, a state.Admission) state.Decision {
	t.Helper()
	d, err := s.Admit(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A request rate of 60/min admits a burst of 60, refuses the 61st with the
// wait until one more fits, and admits again after that wait.
func TestRequestRate(t *testing.T) {
	backends(t, func(t *testing.T, s state.Store) {
		l := state.Limits{RequestsPerMinute: 60}
		a := state.Admission{Key: "team-a", Limits: l, Now: t0}
		for i := range 60 {
			d := admit(t, s, a)
			if !d.OK() {
				t.Fatalf("request %d refused: %+v", i, d)
			}
			if d.RemainingRequests != int64(59-i) {
				t.Fatalf("request %d: remaining = %d, want %d", i, d.RemainingRequests, 59-i)
			}
		}
		d := admit(t, s, a)
		if d.Reason != state.RequestRate || d.RetryAfter != time.Second {
			t.Fatalf("61st: %+v, want RequestRate after 1s", d)
		}
		// Another key is not affected.
		if d := admit(t, s, state.Admission{Key: "team-b", Limits: l, Now: t0}); !d.OK() {
			t.Fatalf("team-b refused: %+v", d)
		}
		a.Now = t0.Add(time.Second)
		if d := admit(t, s, a); !d.OK() {
			t.Fatalf("after the wait: %+v", d)
		}
	})
}

// Tokens are reserved up front and settled with the real count: a refund
// makes room at once, an overdraft delays the next request.
func TestTokenRateReserveAndSettle(t *testing.T) {
	backends(t, func(t *testing.T, s state.Store) {
		ctx := context.Background()
		l := state.Limits{TokensPerMinute: 1000}
		a := state.Admission{Key: "k", Limits: l, Tokens: 800, Now: t0}
		d := admit(t, s, a)
		if !d.OK() || d.Reserved != 800 || d.RemainingTokens != 200 {
			t.Fatalf("first: %+v", d)
		}
		if d2 := admit(t, s, a); d2.Reason != state.TokenRate {
			t.Fatalf("second before settle: %+v, want TokenRate", d2)
		}
		// The request used only 100 tokens: 700 come back.
		if err := s.Settle(ctx, state.Settlement{Key: "k", Limits: l, Reserved: d.Reserved, Tokens: 100, Now: t0}); err != nil {
			t.Fatal(err)
		}
		d = admit(t, s, a)
		if !d.OK() || d.RemainingTokens != 100 {
			t.Fatalf("after refund: %+v", d)
		}
		// A reservation larger than the whole limit is capped, so it can
		// pass once the window is full again.
		big := state.Admission{Key: "k2", Limits: l, Tokens: 5000, Now: t0}
		if d := admit(t, s, big); !d.OK() || d.Reserved != 1000 {
			t.Fatalf("oversized: %+v", d)
		}
	})
}

// Spend accumulates per calendar period; a request that would start with the
// budget spent is refused until the period ends, and the next period starts
// from zero.
func TestBudget(t *testing.T) {
	backends(t, func(t *testing.T, s state.Store) {
		ctx := context.Background()
		l := state.Limits{BudgetUSD: 1, Period: state.Day}
		a := state.Admission{Key: "k", Limits: l, Now: t0}
		for range 3 {
			if d := admit(t, s, a); !d.OK() {
				t.Fatalf("refused early: %+v", d)
			}
			if err := s.Settle(ctx, state.Settlement{Key: "k", Limits: l, CostUSD: 0.4, Now: t0}); err != nil {
				t.Fatal(err)
			}
		}
		d := admit(t, s, a)
		if d.Reason != state.Budget || math.Abs(d.SpentUSD-1.2) > 1e-9 {
			t.Fatalf("after $1.20: %+v", d)
		}
		if want := 14 * time.Hour; d.RetryAfter != want {
			t.Errorf("RetryAfter = %v, want %v (midnight UTC)", d.RetryAfter, want)
		}
		u, err := s.Usage(ctx, "k", l, t0)
		if err != nil || math.Abs(u.SpentUSD-1.2) > 1e-9 || !u.PeriodEnd.Equal(t0.Add(14*time.Hour)) {
			t.Fatalf("usage = %+v, %v", u, err)
		}
		a.Now = t0.Add(14 * time.Hour)
		if d := admit(t, s, a); !d.OK() || d.SpentUSD != 0 {
			t.Fatalf("next day: %+v", d)
		}
	})
}
