package e2e

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// peakRSS starts a fresh front end (0 the bare proxy, 1 windrose) in front
// of the slow upstream at slowURL, opens n streams to it (at most
// loadStreams being opened at once, so the listen backlog never
// overflows), holds them all until each has its first chunk, and returns
// the process's peak resident set (VmHWM) in MB and that peak less the
// process's resident set before the streams, per stream, in KB. A fresh
// process per measurement: VmHWM only grows.
func peakRSS(t *testing.T, bin string, front int, slowURL string, n int) (peakMB, perStreamKB float64) {
	t.Helper()
	var f server
	if front == 0 {
		f = startProxy(t, slowURL)
	} else {
		f = startWindrose(t, bin, slowURL)
	}
	defer f.stop()
	start := time.Now()
	idle := procStatusKB(t, f.pid, "VmRSS")
	c := newLoadClient()
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var opened, failed atomic.Int64
	allOpen := make(chan struct{})
	gate := make(chan struct{}, loadStreams)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			gate <- struct{}{}
			ok := holdStream(ctx, c, f.url)
			<-gate
			if !ok {
				failed.Add(1)
			} else if opened.Add(1) == int64(n) {
				close(allOpen)
			}
			<-ctx.Done()
		})
	}
	select {
	case <-allOpen:
		// Let the last streams' buffers and goroutines settle in.
		time.Sleep(500 * time.Millisecond)
	case <-time.After(rssOpenTimeout):
	}
	hwm := procStatusKB(t, f.pid, "VmHWM")
	opening := time.Since(start)
	cancel()
	wg.Wait()
	t.Logf("rss %s: %d streams open after %s, torn down after %s", f.url, opened.Load(), opening.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if got := opened.Load(); got < int64(n) {
		t.Errorf("%s: only %d of %d streams open at the peak (%d failed)", f.url, got, n, failed.Load())
	}
	return float64(hwm) / 1024, float64(hwm-idle) / float64(n)
}

// holdStream opens a stream and waits for its first body bytes; a
// goroutine then keeps reading it until ctx ends.
func holdStream(ctx context.Context, c *http.Client, base string) bool {
	resp, err := postCtx(ctx, c, base, overheadStreamBody)
	if err != nil {
		return false
	}
	var buf [512]byte
	n, err := resp.Body.Read(buf[:])
	for n == 0 && err == nil {
		n, err = resp.Body.Read(buf[:])
	}
	if n == 0 || resp.StatusCode != http.StatusOK {
		_ = resp.Body.Close()
		return false
	}
	go func() {
		defer resp.Body.Close()
		for ctx.Err() == nil {
			if _, err := resp.Body.Read(buf[:]); err != nil {
				return
			}
		}
	}()
	return true
}
