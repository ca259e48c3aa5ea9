package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/health"
	"github.com/windrose-gw/windrose/internal/keys"
	"github.com/windrose-gw/windrose/internal/state"
	"github.com/windrose-gw/windrose/internal/telemetry"
)

// governance is the keys, their state store and, with Redis, the sharing of
// deployment cooldowns between replicas.
type governance struct {
	keys     *keys.Set
	governor *keys.Governor
	client   *redis.Client
	peers    *state.Peers
}

func buildGovernance(cfg *config.Config, reg prometheus.Registerer, log *zap.Logger, now func() time.Time) (*governance, error) {
	set, err := keys.NewSet(cfg)
	if err != nil {
		return nil, err
	}
	m := telemetry.NewKeyMetrics(reg)
	g := &governance{keys: set}
	var store state.Store = state.NewMemory()
	if cfg.State.Backend == "redis" {
		opts, err := redis.ParseURL(cfg.State.URL.Value())
		if err != nil {
			// The URL may hold a password: name the field, not the value.
			return nil, fmt.Errorf("state.url: not a redis:// or rediss:// URL")
		}
		timeout := cfg.State.Timeout.D()
		opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = timeout, timeout, timeout
		opts.MaxRetries = -1 // the store falls back instead of retrying
		g.client = redis.NewClient(opts)
		policy := state.FailOpen
		if cfg.State.OnError == "fail_closed" {
			policy = state.FailClosed
		}
		store = state.NewRedis(state.RedisOptions{Client: g.client, Prefix: cfg.State.Prefix, Timeout: timeout,
			Policy: policy, Logger: log, OnFailure: m.StateErrors.Inc})
		g.peers = state.NewPeers(g.client, cfg.State.Prefix, log)
	}
	g.governor = keys.NewGovernor(store, m, now, log)
	return g, nil
}

// share publishes this replica's cooldowns and open breakers and applies
// other replicas' until ctx ends. Without Redis it does nothing.
func (g *governance) share(ctx context.Context, t *health.Tracker, now func() time.Time) {
	if g.peers == nil {
		return
	}
	t.OnCooldown(func(dep string, d time.Duration) {
		g.peers.Publish(state.Cooldown{Deployment: dep, Until: now().Add(d)})
	})
	ready := make(chan struct{})
	go g.peers.Run(ctx, func(c state.Cooldown) {
		t.PeerCooldown(c.Deployment, c.Until.Sub(now()))
	}, ready)
	select {
	case <-ready:
	case <-time.After(time.Second):
	}
}

// breakerOpened passes an open breaker on to other replicas as a cooldown
// of the open time; each replica still probes on its own afterwards.
func (g *governance) breakerOpened(dep string, openFor time.Duration, now func() time.Time) {
	if g.peers != nil {
		g.peers.Publish(state.Cooldown{Deployment: dep, Until: now().Add(openFor)})
	}
}

func (g *governance) close() {
	if g.client != nil {
		_ = g.client.Close()
	}
}
