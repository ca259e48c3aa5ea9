package openrouter

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/emulator/emukit/emutest"
)

func TestFaults(t *testing.T) {
	cases := []struct {
		name       string
		f          emukit.Faults
		body       string
		status     int
		retryAfter string
		events     int // data events when not golden; -1: golden
		broken     bool
	}{
		// Cut after the role chunk and one word.
		{name: "cut_after_2", f: emukit.Faults{CutAfter: emukit.After(2)}, body: plainSt, status: 200, events: 2, broken: true},
		// A non-stream request with a cut gets no answer.
		{name: "cut_nonstream", f: emukit.Faults{CutAfter: emukit.After(0)}, body: plain, events: 0, broken: true},
		// One half line, then the stream goes on.
		{name: "malformed_after_1", f: emukit.Faults{MalformedAfter: emukit.After(1)}, body: plainSt, status: 200, events: -1},
		// No terminator.
		{name: "no_done", f: emukit.Faults{NoDone: true}, body: plainSt, status: 200, events: -1},
		// The documented in-band error chunk (§6.3), then the stream ends.
		{name: "in_band_error_after_2", f: emukit.Faults{InBandErrorAfter: emukit.After(2)}, body: plainSt, status: 200, events: -1},
		// 429 with Retry-After, status equal to error.code.
		{name: "status_429", f: emukit.Faults{Status: 429, RetryAfter: 2}, body: plain, status: 429, retryAfter: "2", events: -1},
		// 503 (no provider) with Retry-After.
		{name: "capacity", f: emukit.Faults{ErrorKind: emukit.KindCapacity, RetryAfter: 4}, body: plainSt, status: 503, retryAfter: "4", events: -1},
		// 402 insufficient credits.
		{name: "status_402", f: emukit.Faults{Status: 402}, body: plain, status: 402, events: -1},
		// 403 moderation with its metadata.
		{name: "content_filter", f: emukit.Faults{ErrorKind: emukit.KindContentFilter}, body: plain, status: 403, events: -1},
		// 502 bad upstream, metadata with provider_name and raw.
		{name: "status_502", f: emukit.Faults{Status: 502}, body: plain, status: 502, events: -1},
		// 408 timeout.
		{name: "timeout", f: emukit.Faults{ErrorKind: emukit.KindTimeout}, body: plain, status: 408, events: -1},
		// Context length as a fault.
		{name: "status_400", f: emukit.Faults{Status: 400}, body: plain, status: 400, events: -1},
		// A delisted slug: OpenRouter's 404 envelope.
		{name: "kind_model_retired", f: emukit.Faults{ErrorKind: emukit.KindModelRetired}, body: plain, status: 404, events: -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, ts := start(t, tc.f)
			res := emutest.Do(t, ts.Client(), "POST", ts.URL+"/api/v1/chat/completions", key, tc.body)
			if (res.Err != nil) != tc.broken {
				t.Fatalf("transport error %v, want broken=%v", res.Err, tc.broken)
			}
			if res.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tc.status, res.Body)
			}
			if got := res.Header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			if tc.events >= 0 {
				if n := emutest.Events(res.Body); n != tc.events {
					t.Errorf("%d events, want %d: %s", n, tc.events, res.Body)
				}
			} else {
				got := res.Body
				if tc.status >= 400 {
					got = emutest.Indent(got)
				}
				emutest.Golden(t, filepath.Join("testdata", "fault_"+tc.name+".golden"), got, *update)
			}
			if st := s.Controller().Stats(); st.Requests != 1 || st.Failed != 1 {
				t.Errorf("stats %+v: want 1 request, 1 failed", st)
			}
		})
	}
}

// TestKeepAliveDuringDelay checks that a delayed first token is preceded by
// repeated `: OPENROUTER PROCESSING` comments (keep-alive every 10ms here).
func TestKeepAliveDuringDelay(t *testing.T) {
	_, ts := start(t, emukit.Faults{FirstTokenDelay: emukit.Duration(45 * time.Millisecond)})
	res := emutest.Do(t, ts.Client(), "POST", ts.URL+"/api/v1/chat/completions", key, plainSt)
	if res.Status != 200 || res.Err != nil {
		t.Fatalf("status %d err %v", res.Status, res.Err)
	}
	head, _, _ := strings.Cut(string(res.Body), "data: ")
	if n := strings.Count(head, ": OPENROUTER PROCESSING\n\n"); n < 2 {
		t.Errorf("%d keep-alive comments before the first event, want at least 2:\n%s", n, head)
	}
	if strings.Trim(strings.ReplaceAll(head, ": OPENROUTER PROCESSING\n\n", ""), "\n") != "" {
		t.Errorf("unexpected bytes before the first event: %q", head)
	}
}

func TestStallAndRate(t *testing.T) {
	// A stall holds the stream until the client leaves.
	_, ts := start(t, emukit.Faults{StallAfter: emukit.After(1)})
	req, _ := http.NewRequest("POST", ts.URL+"/api/v1/chat/completions", strings.NewReader(plainSt))
	req.Header.Set("Authorization", "Bearer "+key)
	res := emutest.Send(&http.Client{Timeout: 100 * time.Millisecond}, req)
	if res.Err == nil || emutest.Events(res.Body) != 1 {
		t.Errorf("stall: err %v, %d events: %s", res.Err, emutest.Events(res.Body), res.Body)
	}
	// The same seed gives the same failure pattern.
	pattern := func() []int {
		_, ts := start(t, emukit.Faults{Status: 429, Rate: 0.4})
		var got []int
		for range 20 {
			got = append(got, emutest.Do(t, ts.Client(), "POST", ts.URL+"/api/v1/chat/completions", key, plain).Status)
		}
		return got
	}
	a := pattern()
	if diff := cmp.Diff(a, pattern()); diff != "" {
		t.Errorf("same seed, different patterns:\n%s", diff)
	}
	counts := map[int]int{}
	for _, st := range a {
		counts[st]++
	}
	if counts[429] == 0 || counts[200] == 0 || counts[429]+counts[200] != len(a) {
		t.Errorf("rate 0.4 should fail some but not all: %v", a)
	}
}
