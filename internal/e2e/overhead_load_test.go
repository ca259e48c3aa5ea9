package e2e

// TestOverheadRatio holds windrose to the overhead targets against a bare
// httputil.ReverseProxy in front of the same fast upstream. It is a load
// test: minutes of CPU, so it runs only when asked, never in `make test`:
//
//	WINDROSE_LOADTEST=1 go test -run TestOverheadRatio -v -timeout 10m ./internal/e2e/
//
// In one run it measures (a) closed-loop throughput at a fixed concurrency,
// (b) open-loop latency at 1,000 req/s, each with the baseline proxy and
// windrose in alternating rounds so machine noise (other processes on a
// shared box) hits both alike, and (c) the RSS of windrose as its own
// process (`windrose serve`) under 1,000 req/s. It only reports: the
// numbers depend on the machine, and a timed assertion would be flaky.
// Every request goes to loopback; every phase is bounded in time.

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/e2e/fastupstream"
)

// Load shape. Rounds alternate which front end goes first.
const (
	loadConcurrency = 32
	loadRounds      = 4
	loadRoundTime   = 2 * time.Second // closed loop, per front end per round
	latencyRate     = 1000            // req/s, open loop
	latencyRounds   = 5
	latencyRound    = 2 * time.Second // per front end per round: 10 s each
)

func TestOverheadRatio(t *testing.T) {
	if os.Getenv("WINDROSE_LOADTEST") != "1" {
		t.Skip("load test; set WINDROSE_LOADTEST=1 to run it")
	}
	r := newRig(t, fastupstream.Options{})
	var rows []string
	for _, stream := range []bool{false, true} {
		mode := map[bool]string{false: "nonstream", true: "stream"}[stream]
		body := bodyFor(stream)
		tp := interleave(t, r, func(base string) float64 { return closedLoop(t, r, base, body) }, loadRounds)
		rows = append(rows, fmt.Sprintf("%-9s throughput  proxy %8.0f req/s  windrose %8.0f req/s  ratio %.3f",
			mode, tp[0], tp[1], tp[1]/tp[0]))
		lat := [2][]time.Duration{}
		interleave(t, r, func(base string) float64 {
			i := 0
			if base == r.windrose.URL {
				i = 1
			}
			lat[i] = append(lat[i], openLoop(t, r.client, base, body, latencyRate, latencyRound)...)
			return 0
		}, latencyRounds)
		p, w := percentiles(lat[0]), percentiles(lat[1])
		rows = append(rows, fmt.Sprintf("%-9s latency@%d  proxy p50 %s p99 %s p99.9 %s | windrose p50 %s p99 %s p99.9 %s | added p99 %s",
			mode, latencyRate, ms(p[0]), ms(p[1]), ms(p[2]), ms(w[0]), ms(w[1]), ms(w[2]), ms(w[1]-p[1])))
	}
	rows = append(rows, rssRows(t, r.upstream.URL)...)
	t.Logf("overhead (targets: throughput ratio >= 0.9, added p99 < 0.250 ms at %d req/s, RSS < 64 MB):\n%s",
		latencyRate, strings.Join(rows, "\n"))
}

// interleave runs measure against the proxy and windrose in rounds,
// alternating which goes first, and returns the mean of each.
func interleave(t *testing.T, r *rig, measure func(base string) float64, rounds int) [2]float64 {
	t.Helper()
	var sum [2]float64
	bases := [2]string{r.proxy.URL, r.windrose.URL}
	for round := range rounds {
		for k := range 2 {
			i := (k + round) % 2
			sum[i] += measure(bases[i])
		}
	}
	return [2]float64{sum[0] / float64(rounds), sum[1] / float64(rounds)}
}

// closedLoop keeps loadConcurrency requests in flight for loadRoundTime and
// returns the completed requests per second.
func closedLoop(t *testing.T, r *rig, base string, body []byte) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), loadRoundTime)
	defer cancel()
	var done, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range loadConcurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				if _, err := do(r.client, base, body); err != nil {
					failed.Add(1)
					continue
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("%s: %d requests failed", base, n)
	}
	return float64(done.Load()) / time.Since(start).Seconds()
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

// ms formats d in milliseconds with microsecond precision.
func ms(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d)/1e6) }
