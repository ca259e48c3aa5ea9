package emukit

import (
	"encoding/json"
	"flag"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func post(t *testing.T, h http.Handler, body string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/_emulator/faults", strings.NewReader(body)))
	return rec.Code, rec.Body.String()
}

func TestFaultsEndpoint(t *testing.T) {
	steps := []struct {
		name   string
		body   string
		status int
		want   Faults // the set in force afterwards
	}{
		// A full set in JSON, durations as strings, cut_after 0 distinct from off.
		{"set", `{"status":429,"retry_after":2,"first_token_delay":"15ms","cut_after":0,"error_kind":"capacity"}`, 200,
			Faults{Status: 429, RetryAfter: 2, FirstTokenDelay: Duration(15 * time.Millisecond), CutAfter: After(0), ErrorKind: KindCapacity}},
		// Each POST replaces the whole set: fields not sent are cleared.
		{"replace", `{"no_done":true}`, 200, Faults{NoDone: true}},
		// Bad JSON is a 400 and leaves the set alone.
		{"bad_json", `{"no_done":`, 400, Faults{NoDone: true}},
		// Unknown fields are a 400 (a typo must not silently do nothing).
		{"unknown_field", `{"cut_afer":1}`, 400, Faults{NoDone: true}},
		// Values out of range are a 400.
		{"bad_values", `{"status":200,"rate":2}`, 400, Faults{NoDone: true}},
		{"bad_duration", `{"chunk_delay":5}`, 400, Faults{NoDone: true}},
		{"bad_kind", `{"error_kind":"teapot"}`, 400, Faults{NoDone: true}},
		{"negative_count", `{"stall_after":-1}`, 400, Faults{NoDone: true}},
		// {} clears everything.
		{"clear", `{}`, 200, Faults{}},
	}
	c := NewController(Faults{}, rand.NewPCG(1, 2))
	mux := http.NewServeMux()
	c.Register(mux)
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if code, body := post(t, mux, s.body); code != s.status {
				t.Fatalf("status %d, want %d: %s", code, s.status, body)
			}
			if diff := cmp.Diff(s.want, c.Faults()); diff != "" {
				t.Errorf("faults (-want +got):\n%s", diff)
			}
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest("GET", "/_emulator/faults", nil))
			var got Faults
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got != s.want {
				t.Errorf("GET gave %s (%v), want %+v", rec.Body, err, s.want)
			}
		})
	}
}

func TestFaultsJSONRoundTrip(t *testing.T) {
	f := Faults{Rate: 0.25, ChunkDelay: Duration(time.Second), MalformedAfter: After(0), InBandErrorAfter: After(3)}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	// Off counts are omitted; a count of 0 is kept.
	if want := `{"rate":0.25,"chunk_delay":"1s","malformed_after":0,"in_band_error_after":3}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	var back Faults
	if err := json.Unmarshal(b, &back); err != nil || back != f {
		t.Errorf("round trip gave %+v (%v)", back, err)
	}
}

func TestRegisterFlags(t *testing.T) {
	fs := flag.NewFlagSet("emulate", flag.ContinueOnError)
	f := RegisterFlags(fs)
	err := fs.Parse([]string{"--status", "429", "--retry-after", "2", "--first-token-delay", "500ms",
		"--cut-after", "0", "--stall-after", "-1", "--no-done", "--error-kind", "rate_limit"})
	if err != nil {
		t.Fatal(err)
	}
	want := Faults{Status: 429, RetryAfter: 2, FirstTokenDelay: Duration(500 * time.Millisecond), CutAfter: After(0), NoDone: true, ErrorKind: KindRateLimit}
	if diff := cmp.Diff(want, *f); diff != "" {
		t.Errorf("flags (-want +got):\n%s", diff)
	}
	// Defaults leave every fault off.
	fs2 := flag.NewFlagSet("emulate", flag.ContinueOnError)
	if f2 := RegisterFlags(fs2); fs2.Parse(nil) != nil || f2.Active() {
		t.Errorf("default flags set faults: %+v", *f2)
	}
}

// TestRateSampling checks that rate draws from the injected source, so a
// seed fixes exactly which requests fail, and that spared requests are clean.
func TestRateSampling(t *testing.T) {
	c := NewController(Faults{Status: 500, Rate: 0.3}, rand.NewPCG(42, 0))
	ref := rand.New(rand.NewPCG(42, 0))
	for i := range 50 {
		got := c.Begin(false)
		want := Faults{}
		if ref.Float64() < 0.3 {
			want = Faults{Status: 500, Rate: 0.3}
		}
		if got != want {
			t.Fatalf("request %d: got %+v, want %+v", i, got, want)
		}
	}
	// A bare rate fails the sampled share with a 500.
	c = NewController(Faults{Rate: 1}, rand.NewPCG(1, 1))
	if got := c.Begin(false); got.Status != 500 {
		t.Errorf("bare rate gave %+v, want status 500", got)
	}
}

func TestStatsJSON(t *testing.T) {
	c := NewController(Faults{}, rand.NewPCG(1, 2))
	c.Begin(true)
	c.Record(200)
	c.Begin(false)
	c.Record(429)
	c.Note("last_title", "demo")
	b, err := json.Marshal(c.Stats())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"by_status":{"200":1,"429":1},"failed":1,"faulted":0,"last_title":"demo","requests":2,"streams":1}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
}
