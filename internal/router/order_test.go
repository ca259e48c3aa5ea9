package router

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const plans = 10000

// shares routes m plans times and returns, for each deployment index, the
// share of plans that had it at position pos.
func shares(t *testing.T, m *Model, req Request, h Health, pos int) []float64 {
	t.Helper()
	r := newRand()
	counts := make([]float64, len(m.Deployments))
	for range plans {
		p, err := Route(m, req, h, r)
		if err != nil {
			t.Fatal(err)
		}
		counts[p.Attempts[pos]]++
	}
	for i := range counts {
		counts[i] /= plans
	}
	return counts
}

func near(t *testing.T, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > 0.02 {
			t.Errorf("deployment %d: share %.4f, want %.4f ±0.02 (all: %.4f)", i, got[i], want[i], got)
		}
	}
}

func weightedModel(weights ...int) *Model {
	m := &Model{Name: "m"}
	for i, w := range weights {
		m.Deployments = append(m.Deployments, dep(fmt.Sprint("d", i), "eu-west", "eu", w, 0))
	}
	return m
}

func TestWeightedShares(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
		pos     int
		want    []float64
	}{
		// First choice follows the weights.
		{name: "3:1 first", weights: []int{3, 1}, want: []float64{0.75, 0.25}},
		{name: "5:3:2 first", weights: []int{5, 3, 2}, want: []float64{0.5, 0.3, 0.2}},
		// The second draw is by weight among those left: without
		// replacement, P(second=d1) = .5*3/5 + .2*3/8 = .375.
		{name: "5:3:2 second", weights: []int{5, 3, 2}, pos: 1, want: []float64{0.3*5/7 + 0.2*5/8, 0.375, 0.5*2/5 + 0.3*2/7}},
		// Zero weight is a last resort: never first while others have weight.
		{name: "zero weight last", weights: []int{0, 1, 1}, want: []float64{0, 0.5, 0.5}},
		{name: "zero weight position 2", weights: []int{0, 1, 1}, pos: 2, want: []float64{1, 0, 0}},
		// Absurd weights neither overflow nor panic.
		{name: "huge weights", weights: []int{math.MaxInt, math.MaxInt}, want: []float64{0.5, 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			near(t, shares(t, weightedModel(tt.weights...), Request{}, nil, tt.pos), tt.want)
		})
	}
}

// TestPlanShape checks over many plans that each eligible deployment appears
// exactly once and that tiers come in ascending priority order.
func TestPlanShape(t *testing.T) {
	m := &Model{Name: "m", Deployments: []Deployment{
		dep("a", "r", "g", 5, 2), dep("b", "r", "g", 3, 0), dep("c", "r", "g", 2, 1),
		dep("d", "r", "g", 1, 0), dep("e", "r", "g", 4, 1), dep("f", "r", "g", 0, 0),
	}}
	for _, strategy := range []string{Weighted, Latency, Cost} {
		t.Run(strategy, func(t *testing.T) {
			m.Strategy = strategy
			r := newRand()
			h := fakeHealth{ttft: map[string]time.Duration{"b": time.Second, "e": time.Millisecond}}
			for range 1000 {
				p, err := Route(m, Request{}, h, r)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff([]int{0, 1, 2, 3, 4, 5}, slices.Sorted(slices.Values(p.Attempts))); diff != "" {
					t.Fatalf("plan %v is not a permutation (-want +got):\n%s", p.Attempts, diff)
				}
				var prios []int
				for _, i := range p.Attempts {
					prios = append(prios, m.Deployments[i].Priority)
				}
				if diff := cmp.Diff([]int{0, 0, 0, 1, 1, 2}, prios); diff != "" {
					t.Fatalf("plan %v tiers (-want +got):\n%s", p.Attempts, diff)
				}
			}
		})
	}
}

func TestLatency(t *testing.T) {
	ms := time.Millisecond
	m := &Model{Name: "m", Strategy: Latency, Deployments: []Deployment{
		dep("slow", "r", "g", 1, 0), dep("fast", "r", "g", 1, 0), dep("mid", "r", "g", 1, 0),
	}}
	h := fakeHealth{ttft: map[string]time.Duration{"slow": 300 * ms, "fast": 100 * ms, "mid": 200 * ms}}

	// Power of two choices: the pair {fast, x} picks fast (2 of 3 pairs),
	// {mid, slow} picks mid, and the slowest is never first.
	near(t, shares(t, m, Request{}, h, 0), []float64{0, 2.0 / 3, 1.0 / 3})

	// After the first, the rest go fastest first.
	r := newRand()
	for range 200 {
		p, _ := Route(m, Request{}, h, r)
		var rest []time.Duration
		for _, i := range p.Attempts[1:] {
			rest = append(rest, h.ttft[m.Deployments[i].Name])
		}
		if !slices.IsSorted(rest) {
			t.Fatalf("plan %v: rest not by TTFT: %v", p.Attempts, rest)
		}
	}

	// An unknown TTFT counts as 0, so a new deployment wins every pair it
	// is in (3 of 6 pairs among four) and gets explored.
	m.Deployments = append(m.Deployments, dep("new", "r", "g", 1, 0))
	near(t, shares(t, m, Request{}, h, 0), []float64{0, 1.0 / 3, 1.0 / 6, 0.5})
}

func TestCost(t *testing.T) {
	priced := func(name string, w int, in, out float64) Deployment {
		d := dep(name, "r", "g", w, 0)
		d.InputPerMTok, d.OutputPerMTok, d.HasPrice = in, out, true
		return d
	}
	m := &Model{Name: "m", Strategy: Cost, Deployments: []Deployment{
		priced("dear", 1, 1, 3),         // 0: 4.0
		priced("cheap-a", 3, 0.5, 1),    // 1: 1.5, weight 3
		dep("unpriced", "r", "g", 9, 0), // 2: last whatever its weight
		priced("cheap-b", 1, 1, 0.5),    // 3: 1.5, weight 1
		priced("free", 1, 0, 0),         // 4: 0, a real price
	}}
	// The cheapest is always first; equal prices split by weight.
	near(t, shares(t, m, Request{}, nil, 0), []float64{0, 0, 0, 0, 1})
	near(t, shares(t, m, Request{}, nil, 1), []float64{0, 0.75, 0, 0.25, 0})
	near(t, shares(t, m, Request{}, nil, 3), []float64{1, 0, 0, 0, 0})
	near(t, shares(t, m, Request{}, nil, 4), []float64{0, 0, 1, 0, 0})
}

func TestPreferRegion(t *testing.T) {
	m := &Model{Name: "m", Deployments: []Deployment{
		dep("us-0", "us-east-1", "us", 5, 0),      // 0
		dep("eu-0", "eu-west", "eu", 1, 0),        // 1
		dep("swe-0", "swedencentral", "eu", 1, 0), // 2
		dep("eu-1", "europe-west4", "eu", 1, 1),   // 3
		dep("us-1", "us-east-2", "us", 9, 1),      // 4
	}}
	tests := []struct {
		name     string
		strategy string
		prefer   string
		want     [][]int // allowed indexes at each position
	}{
		{
			// Preferred geo first inside each tier; tiers still come first.
			name: "geo", prefer: "eu",
			want: [][]int{{1, 2}, {1, 2}, {0}, {3}, {4}},
		},
		{
			// An exact region id prefers only that region.
			name: "exact region", prefer: "SwedenCentral",
			want: [][]int{{2}, {0, 1}, {0, 1}, {3, 4}, {3, 4}},
		},
		{
			// A preference nothing matches changes nothing about tiers.
			name: "no match", prefer: "ap",
			want: [][]int{{0, 1, 2}, {0, 1, 2}, {0, 1, 2}, {3, 4}, {3, 4}},
		},
		{
			// Each group is still ordered by the strategy (cost: cheaper first).
			name: "with cost strategy", strategy: Cost, prefer: "us",
			want: [][]int{{0}, {2}, {1}, {4}, {3}},
		},
	}
	// For the cost case: swe-0 is cheaper than eu-0, eu-1 is unpriced.
	m.Deployments[2].HasPrice, m.Deployments[2].InputPerMTok = true, 0.1
	m.Deployments[1].HasPrice, m.Deployments[1].InputPerMTok = true, 0.2
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m.Strategy = tt.strategy
			r := newRand()
			for range 500 {
				p, err := Route(m, Request{PreferRegion: tt.prefer}, nil, r)
				if err != nil {
					t.Fatal(err)
				}
				for pos, i := range p.Attempts {
					if !slices.Contains(tt.want[pos], i) {
						t.Fatalf("plan %v: position %d is %d, want one of %v", p.Attempts, pos, i, tt.want[pos])
					}
				}
			}
		})
	}
}

// BenchmarkRoute is the per-request cost: six deployments over two tiers.
func BenchmarkRoute(b *testing.B) {
	m := &Model{Name: "mistral-medium", Deployments: []Deployment{
		dep("mistral", "eu-west", "eu", 3, 0), dep("azure", "swedencentral", "eu", 2, 0),
		dep("vertex", "europe-west4", "eu", 1, 0), dep("bedrock", "eu-central-1", "eu", 2, 1),
		dep("watsonx", "eu-de", "eu", 1, 1), dep("openrouter", "", "global", 1, 1),
	}}
	// Converted to the interface once, as the server holds it.
	var h Health = fakeHealth{ttft: map[string]time.Duration{"mistral": time.Millisecond}}
	for _, strategy := range []string{Weighted, Latency, Cost} {
		b.Run(strategy, func(b *testing.B) {
			m.Strategy = strategy
			r := newRand()
			req := Request{Regions: []string{"eu", "global"}, PreferRegion: "eu"}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Route(m, req, h, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
