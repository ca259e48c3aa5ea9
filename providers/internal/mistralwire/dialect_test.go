package mistralwire

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/golden"
)

var timeZero time.Time

// Vertex's container differs from La Plateforme in what the body may hold;
// each case pins one difference (PROVIDERS.md §0, §4.1).
func TestVertexDialectBody(t *testing.T) {
	req := &llm.ChatRequest{Model: "mistral-medium", Messages: conversation(), Tools: []llm.Tool{weatherTool},
		IncludeUsage: true, Extra: map[string]json.RawMessage{"safe_prompt": json.RawMessage(`true`)}}
	tests := []struct {
		name   string
		model  string
		stream bool
		// want is the body's model id.
		want string
	}{
		// A pinned version lives in the resource path only; the body has the bare id.
		{"pinned version", "mistral-medium-3@001", true, "mistral-medium-3"},
		// An unpinned id is sent as is.
		{"bare id", "mistral-medium-3", false, "mistral-medium-3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ids, err := Vertex.EncodeRequest(req, tt.model, tt.stream)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			// The model id is in the body (Vertex needs it there too).
			if got["model"] != tt.want {
				t.Errorf("model = %v, want %q", got["model"], tt.want)
			}
			// Vertex rejects safe_prompt: never sent, even when a caller asks.
			if _, ok := got["safe_prompt"]; ok || strings.Contains(string(body), "safe_prompt") {
				t.Errorf("safe_prompt sent: %s", body)
			}
			// Usage comes on the last chunk unasked: no stream_options.
			if _, ok := got["stream_options"]; ok {
				t.Errorf("stream_options sent: %s", body)
			}
			if got["stream"] != tt.stream {
				t.Errorf("stream = %v, want %v", got["stream"], tt.stream)
			}
			// Tool ids are rewritten exactly as for La Plateforme.
			if r := ids.Rewrite("call_0fypS1hVXabcdefghij"); !validID(r) {
				t.Errorf("id rewrite %q", r)
			}
			golden.Check(t, filepath.Join("testdata", "request", "vertex_"+golden.FileName(tt.name)+".json"), golden.Indent(t, body), *update)
		})
	}
}

// Vertex's container schema (the GCP SDK's ChatCompletionRequest) has n,
// prediction and parallel_tool_calls but no prompt_cache_key: the hint is
// dropped there and sent to La Plateforme.
func TestPromptCacheKeyByDialect(t *testing.T) {
	req := &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}}, N: ptr(2),
		Extra: map[string]json.RawMessage{"prompt_cache_key": json.RawMessage(`"k"`), "prediction": json.RawMessage(`{"type":"content","content":"p"}`)}}
	for _, tt := range []struct {
		name    string
		d       Dialect
		wantKey bool
	}{{"la plateforme", Dialect{}, true}, {"vertex", Vertex, false}} {
		body, _, err := tt.d.EncodeRequest(req, "m", false)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		_ = json.Unmarshal(body, &got)
		if _, ok := got["prompt_cache_key"]; ok != tt.wantKey {
			t.Errorf("%s: prompt_cache_key sent = %v, want %v: %s", tt.name, ok, tt.wantKey, body)
		}
		if got["prediction"] == nil || got["n"] != 2.0 {
			t.Errorf("%s: prediction or n missing: %s", tt.name, body)
		}
	}
}

// ContextTooLong reads Mistral's overflow text wherever it arrives (a gRPC
// status message on Vertex). The invalid-model answer is a deployment
// fault on every cloud; errors_test.go covers it.
func TestContextTooLong(t *testing.T) {
	if !ContextTooLong("Prompt contains 40960 tokens and 0 draft tokens, too large for model with 32768 maximum context length") || ContextTooLong("Quota exceeded") {
		t.Error("ContextTooLong misreads")
	}
}
