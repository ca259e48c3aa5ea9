package server

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

// stuckWriter is a client connection that stops reading: once stuck, every
// write fails as a passed write deadline does. It records the deadlines
// http.ResponseController sets.
type stuckWriter struct {
	*httptest.ResponseRecorder
	stuck     bool
	deadlines []time.Time
}

func (w *stuckWriter) SetWriteDeadline(t time.Time) error {
	w.deadlines = append(w.deadlines, t)
	return nil
}

func (w *stuckWriter) Write(b []byte) (int, error) {
	if w.stuck {
		return 0, os.ErrDeadlineExceeded
	}
	return w.ResponseRecorder.Write(b)
}

// TestSinkWriteDeadline: every write of a stream is armed with
// stream_write_timeout, and a write that times out marks the client as
// gone (the handler then logs a client problem and the executor cancels
// the attempt without a verdict on the deployment).
func TestSinkWriteDeadline(t *testing.T) {
	for _, batching := range []bool{false, true} {
		w := &stuckWriter{ResponseRecorder: httptest.NewRecorder()}
		s := newTestSink(w)
		s.writeTimeout = 30 * time.Second
		var flush func()
		if batching {
			flush = s.Batch()
		}
		if err := s.Event(contentEvent("a")); err != nil {
			t.Fatalf("batching %v: first event: %v", batching, err)
		}
		if len(w.deadlines) == 0 || !w.deadlines[0].Equal(time.Unix(1, 0).Add(30*time.Second+30*time.Second/deadlineSlack)) {
			t.Fatalf("batching %v: deadlines %v, want now+30s+slack before the write", batching, w.deadlines)
		}
		w.stuck = true
		err := s.Event(contentEvent("b"))
		if flush != nil {
			flush()
			err = s.Event(contentEvent("c"))
		}
		if err == nil || !s.timedOut {
			t.Fatalf("batching %v: err %v timedOut %v, want the write deadline reported", batching, err, s.timedOut)
		}
	}
}

// TestResponsesSinkWriteDeadline: the Responses API sink arms the same
// per-write deadline, batched or not, and reports a passed one.
func TestResponsesSinkWriteDeadline(t *testing.T) {
	for _, batching := range []bool{false, true} {
		w := &stuckWriter{ResponseRecorder: httptest.NewRecorder()}
		s := &responsesSink{w: w, rc: http.NewResponseController(w), writeTimeout: 30 * time.Second,
			now: func() time.Time { return time.Unix(1, 0) }}
		var flush func()
		if batching {
			flush = s.Batch()
		}
		if err := s.Event(contentEvent("a")); err != nil {
			t.Fatalf("batching %v: first event: %v", batching, err)
		}
		if len(w.deadlines) == 0 || !w.deadlines[0].Equal(time.Unix(1, 0).Add(30*time.Second+30*time.Second/deadlineSlack)) {
			t.Fatalf("batching %v: deadlines %v, want now+30s+slack before the write", batching, w.deadlines)
		}
		w.stuck = true
		err := s.Event(contentEvent("b"))
		if flush != nil {
			flush()
			err = s.Event(contentEvent("c"))
		}
		if err == nil || !s.timedOut {
			t.Fatalf("batching %v: err %v timedOut %v, want the write deadline reported", batching, err, s.timedOut)
		}
	}
}
