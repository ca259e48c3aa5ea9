// Package executor walks a routing plan: it makes the attempts, applies the
// retry classes, timeouts, Retry-After cooldowns and breaker updates, hedges
// slow attempts, and meters every attempt. A stream commits to its deployment
// at the first content event; nothing is retried after that.
package executor

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/router"
	"github.com/windrose-gw/windrose/internal/telemetry"
	"github.com/windrose-gw/windrose/providers"
)

// Health is what the executor needs of the breakers (internal/health.Tracker).
type Health interface {
	router.Health
	Acquire(deployment string) bool
	Release(deployment string)
	Success(deployment string, ttft time.Duration)
	Failure(deployment string, kind gwerr.Kind)
	Cooldown(deployment string, d time.Duration)
	CooldownRemaining(deployment string) time.Duration
	P95TTFT(deployment string) time.Duration
}

// Target is one deployment ready to call: its configuration and adapter,
// built afresh by every reload, and its telemetry handles.
type Target struct {
	Name     string
	Provider string // adapter kind, e.g. "mistral"
	Model    string // the provider's own model id
	Region   string
	Geo      string
	Client   providers.Provider
	// Metrics are handles to the deployment's series, looked up by their
	// labels: a reload that keeps the labels finds the same series.
	Metrics  *telemetry.Deployment
	Price    config.Price
	HasPrice bool
	// ModelVersion is the deployment's declared model_version ("3.1"),
	// "" when undeclared: sent as X-Windrose-Model-Version.
	ModelVersion string
	// ContextWindow is the declared context window in tokens, 0 when
	// undeclared (see the context-length rule in walk.contextLengthNext).
	ContextWindow int
	// FirstToken bounds the wait for a stream's first content: fixed or
	// adaptive (see FirstTokenBound).
	FirstToken FirstTokenBound

	// unavailLogged and mismatchLogged say the deployment's
	// model_unavailable error and model mismatch were logged: each once
	// per deployment until it recovers.
	// A reload builds new targets, which log a still-broken deployment
	// once more (breaker, cooldown and latency state are the health
	// tracker's, by name, and carry over).
	unavailLogged, mismatchLogged atomic.Bool

	headersOnce sync.Once
	headers     HeaderValues
}

// HeaderValues are a deployment's routing header values (X-Windrose-*),
// each a one-element slice to put in an http.Header as it is: built once
// per target instead of once per response. net/http never writes into a
// header's value slice (Clone copies, Add appends past its capacity).
type HeaderValues struct {
	Provider, Deployment, Region []string
	ModelVersion                 []string // nil when undeclared
}

// HeaderValues returns t's routing header values.
func (t *Target) HeaderValues() *HeaderValues {
	t.headersOnce.Do(func() {
		t.headers = HeaderValues{Provider: []string{t.Provider}, Deployment: []string{t.Name}, Region: []string{t.Region}}
		if t.ModelVersion != "" {
			t.headers.ModelVersion = []string{t.ModelVersion}
		}
	})
	return &t.headers
}

// Route is a model alias compiled for execution: RouteConfig, which a
// reload replaces whole, and Live, what the model accumulates while
// serving, which a reload of the same model carries over (Carry).
type Route struct {
	RouteConfig
	Live *Live
}

// RouteConfig is the part of a route that comes from the config snapshot.
type RouteConfig struct {
	Model   router.Model
	Targets []*Target // parallel to Model.Deployments

	Attempts          int
	AttemptTimeout    time.Duration
	FirstTokenTimeout time.Duration
	StallTimeout      time.Duration

	// Hedging: off when HedgeBudget is 0. HedgeAfter 0 means the primary's
	// observed p95 time to first token.
	HedgeAfter  time.Duration
	HedgeBudget float64

	// Resume heals a stream broken after commit: ResumeMode is "off"
	// (or ""), "prefix" or "prefix_or_replay"; ResumeMax caps resumes.
	ResumeMode string
	ResumeMax  int
}

// Live is what a model accumulates while serving: the counts its hedge
// budget is a share of. Safe for concurrent use, by the routes of two
// snapshots at once while the old one drains.
type Live struct {
	requests atomic.Int64 // requests that reached a walk
	hedges   atomic.Int64 // hedges started
}

// Requests returns how many requests the model has walked.
func (l *Live) Requests() int64 { return l.requests.Load() }

// Hedges returns how many hedges the model has started.
func (l *Live) Hedges() int64 { return l.hedges.Load() }

// NewRoute returns a route serving c with fresh live state. Routes are
// built with it: a Route without Live cannot serve.
func NewRoute(c RouteConfig) *Route { return &Route{RouteConfig: c, Live: new(Live)} }

// Carry makes rt, built from a new config, continue old's live state
// (its hedge budget counts). Call it before rt serves.
func (rt *Route) Carry(old *Route) { rt.Live = old.Live }

// Result describes how a request was served.
type Result struct {
	Target    *Target // the deployment that answered; nil if none did
	Attempts  int     // attempts started, hedges included
	Committed bool    // a stream reached the client (errors after this are in-band)
	// Upstream is the time the request spent waiting on providers: the
	// walk over its attempts (backoffs included) and, on a stream, each
	// read of the next event. The rest of a request is windrose's overhead.
	Upstream time.Duration
	// Resumes are the resumes tried after a break, "deployment:result"
	// each (for the access log).
	Resumes []string
	// Broken are the deployments whose stream broke and was resumed, or
	// tried to be, in order (for the access log).
	Broken []string
}

// Executor runs requests. It is safe for concurrent use.
type Executor struct {
	health  Health
	metrics *telemetry.Metrics
	log     *zap.Logger

	rndMu sync.Mutex
	rnd   *rand.Rand

	// sleep waits for d or until ctx ends; replaced in tests.
	sleep  func(done <-chan struct{}, d time.Duration) bool
	now    func() time.Time
	tracer trace.Tracer
	// timeout is server.request_timeout (0: none), see deadline.
	timeout time.Duration
}

// Options configures an Executor.
type Options struct {
	Health  Health
	Metrics *telemetry.Metrics
	Logger  *zap.Logger
	Rand    *rand.Rand       // default: seeded from the clock
	Now     func() time.Time // default: time.Now
	Tracer  trace.Tracer     // a span per attempt; nil: no tracing
	// RequestTimeout bounds a whole request, every attempt and a committed
	// stream included (server.request_timeout); 0: no bound.
	RequestTimeout time.Duration
}

// New returns an Executor.
func New(o Options) *Executor {
	e := &Executor{health: o.Health, metrics: o.Metrics, log: o.Logger, rnd: o.Rand, now: o.Now, tracer: o.Tracer, timeout: o.RequestTimeout}
	if e.rnd == nil {
		e.rnd = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x9e3779b97f4a7c15))
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = zap.NewNop()
	}
	e.sleep = func(done <-chan struct{}, d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-done:
			return false
		}
	}
	return e
}

// plan asks the router for the order of attempts.
func (e *Executor) plan(rt *Route, rr router.Request) (router.Plan, error) {
	e.rndMu.Lock()
	p, err := router.Route(&rt.Model, rr, e.health, e.rnd)
	e.rndMu.Unlock()
	if err != nil {
		return p, e.planError(rt, rr, p, err)
	}
	return p, nil
}

// planError turns a router refusal into what the client should see: a
// region refusal is metered; deployments that are only cooling down after a
// Retry-After make a 429 with the shortest remaining wait.
func (e *Executor) planError(rt *Route, rr router.Request, p router.Plan, err error) error {
	ge := gwerr.As(err)
	switch ge.Code {
	case "region_unavailable":
		rule := "model"
		switch {
		case len(rr.PolicyRegions) > 0:
			rule = "policy"
		case len(rr.Regions) > 0:
			rule = "header"
		}
		e.metrics.RegionRejections.WithLabelValues(rt.Model.Name, rule).Inc()
	case "no_healthy_deployment":
		// Only deployments the region rules allowed count: a cooling US
		// deployment says nothing about when an EU-only request may retry.
		var wait time.Duration
		for _, s := range p.Skipped {
			if s.Reason != "unhealthy" {
				continue
			}
			if d := e.health.CooldownRemaining(rt.Targets[s.Index].Name); d > 0 && (wait == 0 || d < wait) {
				wait = d
			}
		}
		if wait > 0 {
			return &gwerr.Error{Kind: gwerr.RateLimited, Code: "rate_limit_exceeded", RetryAfter: wait,
				Message: "every deployment of model " + quote(rt.Model.Name) + " is rate limited; retry later", Err: err}
		}
	}
	return err
}

// pinCooldown refuses a pinned request while its deployment cools down
// after a provider's Retry-After: pinning skips breakers and failover, never
// the provider's own request to wait. The 429 says how long is left.
func (e *Executor) pinCooldown(rt *Route, p router.Plan) error {
	for _, i := range p.Attempts {
		t := rt.Targets[i]
		if d := e.health.CooldownRemaining(t.Name); d > 0 {
			return &gwerr.Error{Kind: gwerr.RateLimited, Code: "rate_limit_exceeded", RetryAfter: d,
				Message: fmt.Sprintf("deployment %q of model %q is cooling down after the provider's Retry-After; retry in %s",
					t.Name, rt.Model.Name, (d + time.Second - 1).Truncate(time.Second))}
		}
	}
	return nil
}

func (e *Executor) jitter(n int64) int64 {
	e.rndMu.Lock()
	defer e.rndMu.Unlock()
	return e.rnd.Int64N(n)
}

func quote(s string) string { return `"` + s + `"` }
