package router

import (
	"math"
	"math/rand/v2"
	"strings"
)

// smallGroup is how many deployments of one group get their sort keys on
// the stack; larger groups (rare) allocate.
const smallGroup = 16

// orderer orders a plan's attempts in place. Plans hold a handful of
// deployments, so it uses insertion sorts and rotations on the index slice:
// no maps, no sort.Interface, no allocation for groups up to smallGroup.
type orderer struct {
	m   *Model
	h   Health
	rnd *rand.Rand
}

func (o *orderer) dep(i int) *Deployment { return &o.m.Deployments[i] }

// order sorts idx by ascending priority, then orders each tier: deployments
// matching prefer first (when set), each group by the model's strategy.
func (o *orderer) order(idx []int, prefer string) {
	// Stable insertion sort by priority keeps the declared order inside a
	// tier, which the zero-weight and equal-key rules rely on.
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && o.dep(idx[j]).Priority < o.dep(idx[j-1]).Priority; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	for start := 0; start < len(idx); {
		end := start + 1
		for end < len(idx) && o.dep(idx[end]).Priority == o.dep(idx[start]).Priority {
			end++
		}
		tier := idx[start:end]
		if prefer != "" {
			n := o.preferFirst(tier, prefer)
			o.group(tier[:n])
			o.group(tier[n:])
		} else {
			o.group(tier)
		}
		start = end
	}
}

// preferFirst moves the deployments whose geo or region is prefer to the
// front of g, keeping relative order, and returns how many there are.
func (o *orderer) preferFirst(g []int, prefer string) int {
	n := 0
	for j, i := range g {
		d := o.dep(i)
		if !strings.EqualFold(prefer, d.Geo) && !strings.EqualFold(prefer, d.Region) {
			continue
		}
		copy(g[n+1:j+1], g[n:j])
		g[n] = i
		n++
	}
	return n
}

// maxWeight caps a weight so that summing a tier's weights cannot
// overflow, whatever the config says.
const maxWeight = 1 << 30

// weight is deployment i's weight, clamped to 0..maxWeight.
func (o *orderer) weight(i int) int {
	return min(max(o.dep(i).Weight, 0), maxWeight)
}

// group orders one group of deployments by the model's strategy.
func (o *orderer) group(g []int) {
	if len(g) < 2 {
		return
	}
	switch o.m.Strategy {
	case Latency:
		o.byLatency(g)
	case Cost:
		o.byCost(g)
	default:
		o.weighted(g)
	}
}

// weighted reorders g as a weighted random draw without replacement: each
// position is drawn by weight from the deployments not yet placed. Once
// only deployments with weight <= 0 remain they keep their declared order.
func (o *orderer) weighted(g []int) {
	for k := 0; k < len(g)-1; k++ {
		total := 0
		for _, i := range g[k:] {
			total += o.weight(i)
		}
		if total == 0 {
			return
		}
		r := o.rnd.IntN(total)
		for j := k; j < len(g); j++ {
			w := o.weight(g[j])
			if r >= w {
				r -= w
				continue
			}
			// Rotate rather than swap so the remaining deployments keep
			// their declared order (it matters for zero weights).
			pick := g[j]
			copy(g[k+1:j+1], g[k:j])
			g[k] = pick
			break
		}
	}
}

// byCost orders g by input+output price, unpriced last. Shuffling by weight
// first and then sorting stably breaks price ties by weighted random.
func (o *orderer) byCost(g []int) {
	o.weighted(g)
	var buf [smallGroup]float64
	keys := keyBuf(buf[:], len(g))
	for n, i := range g {
		d := o.dep(i)
		keys[n] = math.Inf(1)
		if d.HasPrice {
			keys[n] = d.InputPerMTok + d.OutputPerMTok
		}
	}
	sortByKey(g, keys)
}

// byLatency puts the faster of two distinct random deployments first (power
// of two choices: it spreads load while avoiding the slow ones), then the
// rest fastest first. An unknown time to first token counts as 0, so a new
// or idle deployment gets explored.
func (o *orderer) byLatency(g []int) {
	var buf [smallGroup]float64
	keys := keyBuf(buf[:], len(g))
	for n, i := range g {
		if o.h != nil {
			keys[n] = float64(o.h.TTFT(o.dep(i).Name))
		} else {
			keys[n] = 0
		}
	}
	a := o.rnd.IntN(len(g))
	b := o.rnd.IntN(len(g) - 1)
	if b >= a {
		b++
	}
	if keys[b] < keys[a] {
		a = b
	}
	// Rotate the winner to the front so ties among the rest keep their
	// declared order.
	pick, key := g[a], keys[a]
	copy(g[1:a+1], g[:a])
	copy(keys[1:a+1], keys[:a])
	g[0], keys[0] = pick, key
	sortByKey(g[1:], keys[1:])
}

// keyBuf returns n keys, on the caller's stack buffer when they fit.
func keyBuf(buf []float64, n int) []float64 {
	if n <= len(buf) {
		return buf[:n]
	}
	return make([]float64, n)
}

// sortByKey stably sorts g by ascending keys (keys[n] belongs to g[n]).
func sortByKey(g []int, keys []float64) {
	for i := 1; i < len(g); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			g[j], g[j-1] = g[j-1], g[j]
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}
