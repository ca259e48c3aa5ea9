package state_test

import (
	"context"
	"errors"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/state"
	"github.com/windrose-gw/windrose/internal/state/redistest"
)

// With fail_open, a Redis outage costs no request: admissions fall back to
// local counters at once (no hang), the spend recorded meanwhile is added to
// Redis when it is back, and a second replica then sees it.
func TestRedisOutageFailOpen(t *testing.T) {
	srv := redistest.Start(t)
	var failures atomic.Int64
	s := state.NewRedis(state.RedisOptions{Client: srv.Client(), Timeout: 50 * time.Millisecond,
		Retry: 10 * time.Millisecond, OnFailure: func() { failures.Add(1) }})
	ctx := context.Background()
	l := state.Limits{BudgetUSD: 10, Period: state.Month}
	settle := func(usd float64) {
		if err := s.Settle(ctx, state.Settlement{Key: "k", Limits: l, CostUSD: usd, Now: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	settle(1)
	srv.Stop()
	start := time.Now()
	for i := range 20 {
		d, err := s.Admit(ctx, state.Admission{Key: "k", Limits: l, Now: time.Now()})
		if err != nil || !d.OK() {
			t.Fatalf("admit %d during outage: %+v, %v", i, d, err)
		}
		settle(0.25)
	}
	// Bound, not a speed target: without the fallback each call would wait
	// for a dial that never succeeds.
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("20 admissions during the outage took %v", took)
	}
	if failures.Load() == 0 {
		t.Fatal("no failure counted")
	}
	srv.Restart()
	time.Sleep(20 * time.Millisecond) // past Retry
	if _, err := s.Admit(ctx, state.Admission{Key: "k", Limits: l, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// Redis restarted empty (no persistence): it holds exactly what was
	// spent during the outage, reconciled; the $1 before it died is lost
	// with the server's memory, which is why production Redis persists.
	other := state.NewRedis(state.RedisOptions{Client: srv.Client()})
	u, err := other.Usage(ctx, "k", l, time.Now())
	if err != nil || math.Abs(u.SpentUSD-5) > 1e-9 {
		t.Fatalf("second replica sees %+v, %v; want $5 reconciled", u, err)
	}
}

// With fail_closed, requests are refused with ErrUnavailable during the
// outage, promptly, and served again once Redis is back.
func TestRedisOutageFailClosed(t *testing.T) {
	srv := redistest.Start(t)
	s := state.NewRedis(state.RedisOptions{Client: srv.Client(), Timeout: 50 * time.Millisecond,
		Retry: 10 * time.Millisecond, Policy: state.FailClosed})
	ctx := context.Background()
	a := func() error {
		_, err := s.Admit(ctx, state.Admission{Key: "k", Limits: state.Limits{RequestsPerMinute: 100}, Now: time.Now()})
		return err
	}
	if err := a(); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if err := a(); !errors.Is(err, state.ErrUnavailable) {
		t.Fatalf("during outage: %v, want ErrUnavailable", err)
	}
	srv.Restart()
	time.Sleep(20 * time.Millisecond)
	if err := a(); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

// A cooldown published by one replica reaches another, not itself.
func TestPeersShareCooldowns(t *testing.T) {
	srv := redistest.Start(t)
	a := state.NewPeers(srv.Client(), "", nil)
	b := state.NewPeers(srv.Client(), "", nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gotA, gotB := make(chan state.Cooldown, 1), make(chan state.Cooldown, 1)
	readyA, readyB := make(chan struct{}), make(chan struct{})
	go a.Run(ctx, func(c state.Cooldown) { gotA <- c }, readyA)
	go b.Run(ctx, func(c state.Cooldown) { gotB <- c }, readyB)
	<-readyA
	<-readyB
	until := time.Now().Add(30 * time.Second).Truncate(time.Millisecond)
	a.Publish(state.Cooldown{Deployment: "bedrock-eu", Until: until})
	select {
	case c := <-gotB:
		if c.Deployment != "bedrock-eu" || !c.Until.Equal(until) {
			t.Fatalf("got %+v", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("replica B never heard of the cooldown")
	}
	select {
	case c := <-gotA:
		t.Fatalf("replica A applied its own message: %+v", c)
	case <-time.After(100 * time.Millisecond):
	}
}
