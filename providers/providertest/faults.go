package providertest

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/providers"
)

// testErrors injects each error class the executor acts on and checks the
// Kind, code, RetryAfter and upstream status, for Chat and ChatStream.
func testErrors(t *testing.T, h Harness) {
	tests := []struct {
		name       string
		faults     string
		wrongKey   bool
		kind       gwerr.Kind
		code       string
		retryAfter time.Duration
		status     int
		// anyStatus and anyCode accept whatever status (>= 400) and code
		// the provider uses for the case: providers answer a missing model
		// with 400, 403 or 404 bodies of their own.
		anyStatus, anyCode bool
	}{
		// A wrong key: mark the deployment and move on.
		{name: "wrong key", wrongKey: true, kind: gwerr.Auth, status: 401},
		// Throttling with a wait hint the executor must honour.
		{name: "429 retry-after", faults: `{"status":429,"retry_after":3}`, kind: gwerr.RateLimited, retryAfter: 3 * time.Second, status: 429},
		// Server failure: retry elsewhere.
		{name: "500", faults: `{"status":500}`, kind: gwerr.Upstream, status: 500},
		// Capacity: retry elsewhere, maybe after the hint.
		{name: "503", faults: `{"status":503,"retry_after":1}`, kind: gwerr.Overloaded, retryAfter: time.Second, status: 503},
		// The client's fault: stop, with OpenAI's code.
		{name: "context length", faults: `{"error_kind":"context_length"}`, kind: gwerr.InvalidRequest, code: "context_length_exceeded", status: 400},
		// A retired model is the deployment's fault, not the client's:
		// fail over and open the breaker for long.
		{name: "model retired", faults: `{"error_kind":"model_retired"}`, kind: gwerr.ModelUnavailable, anyStatus: true, anyCode: true},
		// So is a model id the deployment does not know.
		{name: "invalid model", faults: `{"error_kind":"invalid_model"}`, kind: gwerr.ModelUnavailable, anyStatus: true, anyCode: true},
	}
	for _, tt := range tests {
		if tt.wrongKey && h.Caps.AuthStatus != 0 {
			tt.status = h.Caps.AuthStatus
		}
		t.Run(tt.name, func(t *testing.T) {
			e := h.start(t)
			p := e.p
			if tt.wrongKey {
				p = h.New(t, e.root, "definitely-wrong-key")
			}
			if tt.faults != "" {
				e.faults(tt.faults)
			}
			_, chatErr := p.Chat(e.ctx(30*time.Second), userRequest("hello"))
			_, streamErr := p.ChatStream(e.ctx(30*time.Second), userRequest("hello"))
			for name, err := range map[string]error{"chat": chatErr, "stream": streamErr} {
				ge := gwerr.As(err)
				code, status := tt.code, tt.status
				if tt.anyCode {
					code = ge.Code
				}
				if tt.anyStatus {
					status = max(ge.Status, 400) // an unset status (0) still fails
				}
				if err == nil || ge.Kind != tt.kind || ge.Code != code || ge.RetryAfter != tt.retryAfter || ge.Status != status {
					t.Errorf("%s: got %v (kind %v code %q retry %v status %d), want kind %v code %q retry %v status %d",
						name, err, ge.Kind, ge.Code, ge.RetryAfter, ge.Status, tt.kind, code, tt.retryAfter, status)
				}
			}
		})
	}
}

// testStreamFaults breaks a 200 stream in each way and checks that the
// adapter reports an error, never a clean io.EOF.
func testStreamFaults(t *testing.T, h Harness) {
	tests := []struct {
		name   string
		faults string
		skip   bool
	}{
		// The connection drops mid-stream.
		{name: "cut", faults: `{"cut_after":2}`},
		// A chunk is not JSON.
		{name: "malformed", faults: `{"malformed_after":2}`},
		// The stream closes cleanly without its terminator: complete if
		// a finish reason came first (checked below), never a silent EOF.
		{name: "no done", faults: `{"no_done":true}`},
		// The provider reports a failure inside the stream.
		{name: "in-band error", faults: `{"in_band_error_after":2}`, skip: !h.Caps.InBandErrors},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip {
				t.Skip("not a capability of this provider")
			}
			e := h.start(t)
			e.faults(tt.faults)
			s, err := e.p.ChatStream(e.ctx(30*time.Second), userRequest("Tell me a long story about the wind and the sea"))
			if err != nil {
				t.Fatalf("error before the stream: %v", err)
			}
			defer s.Close()
			c := drain(s, 10000)
			if tt.name == "no done" && errors.Is(c.err, io.EOF) {
				// Content and a finish reason, then a clean close: the
				// whole answer arrived (README, Streams).
				if len(c.finishes) == 0 || c.text == "" {
					t.Fatalf("stream without terminator ended with a clean EOF but finishes %v, text %q: want an answer with a finish reason, or an error", c.finishes, c.text)
				}
				return
			}
			if c.err == nil || errors.Is(c.err, io.EOF) {
				t.Fatalf("stream ended with %v, want an error", c.err)
			}
			if k := gwerr.KindOf(c.err); !k.Retryable() || k == gwerr.Auth {
				t.Errorf("kind = %v, want a retryable provider failure", k)
			}
			if tt.name == "in-band error" && h.Caps.InBandUsage && providers.UsageOf(c.err) == nil && c.usage == nil {
				// The tokens billed before the failure are the provider's
				// own numbers: lose them and cost undercounts.
				t.Errorf("in-band error carried no usage; the emulator sends it, the adapter must keep it (providers.WithUsage)")
			}
		})
	}
}

// testStall: a stream that stops sending must be abortable, both by the
// context deadline and by Close from another goroutine.
func testStall(t *testing.T, h Harness) {
	t.Run("deadline", func(t *testing.T) {
		e := h.start(t)
		e.faults(`{"stall_after":1}`)
		s, err := e.p.ChatStream(e.ctx(500*time.Millisecond), userRequest("stall please"))
		if err != nil {
			t.Fatalf("error before the stream: %v", err)
		}
		defer s.Close()
		if c := drain(s, 1000); gwerr.KindOf(c.err) != gwerr.Timeout {
			t.Errorf("stalled stream ended with %v, want Timeout", c.err)
		}
	})
	t.Run("close", func(t *testing.T) {
		e := h.start(t)
		e.faults(`{"stall_after":1}`)
		s, err := e.p.ChatStream(e.ctx(30*time.Second), userRequest("stall please"))
		if err != nil {
			t.Fatalf("error before the stream: %v", err)
		}
		if _, err := s.Next(); err != nil {
			t.Fatalf("first event: %v", err)
		}
		done := make(chan error, 1)
		go func() { done <- drain(s, 1000).err }()
		time.Sleep(50 * time.Millisecond) // let Next block on the stalled read
		_ = s.Close()
		select {
		case err := <-done:
			if err == nil || errors.Is(err, io.EOF) {
				t.Errorf("Next after Close = %v, want an error", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Close did not unblock Next")
		}
	})
}
