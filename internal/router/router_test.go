package router

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/health"
)

// The breaker tracker is what the server passes as Health.
var _ Health = (*health.Tracker)(nil)

// fakeHealth marks the named deployments unusable and reports fixed TTFTs.
type fakeHealth struct {
	down []string
	ttft map[string]time.Duration
}

func (f fakeHealth) Usable(d string) bool        { return !slices.Contains(f.down, d) }
func (f fakeHealth) TTFT(d string) time.Duration { return f.ttft[d] }
func newRand() *rand.Rand                        { return rand.New(rand.NewPCG(1, 2)) }
func dep(name, region, geo string, w, prio int) Deployment {
	return Deployment{Name: name, Provider: "mistral", Region: region, Geo: geo, Weight: w, Priority: prio}
}

// regional is a model with deployments in several regions and geos.
func regional() *Model {
	return &Model{Name: "mistral-medium", Deployments: []Deployment{
		dep("mistral-eu", "eu-west", "eu", 1, 0),      // 0
		dep("bedrock-us", "us-east-1", "us", 1, 0),    // 1
		dep("azure-swe", "swedencentral", "eu", 1, 0), // 2
		dep("vertex-eu", "europe-west4", "eu", 1, 1),  // 3
		dep("openrouter", "", "global", 1, 1),         // 4
		dep("unplaced", "", "", 1, 0),                 // 5: no region at all
	}}
}

// outcome is what a routing test compares: the set of planned deployments
// (order is tested elsewhere), the skips, and the error's fields.
type outcome struct {
	Attempts []int
	Skipped  []Skip
	Kind     gwerr.Kind
	Code     string
	Param    string
	Message  string
}

func outcomeOf(t *testing.T, p Plan, err error) outcome {
	t.Helper()
	o := outcome{Attempts: slices.Sorted(slices.Values(p.Attempts)), Skipped: p.Skipped}
	if err != nil {
		var e *gwerr.Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v is not a *gwerr.Error", err)
		}
		o.Kind, o.Code, o.Param, o.Message = e.Kind, e.Code, e.Param, e.Message
	}
	return o
}

func skips(reason string, idx ...int) []Skip {
	var out []Skip
	for _, i := range idx {
		out = append(out, Skip{i, reason})
	}
	return out
}

func TestRegions(t *testing.T) {
	tests := []struct {
		name   string
		model  []string // model rule
		req    Request
		health fakeHealth
		want   outcome
	}{
		{
			// No rule: everything is eligible, even a deployment without a region.
			name: "no rules",
			want: outcome{Attempts: []int{0, 1, 2, 3, 4, 5}},
		},
		{
			// A geo in the header selects every deployment of that geo, across tiers.
			name: "header geo",
			req:  Request{Regions: []string{"eu"}},
			want: outcome{Attempts: []int{0, 2, 3}, Skipped: skips("region", 1, 4, 5)},
		},
		{
			// Matching ignores case and stray spaces around a token.
			name: "header geo case-insensitive",
			req:  Request{Regions: []string{" EU "}},
			want: outcome{Attempts: []int{0, 2, 3}, Skipped: skips("region", 1, 4, 5)},
		},
		{
			// An exact region id selects only that region, not its whole geo.
			name: "header exact region",
			req:  Request{Regions: []string{"eu-west"}},
			want: outcome{Attempts: []int{0}, Skipped: skips("region", 1, 2, 3, 4, 5)},
		},
		{
			// Several header values are alternatives.
			name: "header list is a union",
			req:  Request{Regions: []string{"us", "global"}},
			want: outcome{Attempts: []int{1, 4}, Skipped: skips("region", 0, 2, 3, 5)},
		},
		{
			// The model's residency rule applies with no header at all.
			name:  "model rule",
			model: []string{"eu"},
			want:  outcome{Attempts: []int{0, 2, 3}, Skipped: skips("region", 1, 4, 5)},
		},
		{
			// A header can narrow the model's rule...
			name:  "header narrows model rule",
			model: []string{"eu"},
			req:   Request{Regions: []string{"swedencentral"}},
			want:  outcome{Attempts: []int{2}, Skipped: skips("region", 0, 1, 3, 4, 5)},
		},
		{
			// ...but never widen it: the intersection is empty, so fail closed.
			name:  "header cannot widen model rule",
			model: []string{"eu"},
			req:   Request{Regions: []string{"us"}},
			want: outcome{Kind: gwerr.Unavailable, Code: "region_unavailable", Skipped: skips("region", 0, 1, 2, 3, 4, 5),
				Message: `no deployment of model "mistral-medium" is in region "eu" (model config) and region "us" (X-Windrose-Region)`},
		},
		{
			// The key policy alone restricts too.
			name: "policy rule",
			req:  Request{PolicyRegions: []string{"us"}},
			want: outcome{Attempts: []int{1}, Skipped: skips("region", 0, 2, 3, 4, 5)},
		},
		{
			// All three rules at once: the strictest wins.
			name:  "intersection of model, header and policy",
			model: []string{"eu", "us"},
			req:   Request{Regions: []string{"eu"}, PolicyRegions: []string{"europe-west4", "us-east-1"}},
			want:  outcome{Attempts: []int{3}, Skipped: skips("region", 0, 1, 2, 4, 5)},
		},
		{
			// The error names the rule that emptied the plan, as the client sent it.
			name: "none eligible",
			req:  Request{Regions: []string{"us-west-2"}},
			want: outcome{Kind: gwerr.Unavailable, Code: "region_unavailable", Skipped: skips("region", 0, 1, 2, 3, 4, 5),
				Message: `no deployment of model "mistral-medium" is in region "us-west-2" (X-Windrose-Region); "us-west-2" is not the region or geo of any deployment of this model`},
		},
		{
			// An unknown token is just a filter that matches nothing; the
			// error says which tokens were unknown, once each.
			name: "unknown token among known",
			req:  Request{Regions: []string{"mars", "us", "MARS"}, PolicyRegions: []string{"eu", "venus"}},
			want: outcome{Kind: gwerr.Unavailable, Code: "region_unavailable", Skipped: skips("region", 0, 1, 2, 3, 4, 5),
				Message: `no deployment of model "mistral-medium" is in region "mars" or "us" or "MARS" (X-Windrose-Region) and region "eu" or "venus" (API key policy); "mars", "venus" are not the region or geo of any deployment of this model`},
		},
		{
			// A blank entry never matches a deployment whose region is blank.
			name: "blank token matches nothing",
			req:  Request{Regions: []string{""}},
			want: outcome{Kind: gwerr.Unavailable, Code: "region_unavailable", Skipped: skips("region", 0, 1, 2, 3, 4, 5),
				Message: `no deployment of model "mistral-medium" is in region "" (X-Windrose-Region); "" is not the region or geo of any deployment of this model`},
		},
		{
			// Unhealthy in-region deployments are dropped, never replaced
			// by healthy out-of-region ones.
			name:   "all in-region unhealthy never leaves the region",
			req:    Request{Regions: []string{"eu"}},
			health: fakeHealth{down: []string{"mistral-eu", "azure-swe", "vertex-eu"}},
			want: outcome{Kind: gwerr.Unavailable, Code: "no_healthy_deployment",
				Skipped: []Skip{{0, "unhealthy"}, {1, "region"}, {2, "unhealthy"}, {3, "unhealthy"}, {4, "region"}, {5, "region"}},
				Message: `no healthy deployment of model "mistral-medium": all 3 deployments allowed by the region rules are failing or cooling down`},
		},
		{
			// Some unhealthy: the rest are planned and the skips say why.
			name:   "some unhealthy",
			req:    Request{Regions: []string{"eu"}},
			health: fakeHealth{down: []string{"azure-swe"}},
			want:   outcome{Attempts: []int{0, 3}, Skipped: []Skip{{1, "region"}, {2, "unhealthy"}, {4, "region"}, {5, "region"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := regional()
			m.Regions = tt.model
			p, err := Route(m, tt.req, tt.health, newRand())
			if diff := cmp.Diff(tt.want, outcomeOf(t, p, err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPin(t *testing.T) {
	tests := []struct {
		name   string
		model  []string
		req    Request
		health fakeHealth
		want   outcome
	}{
		{
			// The pinned deployment alone: no failover.
			name: "pinned",
			req:  Request{Pin: "azure-swe"},
			want: outcome{Attempts: []int{2}, Skipped: skips("pin", 0, 1, 3, 4, 5)},
		},
		{
			// Debugging must reach a sick deployment.
			name:   "pinned unhealthy still planned",
			req:    Request{Pin: "azure-swe"},
			health: fakeHealth{down: []string{"azure-swe"}},
			want:   outcome{Attempts: []int{2}, Skipped: skips("pin", 0, 1, 3, 4, 5)},
		},
		{
			// A typo is the client's error, named by its header.
			name: "unknown pin",
			req:  Request{Pin: "azure-sw"},
			want: outcome{Kind: gwerr.InvalidRequest, Param: "X-Windrose-Deployment", Code: "deployment_not_found",
				Message: `model "mistral-medium" has no deployment "azure-sw"`},
		},
		{
			// Names are exact: no case folding that could pick a surprise.
			name: "pin is case-sensitive",
			req:  Request{Pin: "Azure-SWE"},
			want: outcome{Kind: gwerr.InvalidRequest, Param: "X-Windrose-Deployment", Code: "deployment_not_found",
				Message: `model "mistral-medium" has no deployment "Azure-SWE"`},
		},
		{
			// A pin never escapes the client's own region header.
			name: "pin outside header region",
			req:  Request{Pin: "bedrock-us", Regions: []string{"eu"}},
			want: outcome{Kind: gwerr.Unavailable, Code: "region_unavailable",
				Skipped: []Skip{{0, "pin"}, {1, "region"}, {2, "pin"}, {3, "pin"}, {4, "pin"}, {5, "pin"}},
				Message: `deployment "bedrock-us" of model "mistral-medium" is not in region "eu" (X-Windrose-Region)`},
		},
		{
			// Nor the model's residency rule or the key's policy.
			name:  "pin outside model and policy rules",
			model: []string{"eu"},
			req:   Request{Pin: "openrouter", PolicyRegions: []string{"eu"}},
			want: outcome{Kind: gwerr.Unavailable, Code: "region_unavailable",
				Skipped: []Skip{{0, "pin"}, {1, "pin"}, {2, "pin"}, {3, "pin"}, {4, "region"}, {5, "pin"}},
				Message: `deployment "openrouter" of model "mistral-medium" is not in region "eu" (model config) and region "eu" (API key policy)`},
		},
		{
			// Inside every rule the pin works as usual.
			name:  "pin inside rules",
			model: []string{"eu"},
			req:   Request{Pin: "vertex-eu", Regions: []string{"europe-west4"}, PolicyRegions: []string{"eu"}},
			want:  outcome{Attempts: []int{3}, Skipped: skips("pin", 0, 1, 2, 4, 5)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := regional()
			m.Regions = tt.model
			p, err := Route(m, tt.req, tt.health, newRand())
			if diff := cmp.Diff(tt.want, outcomeOf(t, p, err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	one := &Model{Name: "m", Deployments: []Deployment{dep("a", "eu-west", "eu", 1, 0)}}
	two := &Model{Name: "m", Deployments: []Deployment{dep("a", "eu-west", "eu", 1, 0), dep("b", "us-east-1", "us", 1, 0)}}
	tests := []struct {
		name   string
		model  *Model
		rnd    *rand.Rand
		health Health
		want   outcome
	}{
		{
			// Wiring mistakes are errors, not panics.
			name: "nil model",
			rnd:  newRand(),
			want: outcome{Kind: gwerr.Internal, Message: "router: no model given"},
		},
		{
			name:  "nil rand",
			model: one,
			want:  outcome{Kind: gwerr.Internal, Message: "router: no random source given"},
		},
		{
			// An empty model cannot serve: 503, not a panic on index 0.
			name:  "no deployments",
			model: &Model{Name: "m"},
			rnd:   newRand(),
			want:  outcome{Kind: gwerr.Unavailable, Code: "no_deployment", Message: `model "m" has no deployments`},
		},
		{
			// A strategy typo is caught, not silently treated as weighted.
			name:  "unknown strategy",
			model: &Model{Name: "m", Strategy: "fastest", Deployments: one.Deployments},
			rnd:   newRand(),
			want:  outcome{Kind: gwerr.Internal, Message: `model "m" has unknown routing strategy "fastest"`},
		},
		{
			// Singular wording for a one-deployment model.
			name:   "only deployment unhealthy",
			model:  one,
			rnd:    newRand(),
			health: fakeHealth{down: []string{"a"}},
			want: outcome{Kind: gwerr.Unavailable, Code: "no_healthy_deployment", Skipped: skips("unhealthy", 0),
				Message: `no healthy deployment of model "m": the only deployment is failing or cooling down`},
		},
		{
			// Without region rules the message does not mention them.
			name:   "all unhealthy",
			model:  two,
			rnd:    newRand(),
			health: fakeHealth{down: []string{"a", "b"}},
			want: outcome{Kind: gwerr.Unavailable, Code: "no_healthy_deployment", Skipped: skips("unhealthy", 0, 1),
				Message: `no healthy deployment of model "m": all 2 deployments are failing or cooling down`},
		},
		{
			// A nil Health means no health information: everything usable.
			name:  "nil health",
			model: two,
			rnd:   newRand(),
			want:  outcome{Attempts: []int{0, 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Route(tt.model, Request{}, tt.health, tt.rnd)
			if diff := cmp.Diff(tt.want, outcomeOf(t, p, err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDeterministic: Route is a pure function, so the same inputs and seed
// give the same plans.
func TestDeterministic(t *testing.T) {
	plans := func() [][]int {
		r := newRand()
		var out [][]int
		for range 50 {
			p, err := Route(regional(), Request{}, nil, r)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p.Attempts)
		}
		return out
	}
	if diff := cmp.Diff(plans(), plans()); diff != "" {
		t.Errorf("(-first +second):\n%s", diff)
	}
}
