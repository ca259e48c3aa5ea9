package gateway

import (
	"errors"
	"io"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/windrose-gw/windrose/internal/catalog"
	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/keys"
)

// built is one config's routes, adapters and keys, ready to serve.
type built struct {
	catalog *catalog.Catalog
	keys    *keys.Set
	// deployments maps each deployment's name to its provider kind: what
	// decides whether health state carries over a reload.
	deployments map[string]string
	states      map[string]prometheus.Gauge
	labels      map[string][3]string // provider, deployment, region
	closers     []io.Closer          // adapters that hold connections (Vertex's gRPC client)

	once sync.Once
	err  error
}

// build compiles cfg's models into routes with fresh adapters. A model
// serving now under the same name carries its live state into the new
// route (executor.Route.Carry).
func (g *Gateway) build(cfg *config.Config) (*built, error) {
	set, err := keys.NewSet(cfg)
	if err != nil {
		return nil, err
	}
	b := &built{catalog: catalog.New(), keys: set, deployments: map[string]string{},
		states: map[string]prometheus.Gauge{}, labels: map[string][3]string{}}
	for i := range cfg.Models {
		rt, err := buildRoute(cfg, &cfg.Models[i], g.o, g.deps, g.Metrics)
		if err != nil {
			b.close()
			return nil, err
		}
		if g.current != nil {
			// The same model reloaded keeps what it accumulated (its
			// hedge budget counts); its config is the new one.
			if old, ok := g.current.catalog.Lookup(rt.Model.Name); ok && old.Model.Name == rt.Model.Name {
				rt.Carry(old)
			}
		}
		for _, t := range rt.Targets {
			if c, ok := t.Client.(io.Closer); ok {
				b.closers = append(b.closers, c)
			}
			b.deployments[t.Name] = t.Provider
			b.states[t.Name] = t.Metrics.State
			b.labels[t.Name] = [3]string{t.Provider, t.Name, t.Region}
		}
		b.catalog.Add(rt, append([]string{cfg.Models[i].Name}, cfg.Models[i].Aliases...)...)
	}
	return b, nil
}

// adopt points the health tracker and the state gauges at b's deployments.
// Breaker, cooldown and latency history carry over for a deployment whose
// name and provider stay; one whose provider changed starts afresh, and a
// removed one is forgotten (its gauges leave /metrics).
func (g *Gateway) adopt(b *built) {
	old := g.current
	for name, provider := range b.deployments {
		if old != nil {
			if p, ok := old.deployments[name]; ok && p != provider {
				g.Health.Remove(name)
			}
		}
		g.Health.Add(name)
		b.states[name].Set(float64(g.Health.State(name)))
	}
	if old != nil {
		for name := range old.deployments {
			if _, ok := b.deployments[name]; !ok {
				g.Health.Remove(name)
			}
		}
		for name, l := range old.labels {
			if nl, ok := b.labels[name]; !ok || nl != l {
				g.Metrics.DeploymentState.DeleteLabelValues(l[:]...)
			}
			if _, ok := b.labels[name]; !ok {
				g.Metrics.UpstreamInFlight.DeleteLabelValues(name)
			}
		}
	}
	states := b.states
	g.states.Store(&states)
	g.current = b
}

// close closes b's adapters once; closeErr reports how that went.
func (b *built) close() { _ = b.closeErr() }

func (b *built) closeErr() error {
	b.once.Do(func() {
		var errs []error
		for _, c := range b.closers {
			if err := c.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		b.err = errors.Join(errs...)
	})
	return b.err
}
