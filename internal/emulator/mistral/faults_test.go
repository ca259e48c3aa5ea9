package mistral

import (
	"encoding/json"
	"path/filepath"
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
		status     int    // 0: the connection must break before a status
		retryAfter string // expected Retry-After header
		events     int    // data events expected when the body is not golden; -1: golden
		broken     bool   // the body read must fail (cut connection)
	}{
		// A dropped connection mid-stream: two events, then an abrupt EOF.
		{name: "cut_after_2", f: emukit.Faults{CutAfter: emukit.After(2)}, body: plainSt, status: 200, events: 2, broken: true},
		// cut_after 0 on a stream: headers, then nothing.
		{name: "cut_after_0", f: emukit.Faults{CutAfter: emukit.After(0)}, body: plainSt, status: 200, events: 0, broken: true},
		// A non-stream request with a cut gets no answer at all.
		{name: "cut_nonstream", f: emukit.Faults{CutAfter: emukit.After(0)}, body: plain, events: 0, broken: true},
		// One half-written data line, then the stream goes on.
		{name: "malformed_after_1", f: emukit.Faults{MalformedAfter: emukit.After(1)}, body: plainSt, status: 200, events: -1},
		// A non-stream body cut in half.
		{name: "malformed_nonstream", f: emukit.Faults{MalformedAfter: emukit.After(0)}, body: plain, status: 200, events: -1},
		// The stream ends without data: [DONE].
		{name: "no_done", f: emukit.Faults{NoDone: true}, body: plainSt, status: 200, events: -1},
		// Mistral's in-band failure: a chunk finishing with "error", then [DONE].
		{name: "in_band_error_after_2", f: emukit.Faults{InBandErrorAfter: emukit.After(2)}, body: plainSt, status: 200, events: -1},
		// Rate limit with Retry-After.
		{name: "status_429", f: emukit.Faults{Status: 429, RetryAfter: 2}, body: plain, status: 429, retryAfter: "2", events: -1},
		// Capacity is Mistral's other 429.
		{name: "capacity", f: emukit.Faults{ErrorKind: emukit.KindCapacity, RetryAfter: 1}, body: plain, status: 429, retryAfter: "1", events: -1},
		// 503 carries Retry-After too; a stream request fails before any event.
		{name: "status_503", f: emukit.Faults{Status: 503, RetryAfter: 3}, body: plainSt, status: 503, retryAfter: "3", events: -1},
		// Retry-After is only sent with 429/503.
		{name: "status_500", f: emukit.Faults{Status: 500, RetryAfter: 3}, body: plain, status: 500, events: -1},
		// A bare 400 defaults to the context-length body.
		{name: "status_400", f: emukit.Faults{Status: 400}, body: plain, status: 400, events: -1},
		// error_kind alone picks its status.
		{name: "kind_invalid_model", f: emukit.Faults{ErrorKind: emukit.KindInvalidModel}, body: plain, status: 400, events: -1},
		{name: "kind_auth", f: emukit.Faults{ErrorKind: emukit.KindAuth}, body: plain, status: 401, events: -1},
		// A retired model is Mistral's 404, naming the requested id.
		{name: "kind_model_retired", f: emukit.Faults{ErrorKind: emukit.KindModelRetired}, body: plain, status: 404, events: -1},
		// Delays do not change the transcript.
		{name: "stream", f: emukit.Faults{FirstTokenDelay: emukit.Duration(20 * time.Millisecond), ChunkDelay: emukit.Duration(2 * time.Millisecond)}, body: plainSt, status: 200, events: -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, ts := start(t, tc.f)
			res := emutest.Do(t, ts.Client(), "POST", ts.URL+"/v1/chat/completions", key, tc.body)
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
			st := s.Controller().Stats()
			if st.Requests != 1 || st.Failed != boolInt(tc.name != "stream") {
				t.Errorf("stats %+v: want 1 request, failed %d", st, boolInt(tc.name != "stream"))
			}
		})
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func TestFirstTokenDelay(t *testing.T) {
	// The delay holds back the first event; only a lower bound is checked.
	const d = 30 * time.Millisecond
	_, ts := start(t, emukit.Faults{FirstTokenDelay: emukit.Duration(d)})
	for _, body := range []string{plain, plainSt} {
		t0 := time.Now()
		res := emutest.Do(t, ts.Client(), "POST", ts.URL+"/v1/chat/completions", key, body)
		if el := time.Since(t0); res.Status != 200 || el < d {
			t.Errorf("status %d after %v, want 200 after at least %v", res.Status, el, d)
		}
	}
}

// TestRateIsSeeded checks that rate sampling repeats with the same seed and
// fails only part of the requests.
func TestRateIsSeeded(t *testing.T) {
	pattern := func() []int {
		_, ts := start(t, emukit.Faults{Status: 503, Rate: 0.5})
		var got []int
		for range 24 {
			got = append(got, emutest.Do(t, ts.Client(), "POST", ts.URL+"/v1/chat/completions", key, plain).Status)
		}
		return got
	}
	a, b := pattern(), pattern()
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different patterns (-first +second):\n%s", diff)
	}
	fails := 0
	for _, st := range a {
		if st == 503 {
			fails++
		}
	}
	if fails == 0 || fails == len(a) {
		t.Errorf("rate 0.5 failed %d of %d requests: %v", fails, len(a), a)
	}
}

func TestStats(t *testing.T) {
	s, ts := start(t, emukit.Faults{})
	c := ts.Client()
	url := ts.URL + "/v1/chat/completions"
	emutest.Do(t, c, "POST", url, key, plain)
	emutest.Do(t, c, "POST", url, "bad", plain)
	emutest.Do(t, c, "POST", url, key, plainSt)
	if err := s.Controller().SetFaults(emukit.Faults{InBandErrorAfter: emukit.After(1)}); err != nil {
		t.Fatal(err)
	}
	emutest.Do(t, c, "POST", url, key, plainSt)
	res := emutest.Do(t, c, "GET", ts.URL+"/_emulator/stats", "", "")
	var got map[string]any
	if err := json.Unmarshal(res.Body, &got); err != nil {
		t.Fatal(err)
	}
	// Two streams, one broken in-band; the 401 and the in-band error both count as failed.
	want := map[string]any{"requests": 4.0, "failed": 2.0, "streams": 2.0, "faulted": 1.0,
		"by_status": map[string]any{"200": 3.0, "401": 1.0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}
