// Package router plans which deployments a request tries, in which order.
//
// Route is a pure function of the model's deployments, the request's routing
// rules, a health view and a random source: no clock, no I/O, so every
// decision can be replayed in a test. Region rules are applied first and
// fail closed; unhealthy deployments are dropped; the rest are ordered by
// priority tier, then inside each tier by the model's strategy.
package router

import (
	"math/rand/v2"
	"time"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

// Strategies order deployments inside a priority tier.
const (
	// Weighted draws deployments at random in proportion to their weight,
	// without replacement. It is the default ("" means Weighted).
	Weighted = "weighted"
	// Latency picks the better of two random deployments by recent time to
	// first token, then orders the rest by it.
	Latency = "latency"
	// Cost orders by input+output price, cheapest first, unpriced last.
	Cost = "cost"
)

// Skip reasons.
const (
	reasonRegion    = "region"
	reasonUnhealthy = "unhealthy"
	reasonPin       = "pin"
)

// Deployment is what the router needs to know about one deployment.
type Deployment struct {
	Name     string
	Provider string
	Region   string // the provider's region id, e.g. "eu-west-1"
	Geo      string // the region's geo, e.g. "eu"
	// Weight is the deployment's share inside its tier. A weight of 0 or less
	// puts it after every weighted deployment of its tier.
	Weight int
	// Priority is the tier; lower tiers are tried first.
	Priority int
	// InputPerMTok and OutputPerMTok are USD per million tokens; they are
	// meaningful only when HasPrice is set.
	InputPerMTok, OutputPerMTok float64
	HasPrice                    bool
	// Caps is what the deployment's adapter can serve (llm.CapsDefault
	// when it declares nothing).
	Caps llm.Capability
}

// Model is one model alias and the deployments that serve it.
type Model struct {
	Name string
	// Strategy is Weighted (or ""), Latency or Cost.
	Strategy string
	// Regions is the model's residency rule: geos or region ids. Empty means
	// any region.
	Regions     []string
	Deployments []Deployment
}

// Health is the router's view of deployment health. *health.Tracker
// implements it.
type Health interface {
	// Usable reports whether the deployment may be planned.
	Usable(deployment string) bool
	// TTFT is the recent time to first token, 0 when unknown.
	TTFT(deployment string) time.Duration
}

// Request holds a request's routing inputs.
type Request struct {
	// Regions is the X-Windrose-Region header's values, already split on
	// commas. Empty means any region.
	Regions []string
	// PolicyRegions is what the caller's API key policy forces
	// (keys[].regions; the server sets it when it admits the key). Empty
	// means any region. It filters like the other region rules, a pin
	// included: no deployment left is a region_unavailable refusal, never
	// a route out of region.
	PolicyRegions []string
	// Pin is X-Windrose-Deployment: only this deployment, whatever its
	// health, with no failover. Region rules still apply.
	Pin string
	// PreferRegion is server.prefer_region: inside each tier, deployments
	// whose geo or region matches come first.
	PreferRegion string
	// Needs is what the request needs of its deployment (llm.Needs): only
	// deployments with all of it are planned.
	Needs llm.Capability
}

// Plan is the ordered list of attempts for one request.
type Plan struct {
	// Attempts are indexes into Model.Deployments, in the order to try them.
	// Each deployment appears at most once.
	Attempts []int
	// Skipped lists the deployments left out and why, for logs and metrics.
	Skipped []Skip
}

// Skip is a deployment left out of a Plan.
type Skip struct {
	Index  int    // into Model.Deployments
	Reason string // "region", "unhealthy" or "pin"
}

// Route plans the attempts for one request to m. h may be nil (every
// deployment healthy, latency unknown); rnd must not be nil.
//
// Errors are *gwerr.Error: Unavailable with Code "region_unavailable" when
// no deployment satisfies the region rules, Unavailable with Code
// "no_healthy_deployment" when every deployment in region is unhealthy,
// InvalidRequest with Param "X-Windrose-Deployment" when Pin names no
// deployment of m. On error the returned Plan still lists what was skipped.
func Route(m *Model, req Request, h Health, rnd *rand.Rand) (Plan, error) {
	if err := check(m, rnd); err != nil {
		return Plan{}, err
	}
	rules := [...]rule{
		{m.Regions, "model config"},
		{req.Regions, "X-Windrose-Region"},
		{req.PolicyRegions, "API key policy"},
	}
	if req.Needs != 0 {
		if err := capable(m, req.Needs, req.Pin); err != nil {
			return Plan{}, err
		}
	}
	if req.Pin != "" {
		return routePin(m, req.Pin, rules[:])
	}

	plan := Plan{Attempts: make([]int, 0, len(m.Deployments))}
	inRegion := 0
	for i := range m.Deployments {
		d := &m.Deployments[i]
		switch {
		case d.Caps&req.Needs != req.Needs:
			plan.Skipped = append(plan.Skipped, Skip{i, reasonCapability})
		case !inRegions(d, rules[:]):
			plan.Skipped = append(plan.Skipped, Skip{i, reasonRegion})
		case h != nil && !h.Usable(d.Name):
			inRegion++
			plan.Skipped = append(plan.Skipped, Skip{i, reasonUnhealthy})
		default:
			inRegion++
			plan.Attempts = append(plan.Attempts, i)
		}
	}
	switch {
	case inRegion == 0:
		return Plan{Skipped: plan.Skipped}, regionError(m, rules[:], nil)
	case len(plan.Attempts) == 0:
		return Plan{Skipped: plan.Skipped}, noHealthyError(m, inRegion, rules[:])
	}
	o := orderer{m: m, h: h, rnd: rnd}
	o.order(plan.Attempts, req.PreferRegion)
	return plan, nil
}

// check rejects inputs Route cannot plan with, instead of panicking on them.
func check(m *Model, rnd *rand.Rand) error {
	switch {
	case m == nil:
		return gwerr.New(gwerr.Internal, "router: no model given")
	case rnd == nil:
		return gwerr.New(gwerr.Internal, "router: no random source given")
	case len(m.Deployments) == 0:
		return &gwerr.Error{Kind: gwerr.Unavailable, Code: "no_deployment",
			Message: "model " + quote(m.Name) + " has no deployments"}
	}
	switch m.Strategy {
	case "", Weighted, Latency, Cost:
		return nil
	}
	return gwerr.New(gwerr.Internal, "model %q has unknown routing strategy %q", m.Name, m.Strategy)
}

// routePin plans the one pinned deployment, healthy or not: pinning is for
// debugging, which must be able to reach a sick deployment.
func routePin(m *Model, pin string, rules []rule) (Plan, error) {
	at := -1
	for i := range m.Deployments {
		if m.Deployments[i].Name == pin {
			at = i
			break
		}
	}
	if at < 0 {
		return Plan{}, &gwerr.Error{
			Kind:    gwerr.InvalidRequest,
			Param:   "X-Windrose-Deployment",
			Code:    "deployment_not_found",
			Message: "model " + quote(m.Name) + " has no deployment " + quote(pin),
		}
	}
	inRegion := inRegions(&m.Deployments[at], rules)
	skipped := make([]Skip, 0, len(m.Deployments))
	for i := range m.Deployments {
		switch {
		case i != at:
			skipped = append(skipped, Skip{i, reasonPin})
		case !inRegion:
			skipped = append(skipped, Skip{i, reasonRegion})
		}
	}
	if !inRegion {
		return Plan{Skipped: skipped}, regionError(m, rules, &m.Deployments[at])
	}
	return Plan{Attempts: []int{at}, Skipped: skipped}, nil
}
