package mistral

import (
	"flag"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/emulator/emukit/emutest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const key = "test-key"

// start runs an emulator with a small context window and a fixed clock.
func start(t *testing.T, f emukit.Faults) (*Server, *httptest.Server) {
	t.Helper()
	s := New(emukit.Options{APIKey: key, Faults: f, ContextTokens: 200, Now: emutest.Fixed, Seed: 7})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

const (
	plain      = `{"model":"mistral-medium-2508","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello there, emulator!"}]}`
	plainSt    = `{"model":"mistral-medium-2508","stream":true,"messages":[{"role":"user","content":"Hello there, emulator!"}]}`
	weatherFn  = `{"type":"function","function":{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"location":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]},"days":{"type":"integer"}},"required":["location","unit"]}}}`
	toolAsk    = `{"model":"mistral-medium-2508","tool_choice":"any","tools":[` + weatherFn + `],"messages":[{"role":"user","content":"What is the weather in Paris?"}]}`
	toolAskSt  = `{"model":"mistral-medium-2508","stream":true,"tools":[` + weatherFn + `],"messages":[{"role":"user","content":"Call get_weather for Paris"}]}`
	toolResult = `{"model":"mistral-medium-2505","tools":[` + weatherFn + `],"messages":[{"role":"user","content":"Weather in Paris?"},` +
		`{"role":"assistant","content":"","tool_calls":[{"id":"abcDEF123","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\",\"unit\":\"celsius\"}"}}]},` +
		`{"role":"tool","tool_call_id":"abcDEF123","name":"get_weather","content":"18 degrees and sunny"}]}`
)

func TestChat(t *testing.T) {
	long := strings.Repeat("word ", 250)
	cases := []struct {
		name   string
		key    string
		body   string
		status int
	}{
		// The plain answer: the baseline shape of §1.3.
		{"nonstream", key, plain, 200},
		// Stream transcript: role chunk, word chunks, last one with finish and usage, [DONE].
		{"stream", key, plainSt, 200},
		// max_tokens cuts the answer with finish_reason "length", in both modes.
		{"max_tokens", key, `{"model":"mistral-medium-2508","max_tokens":3,"messages":[{"role":"user","content":"Tell me a long story"}]}`, 200},
		{"max_tokens_stream", key, `{"model":"mistral-medium-2508","max_tokens":2,"stream":true,"messages":[{"role":"user","content":"Tell me a story"}]}`, 200},
		// n: 2 gives two choices, each deterministic for its index, the
		// prompt billed once; streamed, the choices follow each other, each
		// with its role chunk and finish, usage on the very last chunk.
		{"n2", key, `{"model":"mistral-medium-2508","n":2,"messages":[{"role":"user","content":"Hi there"}]}`, 200},
		{"n2_stream", key, `{"model":"mistral-medium-2508","n":2,"stream":true,"messages":[{"role":"user","content":"Hi"}]}`, 200},
		// JSON mode must yield a JSON object as content.
		{"json_object", key, `{"model":"mistral-medium-2508","response_format":{"type":"json_object"},"messages":[{"role":"user","content":"Answer in JSON"}]}`, 200},
		// json_schema: the object follows the schema (sent as "schema" on the wire).
		{"json_schema", key, `{"model":"mistral-medium-2508","response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","properties":{"city":{"type":"string"},"n":{"type":"integer"}}},"strict":true}},"messages":[{"role":"user","content":"Where? Lyon"}]}`, 200},
		// A forced tool call: 9-char id, arguments built from the schema.
		{"tool_call", key, toolAsk, 200},
		// A streamed tool call arrives whole in one delta.tool_calls chunk.
		{"tool_call_stream", key, toolAskSt, 200},
		// After a tool result the answer quotes it.
		{"tool_result", key, toolResult, 200},
		// Content as an array of chunks is flattened to its text.
		{"content_chunks", key, `{"model":"mistral-medium-2508","messages":[{"role":"user","content":[{"type":"text","text":"Look"},{"type":"image_url","image_url":"https://example.invalid/x.png"}]}]}`, 200},
		// Auth: missing and wrong keys are 401 with Mistral's body.
		{"no_key", "", plain, 401},
		{"wrong_key", "nope", plain, 401},
		// OpenAI-only fields are rejected with pydantic's extra_forbidden.
		{"extra_fields", key, `{"model":"mistral-medium-2508","user":"u1","stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`, 422},
		// Wrong types are 422s, all reported at once.
		{"wrong_types", key, `{"model":"mistral-medium-2508","temperature":"hot","max_tokens":-1,"stream":"yes","n":1.5,"stop":3,"messages":[{"role":"user","content":"hi"}]}`, 422},
		// OpenAI's developer role does not exist on Mistral.
		{"developer_role", key, `{"model":"mistral-medium-2508","messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":"hi"}]}`, 422},
		// model and messages are required.
		{"missing_fields", key, `{"temperature":0.2}`, 422},
		// Unparseable JSON.
		{"bad_json", key, `{"model":`, 422},
		// An id the service does not serve.
		{"invalid_model", key, `{"model":"mistral-medium-2404","messages":[{"role":"user","content":"hi"}]}`, 400},
		// OpenAI-style tool-call ids are rejected with code 3280.
		{"bad_tool_call_id", key, strings.ReplaceAll(toolResult, "abcDEF123", "call_0fypS1hVX"), 400},
		// A prompt over the context window (200 tokens here).
		{"context_length", key, `{"model":"mistral-medium-2508","messages":[{"role":"user","content":"` + long + `"}]}`, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, ts := start(t, emukit.Faults{})
			res := emutest.Do(t, ts.Client(), "POST", ts.URL+"/v1/chat/completions", tc.key, tc.body)
			if res.Err != nil || res.Status != tc.status {
				t.Fatalf("status %d (err %v), want %d; body %s", res.Status, res.Err, tc.status, res.Body)
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
	// Listing needs the key, like the chat route.
	if res := emutest.Do(t, ts.Client(), "GET", ts.URL+"/v1/models", "", ""); res.Status != 401 {
		t.Errorf("no key: status %d, want 401", res.Status)
	}
	res := emutest.Do(t, ts.Client(), "GET", ts.URL+"/v1/models", key, "")
	if res.Status != 200 {
		t.Fatalf("status %d: %s", res.Status, res.Body)
	}
	emutest.Golden(t, filepath.Join("testdata", "models.golden"), emutest.Indent(res.Body), *update)
}

// TestStreamIsConsistent checks that a stream carries the same text and usage
// as the non-stream answer to the same request.
func TestStreamIsConsistent(t *testing.T) {
	_, ts := start(t, emukit.Faults{})
	whole := emutest.Do(t, ts.Client(), "POST", ts.URL+"/v1/chat/completions", key, plain)
	streamed := emutest.Do(t, ts.Client(), "POST", ts.URL+"/v1/chat/completions", key,
		strings.Replace(plain, `"messages"`, `"stream":true,"messages"`, 1))
	text, usage := emutest.Collect(t, streamed.Body)
	wantText, wantUsage := emutest.Whole(t, whole.Body)
	if text != wantText || usage != wantUsage {
		t.Errorf("stream gave %q %s, non-stream %q %s", text, usage, wantText, wantUsage)
	}
}

func TestRequestTimeoutWhileStalled(t *testing.T) {
	// A stalled stream keeps the connection until the client leaves.
	_, ts := start(t, emukit.Faults{StallAfter: emukit.After(1)})
	req, _ := http.NewRequest("POST", ts.URL+"/v1/chat/completions", strings.NewReader(plainSt))
	req.Header.Set("Authorization", "Bearer "+key)
	c := &http.Client{Timeout: 100 * time.Millisecond}
	res := emutest.Send(c, req)
	if res.Err == nil {
		t.Fatalf("stalled stream ended normally: %s", res.Body)
	}
	if n := emutest.Events(res.Body); n != 1 {
		t.Errorf("got %d events before the stall, want 1: %s", n, res.Body)
	}
}
