package e2e

// Overhead benchmarks: windrose against a bare httputil.ReverseProxy in
// front of the same fast upstream, over real loopback HTTP.
//
//	go test -run '^$' -bench 'BenchmarkOverhead|BenchmarkStreamRelay' -benchmem ./internal/e2e/
//
// Compare proxy/X with windrose/X: the difference in ns/op is windrose's
// added cost per request (at that concurrency), the difference in allocs/op
// its allocations (both sides include the load generator's and the
// upstream's own, which are the same for both). TestOverheadRatio in
// overhead_load_test.go measures the ratio, tail latency and RSS in one run.

import (
	"runtime"
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/e2e/fastupstream"
)

// BenchmarkOverhead measures one request through each front end.
func BenchmarkOverhead(b *testing.B) {
	r := newRig(b, fastupstream.Options{})
	for _, mode := range []struct {
		name   string
		stream bool
	}{{"nonstream", false}, {"stream", true}} {
		for _, fe := range []struct{ name, url string }{{"proxy", r.proxy.URL}, {"windrose", r.windrose.URL}} {
			b.Run(fe.name+"/"+mode.name, func(b *testing.B) {
				benchParallel(b, r, fe.url, bodyFor(mode.stream))
			})
		}
	}
}

// largePrompt is the size of the user turn in BenchmarkOverheadLargeBody:
// big enough that every copy of the body windrose makes shows in B/op.
const largePrompt = 64 << 10

// largeBody is a non-streamed request with a largePrompt-byte user turn.
var largeBody = []byte(`{"model":"mistral-medium","messages":[{"role":"system","content":"You are terse."},` +
	`{"role":"user","content":"` + strings.Repeat("lorem ipsum ", largePrompt/12) + `"}],"max_tokens":64}`)

// BenchmarkOverheadLargeBody measures one request with a 64 KB prompt
// through each front end. The difference in B/op between proxy and
// windrose is what windrose allocates per request: a copy of the body
// costs about 64 KB of it (issue 11: one copy of the body per request).
func BenchmarkOverheadLargeBody(b *testing.B) {
	r := newRig(b, fastupstream.Options{})
	for _, fe := range []struct{ name, url string }{{"proxy", r.proxy.URL}, {"windrose", r.windrose.URL}} {
		b.Run(fe.name, func(b *testing.B) { benchParallel(b, r, fe.url, largeBody) })
	}
}

// benchParallel drives base with 8 goroutines per core, enough to keep
// both cores busy across loopback round trips.
func benchParallel(b *testing.B, r *rig, base string, body []byte) {
	if _, err := do(r.client, base, body); err != nil {
		b.Fatalf("warm-up request: %v", err)
	}
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := do(r.client, base, body); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// relayChunks is the long stream BenchmarkStreamRelay relays; the short
// one has 1 chunk, so the difference is relayChunks-1 chunks.
const relayChunks = 257

// BenchmarkStreamRelay measures the per-chunk cost of relaying a stream:
// each op is one request of relayChunks content chunks, and the metric
// allocs/chunk is (allocs of that request - allocs of a 1-chunk request) /
// (relayChunks-1), so the per-request costs cancel out. It counts every
// allocation in the process (client, front end, upstream); the proxy's
// figure is the floor that HTTP itself costs.
func BenchmarkStreamRelay(b *testing.B) {
	long := newRig(b, fastupstream.Options{Chunks: relayChunks})
	short := newRig(b, fastupstream.Options{Chunks: 1})
	for _, fe := range []struct {
		name        string
		long, short string
	}{
		{"proxy", long.proxy.URL, short.proxy.URL},
		{"windrose", long.windrose.URL, short.windrose.URL},
	} {
		b.Run(fe.name, func(b *testing.B) {
			base := memPerRequest(b, short.client, fe.short, overheadStreamBody, 200).allocs
			b.ReportAllocs()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			before := ms.Mallocs
			b.ResetTimer()
			for range b.N {
				if _, err := do(long.client, fe.long, overheadStreamBody); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&ms)
			perReq := float64(ms.Mallocs-before) / float64(b.N)
			b.ReportMetric((perReq-base)/float64(relayChunks-1), "allocs/chunk")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/relayChunks, "ns/chunk")
		})
	}
}
