package openrouter

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/internal/golden"
)

var update = flag.Bool("update", false, "rewrite golden files")

func ptr[T any](v T) *T { return &v }

var weatherTool = llm.Tool{
	Name: "get_weather", Description: "Current weather",
	Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}}}`),
}

func TestRequestGolden(t *testing.T) {
	routing := json.RawMessage(`{"allow_fallbacks":false,"data_collection":"deny","order":["mistral"]}`)
	tests := []struct {
		name     string
		req      llm.ChatRequest
		provider json.RawMessage
	}{
		// The simplest request.
		{"plain", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "Hello"}}}, nil},
		// OpenAI fields pass under their OpenAI names (seed, user,
		// stream_options, developer role, names); Extra never does; the
		// routing object comes from the deployment's options.
		{"all fields", llm.ChatRequest{
			Messages: []llm.Message{{Role: llm.RoleDeveloper, Content: "d"}, {Role: llm.RoleUser, Content: "u", Name: "bob"}},
			Tools:    []llm.Tool{weatherTool}, ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceRequired},
			ParallelToolCalls: ptr(true), Temperature: ptr(0.2), TopP: ptr(0.9),
			PresencePenalty: ptr(0.1), FrequencyPenalty: ptr(0.3), MaxTokens: ptr(64),
			Stop: []string{"END"}, Seed: ptr(int64(42)), N: ptr(1), Stream: true, IncludeUsage: true,
			User: "user-123", Metadata: map[string]string{"team": "a"},
			Extra: map[string]json.RawMessage{"models": json.RawMessage(`["x/expensive"]`), "provider": json.RawMessage(`{"order":["evil"]}`)},
		}, routing},
		// Tool ids are the caller's own: OpenRouter accepts OpenAI ids.
		{"tools round trip", llm.ChatRequest{Messages: []llm.Message{
			{Role: llm.RoleUser, Content: "Weather?"},
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "call_abc123XYZ", Name: "get_weather", Arguments: `{"city":"Paris"}`}}},
			{Role: llm.RoleTool, ToolCallID: "call_abc123XYZ", Content: "18C"},
		}, Tools: []llm.Tool{weatherTool}, ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: "get_weather"}}, nil},
		// JSON mode.
		{"json mode", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "JSON"}},
			ResponseFormat: &llm.ResponseFormat{Type: llm.FormatJSONObject}}, nil},
		// json_schema in OpenAI's shape.
		{"json schema", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "a city"}},
			ResponseFormat: &llm.ResponseFormat{Type: llm.FormatJSONSchema, Name: "city",
				Schema: json.RawMessage(`{"type":"object"}`), Strict: ptr(true)}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := encodeRequest(&tt.req, "mistralai/mistral-medium-3.1", tt.provider, tt.req.Stream)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "request", golden.FileName(tt.name)+".json"), golden.Indent(t, body), *update)
		})
	}
}

type responseResult struct {
	Response *llm.ChatResponse `json:"response,omitempty"`
	Err      *golden.Error     `json:"error,omitempty"`
}

// Recorded bodies: cost and cached tokens, tool calls with OpenAI ids, and
// a 200 carrying an error object (an Upstream failure, metadata not leaked).
func TestResponseGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "response", "*.in.json"))
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".in.json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := decodeResponse(body)
			golden.CheckJSON(t, filepath.Join("testdata", "response", name+".want.json"),
				responseResult{Response: resp, Err: golden.ErrorOf(err)}, *update)
		})
	}
}

// Recorded streams (§6.3): comments skipped, usage-only last chunk, and
// in-band errors whose usage stays reachable through providers.UsageOf.
func TestStreamGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "stream", "*.sse"))
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sse")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s := newStream(context.Background(), io.NopCloser(strings.NewReader(string(raw))))
			golden.CheckJSON(t, filepath.Join("testdata", "stream", name+".json"), golden.Read(s, 1000), *update)
		})
	}
}

func TestClassifyError(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	type want struct {
		Kind       gwerr.Kind
		Code       string
		RetryAfter time.Duration
	}
	tests := []struct {
		name   string
		status int
		retry  string
		body   string
		want   want
	}{
		// Context overflow (3p fixture) gets OpenAI's code.
		{"400 context", 400, "", `{"error":{"message":"This endpoint's maximum context length is 131072 tokens. However, you requested about 150211 tokens","code":400,"metadata":{"provider_name":null}}}`, want{gwerr.InvalidRequest, "context_length_exceeded", 0}},
		{"400", 400, "", `{"error":{"code":400,"message":"bad"}}`, want{gwerr.InvalidRequest, "", 0}},
		{"401", 401, "", `{"error":{"code":401,"message":"No auth credentials found"}}`, want{gwerr.Auth, "", 0}},
		// No credits: the deployment is unusable; move on (Auth).
		{"402", 402, "", `{"error":{"code":402,"message":"Insufficient credits"}}`, want{gwerr.Auth, "insufficient_quota", 0}},
		// Moderation flags the input: the request's fault.
		{"403", 403, "", `{"error":{"code":403,"message":"Input flagged","metadata":{"reasons":["x"],"flagged_input":"secret prompt"}}}`, want{gwerr.InvalidRequest, "content_filter", 0}},
		{"408", 408, "", `{"error":{"code":408,"message":"Timeout"}}`, want{gwerr.Timeout, "", 0}},
		{"429", 429, "4", `{"error":{"code":429,"message":"Rate limited"}}`, want{gwerr.RateLimited, "", 4 * time.Second}},
		{"502", 502, "", `{"error":{"code":502,"message":"Provider returned error","metadata":{"provider_name":"Mistral","raw":"x"}}}`, want{gwerr.Upstream, "", 0}},
		{"503", 503, "2", `{"error":{"code":503,"message":"No available providers"}}`, want{gwerr.Overloaded, "", 2 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.retry != "" {
				h.Set("Retry-After", tt.retry)
			}
			e := classifyError(tt.status, h, []byte(tt.body), now, "sk-or-v1-x")
			if diff := cmp.Diff(tt.want, want{e.Kind, e.Code, e.RetryAfter}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if e.Status != tt.status || strings.Contains(e.Message, "secret prompt") {
				t.Errorf("status %d, message %q", e.Status, e.Message)
			}
		})
	}
}

func newAdapter(t *testing.T, url, options string) providers.Provider {
	t.Helper()
	d := config.Deployment{Name: "or", Provider: Kind, Model: "mistralai/mistral-medium-3.1", BaseURL: url, APIKey: "sk-or-v1-test"}
	if options != "" {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(options), &doc); err != nil {
			t.Fatal(err)
		}
		d.Options = *doc.Content[0]
	}
	p, err := New(d, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Options become attribution headers and the routing object.
func TestOptionsOnTheWire(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r, must(io.ReadAll(r.Body))
		_, _ = io.WriteString(w, `{"id":"g","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"cost":0.5}}`)
	}))
	defer srv.Close()
	p := newAdapter(t, srv.URL, "referer: https://app.example\ntitle: Windrose\nprovider:\n  order: [mistral]\n  allow_fallbacks: false\n")
	resp, err := p.Chat(context.Background(), &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Usage.HasCost || resp.Usage.Cost != 0.5 {
		t.Errorf("usage = %+v", resp.Usage)
	}
	if got.URL.Path != "/v1/chat/completions" || got.Header.Get("HTTP-Referer") != "https://app.example" ||
		got.Header.Get("X-OpenRouter-Title") != "Windrose" || got.Header.Get("Authorization") != "Bearer sk-or-v1-test" {
		t.Errorf("path %q headers %v", got.URL.Path, got.Header)
	}
	if !strings.Contains(string(body), `"provider":{"allow_fallbacks":false,"order":["mistral"]}`) {
		t.Errorf("body lacks routing: %s", body)
	}
}

// An unknown option key is a config error naming the key.
func TestOptionsStrict(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("referrer: https://typo\n"), &doc); err != nil {
		t.Fatal(err)
	}
	_, err := New(config.Deployment{Provider: Kind, Model: "m", Options: *doc.Content[0]}, providers.Deps{})
	if err == nil || !strings.Contains(err.Error(), "referrer") {
		t.Errorf("err = %v", err)
	}
}

// An in-band error mid-stream over HTTP: the text before it arrives, then
// the classified error carrying the failed attempt's usage.
func TestStreamInBandErrorHTTP(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "stream", "in_band_error.sse"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write(raw)
	}))
	defer srv.Close()
	s, err := newAdapter(t, srv.URL, "").ChatStream(context.Background(), &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tr := golden.Read(s, 100)
	if errors.Is(tr.Err(), io.EOF) || gwerr.KindOf(tr.Err()) != gwerr.Upstream {
		t.Fatalf("end = %v", tr.Err())
	}
	if u := providers.UsageOf(tr.Err()); u == nil || u.TotalTokens != 11 || !u.HasCost {
		t.Errorf("usage on error = %+v", u)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
