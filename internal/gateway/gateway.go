// Package gateway wires a validated config into a running gateway: it builds
// each deployment's adapter, the breakers, metrics, executor and HTTP server.
// cmd/windrose and the end-to-end tests both start windrose through it.
package gateway

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/windrose-gw/windrose/internal/catalog"
	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/executor"
	"github.com/windrose-gw/windrose/internal/health"
	"github.com/windrose-gw/windrose/internal/responsestore"
	"github.com/windrose-gw/windrose/internal/router"
	"github.com/windrose-gw/windrose/internal/server"
	"github.com/windrose-gw/windrose/internal/telemetry"
	"github.com/windrose-gw/windrose/internal/upstream"
	"github.com/windrose-gw/windrose/providers"
)

// Options are the injected dependencies. Zero values get production
// defaults.
type Options struct {
	Providers *providers.Registry
	Registry  *prometheus.Registry // metrics registry; default: a new one
	Logger    *zap.Logger
	// HTTPClient is the one client every adapter calls its provider with.
	// Default: built from cfg.Server.Upstream (see internal/upstream).
	HTTPClient *http.Client
	Prices     config.PriceTable
	Breaker    health.BreakerConfig // default: from cfg.Server.Breaker
	Now        func() time.Time
	Rand       *rand.Rand
	// ResponseStore keeps Responses API responses for GET and
	// previous_response_id. Default: Redis when state.backend is redis
	// (DefaultResponseTTL), else in memory (DefaultResponseTTL and
	// DefaultResponseBytes).
	ResponseStore responsestore.Store
	// Tracer opens a span per request and per attempt (nil: no tracing;
	// see telemetry.NewTracing).
	Tracer trace.Tracer
}

// Defaults of the in-memory response store.
const (
	DefaultResponseTTL   = time.Hour
	DefaultResponseBytes = 64 << 20
)

// Gateway is a built gateway. Close it when done.
type Gateway struct {
	gov      *governance
	stop     context.CancelFunc
	Server   *server.Server
	Health   *health.Tracker
	Metrics  *telemetry.Metrics
	Registry *prometheus.Registry
	Catalog  *catalog.Catalog // the routes built at start (a reload swaps the server's)

	o    Options
	deps providers.Deps
	// mu serialises reloads; cfg and current are the config serving now.
	mu         sync.Mutex
	cfg        *config.Config
	current    *built
	states     atomic.Pointer[map[string]prometheus.Gauge] // deployment -> windrose_deployment_state
	reloadHash [32]byte                                    // of the file last loaded by ReloadFile
	own        *http.Client                                // the upstream client New built, if it did
}

// Close releases the adapters' own connections (an adapter that
// implements io.Closer, such as Vertex's gRPC client), stops sharing state
// with other replicas, closes the Redis client, if any, and the idle
// connections of the upstream client it built itself. Call it after
// the HTTP server has drained.
func (g *Gateway) Close() error {
	if g.stop != nil {
		g.stop()
	}
	if g.gov != nil {
		g.gov.close()
	}
	if g.own != nil {
		g.own.CloseIdleConnections()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.current == nil {
		return nil
	}
	return g.current.closeErr()
}

// New builds a gateway from cfg.
func New(cfg *config.Config, o Options) (*Gateway, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	var own *http.Client // built here from server.upstream, so closed here
	if o.HTTPClient == nil {
		c, err := upstream.NewClient(cfg.Server.Upstream)
		if err != nil {
			return nil, err
		}
		o.HTTPClient, own = c, c
	}
	if o.Breaker == (health.BreakerConfig{}) {
		b := cfg.Server.Breaker
		o.Breaker = health.BreakerConfig{
			ConsecutiveFailures: b.ConsecutiveFailures, FailureRate: b.FailureRate, MinRequests: b.MinRequests,
			Window: b.Window.D(), OpenFor: b.OpenFor.D(), HalfOpenProbes: b.HalfOpenProbes,
			ModelUnavailableOpenFor: b.ModelUnavailableOpenFor.D(),
		}
	}
	if msg := config.ClientAuthProblem(cfg); msg != "" {
		return nil, fmt.Errorf("server.listen: %s", msg)
	}
	metrics := telemetry.NewMetrics(o.Registry)
	metrics.ConfigLastReload.Set(float64(o.Now().Unix()))
	tracker := health.NewTracker(o.Breaker, o.Now)
	gov, err := buildGovernance(cfg, o.Registry, o.Logger, o.Now)
	if err != nil {
		return nil, err
	}
	if o.ResponseStore == nil {
		// Stored responses live where key state lives: shared by every
		// replica with Redis, else in this process.
		if gov.client != nil {
			o.ResponseStore = responsestore.NewRedis(gov.client, cfg.State.Prefix, DefaultResponseTTL)
		} else {
			o.ResponseStore = responsestore.NewMemory(DefaultResponseTTL, DefaultResponseBytes, o.Now)
		}
	}
	g := &Gateway{gov: gov, Health: tracker, Metrics: metrics, Registry: o.Registry, o: o, cfg: cfg, own: own,
		deps: providers.Deps{HTTPClient: o.HTTPClient, Logger: o.Logger}}
	sn, err := g.build(cfg)
	if err != nil {
		gov.close()
		return nil, err
	}
	g.Catalog = sn.catalog
	g.adopt(sn)
	tracker.OnChange(func(dep string, s health.State) {
		if st, ok := (*g.states.Load())[dep]; ok {
			st.Set(float64(s))
		}
		if s == health.Open {
			gov.breakerOpened(dep, tracker.OpenFor(), o.Now)
		}
	})
	var ctx context.Context
	ctx, g.stop = context.WithCancel(context.Background())
	gov.share(ctx, tracker, o.Now)
	exec := executor.New(executor.Options{Health: tracker, Metrics: metrics, Logger: o.Logger, Rand: o.Rand, Now: o.Now, Tracer: o.Tracer,
		RequestTimeout: cfg.Server.RequestTimeout.D()})
	g.Server = server.New(server.Options{
		Catalog: g.Catalog, Executor: exec, Metrics: metrics, Gatherer: o.Registry, Logger: o.Logger,
		Status: tracker.Status, MaxBodyBytes: int64(cfg.Server.MaxBodyBytes),
		PreferRegion: cfg.Server.PreferRegion, Keys: gov.keys, Governor: gov.governor, LogBodies: cfg.Server.LogBodies, Now: o.Now,
		Responses: o.ResponseStore, Tracer: o.Tracer,
		BodyReadTimeout: cfg.Server.BodyReadTimeout.D(), StreamWriteTimeout: cfg.Server.StreamWriteTimeout.D(),
		MaxInFlight: cfg.Server.MaxInFlight, AllowPinning: cfg.Server.PinningAllowed(),
		SeparateAdmin: cfg.Server.AdminListen != "",
	})
	g.Server.Current().Drained = sn.close
	return g, nil
}

func buildRoute(cfg *config.Config, m *config.Model, o Options, deps providers.Deps, metrics *telemetry.Metrics) (*executor.Route, error) {
	rt := executor.NewRoute(executor.RouteConfig{
		Model:             router.Model{Name: m.Name, Strategy: m.Strategy, Regions: m.Regions},
		Attempts:          m.Attempts,
		AttemptTimeout:    m.AttemptTimeout.D(),
		FirstTokenTimeout: m.FirstTokenTimeout.Fixed.D(),
		StallTimeout:      m.StallTimeout.D(),
	})
	rt.ResumeMode, rt.ResumeMax = m.Resume.Mode, m.Resume.Max
	if m.Hedge != nil {
		rt.HedgeAfter, rt.HedgeBudget = m.Hedge.After.D(), m.Hedge.Budget
	}
	for j := range m.Deployments {
		d := &m.Deployments[j]
		// Headers and metric labels name the region, or the geo where the
		// provider has none (Mistral's and OpenRouter's single endpoints).
		region := d.Region
		if region == "" {
			region = d.Geo
		}
		client, err := o.Providers.Build(*d, deps)
		if err != nil {
			return nil, fmt.Errorf("models[%s].deployments[%s]: %w", m.Name, d.Name, err)
		}
		price, hasPrice := cfg.PriceFor(d, o.Prices)
		rt.Model.Deployments = append(rt.Model.Deployments, router.Deployment{
			Name: d.Name, Provider: d.Provider, Region: d.Region, Geo: d.Geo,
			Weight: d.Weight, Priority: d.Priority,
			InputPerMTok: price.InputPerMTok, OutputPerMTok: price.OutputPerMTok, HasPrice: hasPrice,
			Caps: providers.CapabilitiesOf(client),
		})
		rt.Targets = append(rt.Targets, &executor.Target{
			Name: d.Name, Provider: d.Provider, Model: d.Model, Region: region, Geo: d.Geo,
			Client: client, Metrics: metrics.ForVersion(d.Provider, d.Name, region, m.Name, d.ModelVersion),
			Price: price, HasPrice: hasPrice,
			ModelVersion: d.ModelVersion, ContextWindow: d.ContextWindow, FirstToken: firstToken(m),
		})
	}
	return rt, nil
}

// firstToken is the first-token bound of m's deployments: fixed, or
// adaptive from each deployment's own history (first_token_timeout: auto).
func firstToken(m *config.Model) executor.FirstTokenBound {
	if !m.FirstTokenTimeout.Auto {
		return executor.FirstTokenBound{Fixed: m.FirstTokenTimeout.Fixed.D()}
	}
	a := m.FirstTokenAuto
	return executor.FirstTokenBound{
		Floor: a.Floor.D(), Ceiling: a.Ceiling.D(), ColdStart: a.ColdStart.D(), Factor: a.Factor,
		PerKPromptTokens: a.PerKPromptTokens.D(), MinSamples: a.MinSamples,
	}
}
