package e2e

// TestOverheadRatio measures windrose against a bare httputil.ReverseProxy
// in front of the same fast upstream. It is a load test: minutes of CPU, so
// it runs only when asked, never in `make test`:
//
//	make loadtest   (WINDROSE_LOADTEST=1 go test -run TestOverheadRatio -v ./internal/e2e/)
//
// Every server is its own process (overhead_child_test.go): the fast
// upstream and the bare proxy are this test binary run again, windrose is
// the built `windrose serve`. With taskset they all run on core 0 and the
// load generator (this process) on core 1. In rounds that alternate which
// front end goes first, so that machine noise hits both alike, it
// measures: closed-loop throughput and CPU per request (from
// /proc/<pid>/stat), CPU per chunk and time to first chunk with
// loadStreams concurrent streams, p99 latency at a fixed open-loop rate,
// peak RSS (VmHWM) of a fresh process holding N slow streams; then
// allocations per request and per chunk in process (deterministic, the
// regression guard). It prints a table and asserts nothing timed: the
// numbers depend on the machine. Every request goes to loopback; every
// phase is bounded in time.
//
// Settings: WINDROSE_LOADTEST_ROUNDS (default 5), WINDROSE_LOADTEST_STREAMS
// (concurrent slow streams of the RSS phase, default 5000),
// WINDROSE_LOADTEST_PHASES (default rps,stream,latency,rss,allocs),
// WINDROSE_LOADTEST_BIN (a windrose binary to run instead of building
// ./cmd/windrose, to compare two builds), WINDROSE_LOADTEST_LOG=devnull
// (windrose's access log to /dev/null instead of a file). The server pids
// are logged first, for attaching a profiler.

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Load shape.
const (
	loadConcurrency = 32                    // closed loop, non-stream
	loadStreams     = 200                   // closed loop, concurrent streams
	streamChunks    = 64                    // content chunks per fast stream (and words of the non-stream answer)
	pacedChunks     = 32                    // content chunks per paced stream
	streamDelay     = 40 * time.Millisecond // between a paced stream's chunks: the servers' core far from saturated
	loadRoundTime   = 2 * time.Second
	streamRoundTime = 3 * time.Second
	latencyRate     = 1000 // req/s, open loop
	latencyRound    = 2 * time.Second
	slowChunkDelay  = time.Second // the RSS phase's slow streams
	slowChunks      = 30
	rssOpenTimeout  = 40 * time.Second // to open every slow stream
)

func TestOverheadRatio(t *testing.T) {
	if os.Getenv("WINDROSE_LOADTEST") != "1" {
		t.Skip("load test; set WINDROSE_LOADTEST=1 to run it")
	}
	rounds := envInt(t, "WINDROSE_LOADTEST_ROUNDS", 5)
	streams := envInt(t, "WINDROSE_LOADTEST_STREAMS", 5000)
	bin := os.Getenv("WINDROSE_LOADTEST_BIN") // a windrose built elsewhere: before/after runs
	if bin == "" {
		bin = buildWindrose(t)
	}
	pin := pinning(t)

	fast := startUpstream(t, streamChunks, 0)
	paced := startUpstream(t, pacedChunks, streamDelay)
	slow := startUpstream(t, slowChunks, slowChunkDelay)
	fronts := [2]server{startProxy(t, fast.url), startWindrose(t, bin, fast.url)}
	pacedFronts := [2]server{startProxy(t, paced.url), startWindrose(t, bin, paced.url)}
	c := newLoadClient()
	defer c.CloseIdleConnections()
	for i := range 2 { // warm up connections and code paths
		closedLoop(t, c, fronts[i], overheadBody, loadConcurrency, 300*time.Millisecond)
		streamLoop(t, c, pacedFronts[i], loadStreams, time.Second)
	}

	t.Logf("server pids: fast upstream %d, proxy %d, windrose %d; paced upstream %d, proxy %d, windrose %d",
		fast.pid, fronts[0].pid, fronts[1].pid, paced.pid, pacedFronts[0].pid, pacedFronts[1].pid)
	on := phases(t)
	var res results
	for round := range rounds {
		order := [2]int{round % 2, 1 - round%2}
		for _, i := range order {
			if !on["rps"] {
				break
			}
			cl := closedLoop(t, c, fronts[i], overheadBody, loadConcurrency, loadRoundTime)
			res.add(figRPS, i, cl.perSec)
			res.add(figCPUReq, i, cl.cpuPer)
		}
		for _, i := range order {
			if !on["stream"] {
				break
			}
			sl := streamLoop(t, c, pacedFronts[i], loadStreams, streamRoundTime)
			res.add(figCPUChunk, i, sl.cpuPer)
			res.add(figTTFC50, i, sl.p50)
			res.add(figTTFC99, i, sl.p99)
		}
		for _, i := range order {
			if !on["latency"] {
				break
			}
			p := percentiles(openLoop(t, c, fronts[i].url, overheadBody, latencyRate, latencyRound))
			res.add(figP50, i, msOf(p[0]))
			res.add(figP99, i, msOf(p[1]))
		}
		for _, i := range order {
			if !on["rss"] {
				break
			}
			peak, per := peakRSS(t, bin, i, slow.url, streams)
			res.add(figRSS, i, peak)
			res.add(figRSSStream, i, per)
		}
		t.Logf("round %d of %d done", round+1, rounds)
	}
	ar := newAllocRigs(t)
	for range rounds {
		if !on["allocs"] {
			break
		}
		a := measureAllocs(t, ar)
		for i := range 2 {
			res.add(figAllocReq, i, a.req[i].allocs)
			res.add(figBytesReq, i, a.req[i].bytes)
			res.add(figAllocChunk, i, a.chunk[i].allocs)
			res.add(figBytesChunk, i, a.chunk[i].bytes)
		}
	}
	fmt.Printf("\n%s", res.table(tableHeader(pin, rounds, streams)))
}

// tableHeader says how the table was produced.
func tableHeader(pin string, rounds, streams int) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("windrose vs bare httputil.ReverseProxy, same upstream, %d interleaved rounds (%s; %d cores, host %s).\n"+
		"Non-stream: %d clients closed loop; streams: %d concurrent, %d content chunks each %s apart; open loop %d req/s; RSS: %d slow streams held, fresh process per round.\n",
		rounds, pin, numCPU(), host, loadConcurrency, loadStreams, pacedChunks, streamDelay, latencyRate, streams)
}

// phases returns the phases WINDROSE_LOADTEST_PHASES names (a comma list
// of rps, stream, latency, rss, allocs; default all of them), to run one
// alone while profiling a server.
func phases(t *testing.T) map[string]bool {
	t.Helper()
	all := []string{"rps", "stream", "latency", "rss", "allocs"}
	v := os.Getenv("WINDROSE_LOADTEST_PHASES")
	if v == "" {
		v = strings.Join(all, ",")
	}
	on := map[string]bool{}
	for _, p := range strings.Split(v, ",") {
		if !slices.Contains(all, p) {
			t.Fatalf("WINDROSE_LOADTEST_PHASES: unknown phase %q (want some of %v)", p, all)
		}
		on[p] = true
	}
	return on
}

// envInt reads a positive integer setting.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// loadResult is one closed-loop phase against one front end.
type loadResult struct {
	perSec   float64 // requests (or chunks) per second
	cpuPer   float64 // front end's CPU µs per request (or chunk)
	p50, p99 float64 // ms to first chunk (streams only)
}

// closedLoop keeps conc non-stream requests in flight for d.
func closedLoop(t *testing.T, c *http.Client, f server, body []byte, conc int, d time.Duration) loadResult {
	t.Helper()
	var done, failed atomic.Int64
	elapsed, ticks := underLoad(t, f.pid, conc, d, func() {
		if _, err := do(c, f.url, body); err != nil {
			failed.Add(1)
			return
		}
		done.Add(1)
	})
	if n := failed.Load(); n > 0 {
		t.Errorf("%s: %d requests failed", f.url, n)
	}
	n := float64(max(done.Load(), 1))
	return loadResult{perSec: n / elapsed.Seconds(), cpuPer: cpuMicros(ticks) / n}
}

// streamLoop keeps conc streams in flight for d and times each one's
// first chunk.
func streamLoop(t *testing.T, c *http.Client, f server, conc int, d time.Duration) loadResult {
	t.Helper()
	var mu sync.Mutex
	var firsts []time.Duration
	var failed atomic.Int64
	elapsed, ticks := underLoad(t, f.pid, conc, d, func() {
		first, err := doFirst(c, f.url, overheadStreamBody)
		if err != nil {
			failed.Add(1)
			return
		}
		mu.Lock()
		firsts = append(firsts, first)
		mu.Unlock()
	})
	if n := failed.Load(); n > 0 {
		t.Errorf("%s: %d streams failed", f.url, n)
	}
	// Every event the upstream sends is a chunk: the role chunk, the
	// content chunks and the one with the finish reason and usage.
	chunks := float64(max(len(firsts), 1) * (pacedChunks + 2))
	p := percentiles(firsts)
	return loadResult{perSec: chunks / elapsed.Seconds(), cpuPer: cpuMicros(ticks) / chunks, p50: msOf(p[0]), p99: msOf(p[1])}
}

// underLoad runs conc workers calling one for d and returns the time it
// took and the CPU ticks process pid used meanwhile.
func underLoad(t *testing.T, pid, conc int, d time.Duration, one func()) (time.Duration, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cpu0 := cpuTicks(t, pid)
	start := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for ctx.Err() == nil {
				one()
			}
		})
	}
	wg.Wait()
	return time.Since(start), cpuTicks(t, pid) - cpu0
}

func cpuMicros(ticks int64) float64 { return float64(time.Duration(ticks)*clockTick) / 1e3 }

// doFirst sends one stream request, returns the time from sending it to
// its first body bytes, and drains the rest.
func doFirst(c *http.Client, base string, body []byte) (time.Duration, error) {
	sent := time.Now()
	resp, err := post(c, base, body)
	if err != nil {
		return 0, err
	}
	var buf [512]byte
	n, err := resp.Body.Read(buf[:])
	for n == 0 && err == nil {
		n, err = resp.Body.Read(buf[:])
	}
	first := time.Since(sent)
	if _, derr := io.Copy(io.Discard, resp.Body); err == nil || err == io.EOF {
		err = derr
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return first, fmt.Errorf("status %d", resp.StatusCode)
	}
	return first, err
}

// openLoop sends rate requests per second for d, each on its own goroutine
// so a slow answer never delays the next send, and returns every latency,
// measured from the moment its request was sent. (Timing from the moment
// it was due would add the generator's own sleep jitter to both sides; no
// send ever waits for an answer, so nothing is hidden by not doing so.)
func openLoop(t *testing.T, c *http.Client, base string, body []byte, rate int, d time.Duration) []time.Duration {
	t.Helper()
	n := int(d.Seconds() * float64(rate))
	interval := time.Second / time.Duration(rate)
	lat := make([]time.Duration, n)
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		wg.Go(func() {
			sent := time.Now()
			if _, err := do(c, base, body); err != nil {
				failed.Add(1)
			}
			lat[i] = time.Since(sent)
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		t.Errorf("%s: %d of %d requests failed", base, f, n)
	}
	return lat
}

// percentiles returns p50, p99 and p99.9 of lat (which it sorts).
func percentiles(lat []time.Duration) [3]time.Duration {
	if len(lat) == 0 {
		return [3]time.Duration{}
	}
	slices.Sort(lat)
	at := func(q float64) time.Duration {
		i := int(math.Ceil(q*float64(len(lat)))) - 1
		return lat[max(i, 0)]
	}
	return [3]time.Duration{at(0.50), at(0.99), at(0.999)}
}

func msOf(d time.Duration) float64 { return float64(d) / 1e6 }
