package server

import (
	"net/http"
	"time"
)

// deadlineSlack is how much later than stream_write_timeout a client that
// stopped reading may be cut, as a fraction of the timeout (1/8: 30s cuts
// between 30s and 33.75s). Setting a write deadline is a timer update in
// the runtime's poller, and doing it for every chunk was a large part of
// windrose's CPU per streamed chunk over a bare proxy's (BENCHMARKS.md);
// with the slack the deadline is re-armed only when less than the whole
// timeout is left, about once per timeout/8 of streaming.
const deadlineSlack = 8

// writeDeadline arms a stream's write deadline so that every write to the
// client has at least the whole timeout before it passes, and at most
// timeout + timeout/deadlineSlack.
type writeDeadline struct {
	rc      *http.ResponseController
	timeout time.Duration // 0: no deadline
	now     func() time.Time
	until   time.Time // the deadline set last; zero before the first
}

// arm makes sure the deadline is at least the timeout away before a write.
func (d *writeDeadline) arm() {
	if d.timeout <= 0 {
		return
	}
	now := d.now()
	if !d.until.IsZero() && d.until.Sub(now) >= d.timeout {
		return
	}
	d.until = now.Add(d.timeout + d.timeout/deadlineSlack)
	_ = d.rc.SetWriteDeadline(d.until)
}

// sendHeaders writes a committed stream's status and headers to the client
// from a goroutine of its own, which exits at once. net/http formats them
// (chunkWriter.writeHeader, a 2.8 KB frame, and the header sort under it)
// at the response's first flush; from the pumping stream that flush sits
// about 10 KB deep, which made every stream's handler goroutine keep a
// 16 KiB stack for its whole life, where the pump itself fits in 8 KiB
// (BENCHMARKS.md, memory per stream). The handler waits, so the response
// is never used by two goroutines at once. A client that is gone reports
// its error at the next write.
func sendHeaders(rc *http.ResponseController) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = rc.Flush()
	}()
	<-done
}
