package openrouter

import (
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/emulator/emukit/emutest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const key = "sk-or-v1-test"

func start(t *testing.T, f emukit.Faults) (*Server, *httptest.Server) {
	t.Helper()
	s := New(emukit.Options{APIKey: key, Faults: f, ContextTokens: 200, Now: emutest.Fixed, Seed: 7, KeepAlive: 10 * time.Millisecond})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

const (
	plain     = `{"model":"mistralai/mistral-medium-3.1","messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":"Hello there, emulator!"}],"max_completion_tokens":50,"seed":1,"user":"u1","provider":{"order":["mistral"],"allow_fallbacks":false}}`
	plainSt   = `{"model":"mistralai/mistral-medium-3.1","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hello there, emulator!"}]}`
	weatherFn = `{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}}`
	toolAsk   = `{"model":"mistralai/mistral-medium-3","tool_choice":"required","tools":[` + weatherFn + `],"messages":[{"role":"user","content":"What is the weather in Paris?"}]}`
	toolAskSt = `{"model":"mistralai/mistral-medium-3","stream":true,"tool_choice":{"type":"function","function":{"name":"get_weather"}},"tools":[` + weatherFn + `],"messages":[{"role":"user","content":"Weather in Rome?"}]}`
)

func TestChat(t *testing.T) {
	long := strings.Repeat("word ", 150)
	cases := []struct {
		name   string
		key    string
		body   string
		status int
	}{
		// OpenAI body with OpenRouter extras and OpenAI-only fields: accepted.
		{"nonstream", key, plain, 200},
		// Comment keep-alive, chunks, finish chunk, usage-only chunk with cost, [DONE].
		{"stream", key, plainSt, 200},
		// max_tokens (deprecated but accepted) still limits the answer.
		{"max_tokens", key, `{"model":"mistralai/mistral-medium-3.1","max_tokens":2,"messages":[{"role":"user","content":"Tell me a story"}]}`, 200},
		// JSON mode.
		{"json_object", key, `{"model":"mistralai/mistral-medium-3.1","response_format":{"type":"json_object"},"messages":[{"role":"user","content":"JSON please"}]}`, 200},
		// A forced tool call, OpenAI shape.
		{"tool_call", key, toolAsk, 200},
		// A named tool choice, streamed.
		{"tool_call_stream", key, toolAskSt, 200},
		// Auth: missing and wrong keys give different 401 messages.
		{"no_key", "", plain, 401},
		{"wrong_key", "sk-or-v1-nope", plain, 401},
		// Malformed JSON and missing fields are 400s.
		{"bad_json", key, `{"model":`, 400},
		{"missing_model", key, `{"messages":[{"role":"user","content":"hi"}]}`, 400},
		{"missing_messages", key, `{"model":"mistralai/mistral-medium-3.1"}`, 400},
		// An unknown slug.
		{"invalid_model", key, `{"model":"mistralai/no-such-model","messages":[{"role":"user","content":"hi"}]}`, 400},
		// Prompt plus requested output over the window.
		{"context_length", key, `{"model":"mistralai/mistral-medium-3.1","max_tokens":100,"messages":[{"role":"user","content":"` + long + `"}]}`, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, ts := start(t, emukit.Faults{})
			res := emutest.Do(t, ts.Client(), "POST", ts.URL+"/api/v1/chat/completions", tc.key, tc.body)
			if res.Err != nil || res.Status != tc.status {
				t.Fatalf("status %d (err %v), want %d; body %s", res.Status, res.Err, tc.status, res.Body)
			}
			if tc.status == 200 && !strings.HasPrefix(res.Header.Get("X-Generation-Id"), "gen-") {
				t.Errorf("X-Generation-Id = %q", res.Header.Get("X-Generation-Id"))
			}
			got := res.Body
			if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
				got = emutest.Indent(got)
			}
			emutest.Golden(t, filepath.Join("testdata", tc.name+".golden"), got, *update)
		})
	}
}

func TestModels(t *testing.T) {
	_, ts := start(t, emukit.Faults{})
	res := emutest.Do(t, ts.Client(), "GET", ts.URL+"/api/v1/models", "", "")
	if res.Status != 200 {
		t.Fatalf("status %d: %s", res.Status, res.Body)
	}
	emutest.Golden(t, filepath.Join("testdata", "models.golden"), emutest.Indent(res.Body), *update)
}

// TestStreamIsConsistent checks that a stream carries the same text and usage
// (cost included) as the non-stream answer.
func TestStreamIsConsistent(t *testing.T) {
	_, ts := start(t, emukit.Faults{})
	whole := emutest.Do(t, ts.Client(), "POST", ts.URL+"/api/v1/chat/completions", key, plain)
	streamed := emutest.Do(t, ts.Client(), "POST", ts.URL+"/api/v1/chat/completions", key,
		strings.Replace(plain, `"messages"`, `"stream":true,"messages"`, 1))
	text, usage := emutest.Collect(t, streamed.Body)
	wantText, wantUsage := emutest.Whole(t, whole.Body)
	if text != wantText || usage != wantUsage {
		t.Errorf("stream gave %q %s, non-stream %q %s", text, usage, wantText, wantUsage)
	}
}

// TestAttributionHeaders checks that the last request's attribution headers
// show in the stats, the legacy X-Title standing in for X-OpenRouter-Title.
func TestAttributionHeaders(t *testing.T) {
	cases := []struct {
		name    string
		headers map[string]string
		referer string
		title   string
	}{
		// The current header name.
		{"current", map[string]string{"HTTP-Referer": "https://app.example", "X-OpenRouter-Title": "Windrose"}, "https://app.example", "Windrose"},
		// The legacy name most clients still send.
		{"legacy", map[string]string{"X-Title": "Old"}, "", "Old"},
		// Both: the current one wins.
		{"both", map[string]string{"X-Title": "Old", "X-OpenRouter-Title": "New"}, "", "New"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, ts := start(t, emukit.Faults{})
			req, _ := http.NewRequest("POST", ts.URL+"/api/v1/chat/completions", strings.NewReader(plain))
			req.Header.Set("Authorization", "Bearer "+key)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			if res := emutest.Send(ts.Client(), req); res.Status != 200 {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			notes := s.Controller().Stats().Notes
			got := []string{notes[NoteReferer], notes[NoteTitle]}
			if diff := cmp.Diff([]string{tc.referer, tc.title}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			res := emutest.Do(t, ts.Client(), "GET", ts.URL+"/_emulator/stats", "", "")
			var stats map[string]any
			if err := json.Unmarshal(res.Body, &stats); err != nil || stats["last_title"] != tc.title {
				t.Errorf("stats endpoint %s (%v) lacks last_title %q", res.Body, err, tc.title)
			}
		})
	}
}
