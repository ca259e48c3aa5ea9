package health

import (
	"slices"
	"time"
)

// windowBuckets is how many time buckets the failure-rate window is cut
// into. A request is forgotten between Window*9/10 and Window after it was
// recorded, which is close enough for a breaker and costs a fixed 10 slots
// instead of one entry per request.
const windowBuckets = 10

type bucket struct {
	epoch          int64 // which bucket-width slice of time the counts are for
	total, failure int
}

// window counts requests and failures over the last Window, in a ring of
// time buckets.
type window struct {
	width   time.Duration
	buckets [windowBuckets]bucket
}

func newWindow(span time.Duration) window {
	return window{width: max(span/windowBuckets, 1)}
}

func (w *window) add(now time.Duration, failed bool) {
	epoch := int64(now / w.width)
	b := &w.buckets[epoch%windowBuckets]
	if b.epoch != epoch {
		// The slot still holds a bucket from a full turn ago: recycle it.
		*b = bucket{epoch: epoch}
	}
	b.total++
	if failed {
		b.failure++
	}
}

func (w *window) sum(now time.Duration) (total, failed int) {
	epoch := int64(now / w.width)
	for _, b := range w.buckets {
		if epoch-b.epoch < windowBuckets {
			total += b.total
			failed += b.failure
		}
	}
	return total, failed
}

func (w *window) reset() {
	w.buckets = [windowBuckets]bucket{}
}

// latencySamples is how many recent time-to-first-token samples P95TTFT
// looks at: enough for a stable 95th percentile, small enough to sort on
// every read.
const latencySamples = 128

// ewmaWeight is the share a new sample takes in the moving average: recent
// enough to follow a slowing provider within a few requests, smooth enough
// that one slow request does not reorder the latency strategy.
const ewmaWeight = 0.2

type latency struct {
	ewma    time.Duration
	samples [latencySamples]time.Duration
	n, next int // samples held; slot the next sample goes to
}

func (l *latency) add(d time.Duration) {
	if d <= 0 {
		return // not measured
	}
	if l.n == 0 {
		l.ewma = d
	} else {
		l.ewma += time.Duration(ewmaWeight * float64(d-l.ewma))
	}
	l.samples[l.next] = d
	l.next = (l.next + 1) % latencySamples
	l.n = min(l.n+1, latencySamples)
}

// percentile95 sorts s in place and returns its nearest-rank 95th
// percentile (0 for no samples).
func percentile95(s []time.Duration) time.Duration {
	if len(s) == 0 {
		return 0
	}
	slices.Sort(s)
	return rank(s, 95)
}

// rank is the nearest-rank pct-th percentile of sorted, non-empty s.
func rank(s []time.Duration, pct int) time.Duration {
	r := (len(s)*pct + 99) / 100 // ceil(pct/100 n), 1-based
	return s[max(r, 1)-1]
}
