package e2e

import (
	"fmt"
	"math"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/e2e/fastupstream"
)

// figure is one row of the load test's table.
type figure struct {
	name  string
	unit  string
	added bool // compare by difference (latency), not by ratio
}

// The table's rows, in order.
var (
	figRPS        = figure{name: "max RPS, non-stream (closed loop)", unit: "req/s"}
	figCPUReq     = figure{name: "CPU per request at max load", unit: "µs"}
	figCPUChunk   = figure{name: fmt.Sprintf("CPU per streamed chunk (%d streams)", loadStreams), unit: "µs"}
	figTTFC50     = figure{name: fmt.Sprintf("first chunk p50 (%d streams)", loadStreams), unit: "ms", added: true}
	figTTFC99     = figure{name: fmt.Sprintf("first chunk p99 (%d streams)", loadStreams), unit: "ms", added: true}
	figP50        = figure{name: fmt.Sprintf("p50 at %d req/s (open loop)", latencyRate), unit: "ms", added: true}
	figP99        = figure{name: fmt.Sprintf("p99 at %d req/s (open loop)", latencyRate), unit: "ms", added: true}
	figRSS        = figure{name: "peak RSS (VmHWM), N slow streams", unit: "MB"}
	figRSSStream  = figure{name: "RSS per stream ((VmHWM - idle RSS) / N)", unit: "KB"}
	figAllocReq   = figure{name: "allocs per request (in process, all sides)", unit: ""}
	figBytesReq   = figure{name: "bytes per request (in process, all sides)", unit: "B"}
	figAllocChunk = figure{name: "allocs per chunk (in process, all sides)", unit: ""}
	figBytesChunk = figure{name: "bytes per chunk (in process, all sides)", unit: "B"}
	figures       = []figure{figRPS, figCPUReq, figCPUChunk, figTTFC50, figTTFC99, figP50, figP99, figRSS, figRSSStream,
		figAllocReq, figBytesReq, figAllocChunk, figBytesChunk}
)

// results holds each figure's per-round values: [0] the proxy, [1] windrose.
type results struct {
	vals map[figure]*[2][]float64
}

func (r *results) add(f figure, front int, v float64) {
	if r.vals == nil {
		r.vals = map[figure]*[2][]float64{}
	}
	if r.vals[f] == nil {
		r.vals[f] = &[2][]float64{}
	}
	r.vals[f][front] = append(r.vals[f][front], v)
}

// table renders the results as a Markdown table: min/median/max per front
// end, the median of the per-round ratios (or differences, for latency),
// and a flag when the spread of either side is wider than the gap between
// their medians, i.e. when the run cannot tell the two apart.
func (r *results) table(header string) string {
	var b strings.Builder
	b.WriteString(header)
	b.WriteString("\n| figure | unit | proxy min / median / max | windrose min / median / max | windrose vs proxy (median of rounds) | spread vs gap |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, f := range figures {
		v := r.vals[f]
		if v == nil || len(v[0]) == 0 || len(v[0]) != len(v[1]) {
			continue
		}
		p, w := summary(v[0]), summary(v[1])
		per := make([]float64, len(v[0]))
		for i := range per {
			if f.added {
				per[i] = v[1][i] - v[0][i]
			} else {
				per[i] = v[1][i] / v[0][i]
			}
		}
		cmp := fmt.Sprintf("%.3f×", median(per))
		if f.added {
			cmp = fmt.Sprintf("%+.3f ms", median(per))
		}
		spread := max(p[2]-p[0], w[2]-w[0])
		gap := math.Abs(w[1] - p[1])
		flag := "ok"
		if spread > gap {
			flag = fmt.Sprintf("NOISY: spread %s > gap %s", num(spread), num(gap))
		}
		fmt.Fprintf(&b, "| %s | %s | %s / %s / %s | %s / %s / %s | %s | %s |\n", f.name, f.unit,
			num(p[0]), num(p[1]), num(p[2]), num(w[0]), num(w[1]), num(w[2]), cmp, flag)
	}
	return b.String()
}

// summary is min, median and max.
func summary(v []float64) [3]float64 {
	s := slices.Sorted(slices.Values(v))
	return [3]float64{s[0], median(s), s[len(s)-1]}
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// num prints a figure with about four significant digits.
func num(x float64) string {
	switch a := math.Abs(x); {
	case a >= 1000:
		return fmt.Sprintf("%.0f", x)
	case a >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.3f", x)
	}
}

func numCPU() int { return runtime.NumCPU() }

// memCost is the heap allocations and bytes of one unit of work.
type memCost struct{ allocs, bytes float64 }

// allocRigs are the in-process rigs measureAllocs uses: one whose streams
// have relayChunks chunks, one with a single chunk.
type allocRigs struct{ long, short *rig }

func newAllocRigs(t *testing.T) allocRigs {
	return allocRigs{
		long:  newRig(t, fastupstream.Options{Chunks: relayChunks}),
		short: newRig(t, fastupstream.Options{Chunks: 1}),
	}
}

// allocs is what measureAllocs found: [0] the proxy, [1] windrose.
type allocs struct {
	req, chunk [2]memCost
}

// measureAllocs counts, process wide, the heap allocations of a
// non-stream request and of a relayed chunk through each front end, in
// process (client, front end and upstream share the heap, so these include
// the client's and the upstream's, which are the same for both sides; the
// difference is the front end's). A chunk costs the difference between a
// relayChunks-chunk stream and a 1-chunk one, divided by relayChunks-1.
func measureAllocs(t *testing.T, r allocRigs) allocs {
	t.Helper()
	var a allocs
	for i, fe := range [2]func(*rig) string{
		func(r *rig) string { return r.proxy.URL },
		func(r *rig) string { return r.windrose.URL },
	} {
		a.req[i] = memPerRequest(t, r.short.client, fe(r.short), overheadBody, 200)
		long := memPerRequest(t, r.long.client, fe(r.long), overheadStreamBody, 50)
		short := memPerRequest(t, r.short.client, fe(r.short), overheadStreamBody, 50)
		a.chunk[i] = memCost{
			allocs: (long.allocs - short.allocs) / (relayChunks - 1),
			bytes:  (long.bytes - short.bytes) / (relayChunks - 1),
		}
	}
	return a
}

// memPerRequest is the average heap allocations and bytes, process wide,
// of n sequential requests to base (after one warm-up).
func memPerRequest(tb testing.TB, c *http.Client, base string, body []byte, n int) memCost {
	tb.Helper()
	if _, err := do(c, base, body); err != nil {
		tb.Fatalf("warm-up request: %v", err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	allocs, bytes := ms.Mallocs, ms.TotalAlloc
	for range n {
		if _, err := do(c, base, body); err != nil {
			tb.Fatal(err)
		}
	}
	runtime.ReadMemStats(&ms)
	return memCost{allocs: float64(ms.Mallocs-allocs) / float64(n), bytes: float64(ms.TotalAlloc-bytes) / float64(n)}
}
