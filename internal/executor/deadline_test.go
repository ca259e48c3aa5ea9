package executor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/router"
)

// TestRequestDeadline: server.request_timeout ends a request wherever it
// is (walking, committed, resumed) as a Timeout with code request_timeout,
// and a stream is never resumed past it.
func TestRequestDeadline(t *testing.T) {
	hangs := []step{{events: []string{"Hi"}, hang: true}}
	cases := []struct {
		name      string
		stream    bool
		resume    bool // resume on, onto a prefix-capable b
		a, b      []step
		committed bool
		text      string
		bCalls    int
		failed    map[string]float64 // attempts_total{failed} by deployment
		// broke: the error is the first break's (a failed resume ends with
		// the error it tried to heal), not the deadline's.
		broke bool
	}{
		{name: "chat", a: []step{{block: true}}, b: []step{{block: true}},
			failed: map[string]float64{"a": 1}},
		{name: "stream before commit", stream: true, a: []step{{block: true}}, b: []step{{block: true}},
			failed: map[string]float64{"a": 1}},
		// The walk's bound is gone at commit: the committed attempt
		// carries the deadline itself.
		{name: "committed stream", stream: true, a: hangs, b: hangs, committed: true, text: "Hi",
			failed: map[string]float64{"a": 1}},
		// A break at the deadline is not resumed.
		{name: "no resume past it", stream: true, resume: true, a: hangs, b: hangs, committed: true, text: "Hi",
			failed: map[string]float64{"a": 1}},
		// A stream resumed before the deadline is still bound by it.
		{name: "resumed stream", stream: true, resume: true,
			a: []step{{events: []string{"Hi"}, after: errCut}}, b: []step{{events: []string{" there"}, hang: true}},
			committed: true, text: "Hi there", bCalls: 1, failed: map[string]float64{"a": 1, "b": 1}, broke: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mode := "off"
			if c.resume {
				mode = "prefix"
			}
			r, _ := resumeRig(t, mode, true, c.a, c.b)
			r.rt.Attempts = 1 // one attempt: the deadline, not failover, ends it
			if c.resume {
				r.rt.Attempts = 2
			}
			r.exec.timeout = 50 * time.Millisecond
			sink := &recSink{}
			done := make(chan error, 1)
			var res Result
			go func() {
				var err error
				req := &llm.ChatRequest{Stream: c.stream}
				if c.stream {
					_, res, err = r.exec.Stream(context.Background(), r.rt, req, &router.Request{}, sink)
				} else {
					_, res, err = r.exec.Chat(context.Background(), r.rt, req, router.Request{})
				}
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second): // a missing bound hangs forever
				t.Fatal("the request deadline did not end the request")
			}
			ge := gwerr.As(err)
			if c.broke {
				if !errors.Is(err, errCut) {
					t.Fatalf("err %v; want the first break's", err)
				}
			} else if err == nil || ge.Kind != gwerr.Timeout || ge.Code != "request_timeout" {
				t.Fatalf("err %v (kind %v, code %q); want a Timeout with code request_timeout", err, ge.Kind, ge.Code)
			}
			if res.Committed != c.committed || sink.text != c.text {
				t.Errorf("committed %v text %q; want %v %q", res.Committed, sink.text, c.committed, c.text)
			}
			if got := r.calls("b"); got != c.bCalls {
				t.Errorf("b called %d times, want %d (resumes %v, broken %v)", got, c.bCalls, res.Resumes, res.Broken)
			}
			if c.bCalls == 0 && len(res.Broken) != 0 {
				t.Errorf("broken %v: a break at the deadline was taken for one to resume", res.Broken)
			}
			for name, want := range c.failed {
				if got := r.attempts(name, "failed"); got != want {
					t.Errorf("attempts{%s, failed} = %v, want %v", name, got, want)
				}
			}
		})
	}
}
