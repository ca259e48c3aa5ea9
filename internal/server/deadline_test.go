package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestWriteDeadlineCoarse: a write deadline is set only when the one set
// before would leave a write less than the whole timeout, and then with the
// slack: every write gets at least stream_write_timeout, at most
// timeout*(1+1/deadlineSlack), and a stream does not set one per chunk.
func TestWriteDeadlineCoarse(t *testing.T) {
	const timeout = 8 * time.Second
	base := time.Unix(100, 0)
	steps := []struct {
		at      time.Duration // since base, of a write
		rearmed bool
	}{
		{0, true}, // the first write arms now+9s
		{10 * time.Millisecond, false},
		{999 * time.Millisecond, false},
		{time.Second, false},    // exactly the timeout left: enough
		{time.Second + 1, true}, // less than the timeout left
		{time.Second + 2, false},
		{3 * time.Second, true},
	}
	w := &stuckWriter{ResponseRecorder: httptest.NewRecorder()}
	var now time.Time
	d := writeDeadline{rc: http.NewResponseController(w), timeout: timeout, now: func() time.Time { return now }}
	for _, st := range steps {
		now = base.Add(st.at)
		n := len(w.deadlines)
		d.arm()
		if got := len(w.deadlines) > n; got != st.rearmed {
			t.Fatalf("write at +%v: re-armed %v, want %v (deadlines %v)", st.at, got, st.rearmed, w.deadlines)
		}
		left := d.until.Sub(now)
		if left < timeout || left > timeout+timeout/deadlineSlack {
			t.Fatalf("write at +%v: deadline %v away, want within [%v, %v]", st.at, left, timeout, timeout+timeout/deadlineSlack)
		}
	}
	// No timeout configured: no deadline ever.
	w.deadlines = nil
	off := writeDeadline{rc: http.NewResponseController(w), now: func() time.Time { return now }}
	off.arm()
	if len(w.deadlines) != 0 {
		t.Fatalf("timeout 0 set deadlines %v", w.deadlines)
	}
}
