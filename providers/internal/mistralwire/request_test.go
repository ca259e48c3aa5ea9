package mistralwire

import (
	"encoding/json"
	"flag"
	"path/filepath"
	"testing"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/golden"
)

var update = flag.Bool("update", false, "rewrite golden files")

func ptr[T any](v T) *T { return &v }

// conversation is a multi-turn tool conversation with OpenAI-style ids
// (which Mistral rejects) and one id Mistral already accepts.
func conversation() []llm.Message {
	return []llm.Message{
		{Role: llm.RoleDeveloper, Content: "You are terse."},
		{Role: llm.RoleUser, Content: "Weather in Paris and Rome?", Name: "alice"},
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{
			{ID: "call_0fypS1hVXabcdefghij", Name: "get_weather", Arguments: `{"city":"Paris"}`},
			{ID: "Ab3dE6gH9", Name: "get_weather", Arguments: `{"city":"Rome"}`},
		}},
		{Role: llm.RoleTool, ToolCallID: "call_0fypS1hVXabcdefghij", Name: "get_weather", Content: "18C"},
		{Role: llm.RoleTool, ToolCallID: "Ab3dE6gH9", Name: "get_weather", Content: "24C"},
		{Role: llm.RoleAssistant, Content: "Paris 18C, Rome 24C."},
		{Role: llm.RoleUser, Content: "And Oslo?"},
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{
			{ID: "toolu_01A09q90qw90lq917835lq9", Name: "get_weather", Arguments: `{"city":"Oslo"}`},
		}},
		{Role: llm.RoleTool, ToolCallID: "toolu_01A09q90qw90lq917835lq9", Content: "3C"},
	}
}

var weatherTool = llm.Tool{
	Name: "get_weather", Description: "Current weather",
	Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`),
}

func TestRequestGolden(t *testing.T) {
	tests := []struct {
		name string
		req  llm.ChatRequest
	}{
		// The simplest request: model replaced by the deployment's id.
		{"plain", llm.ChatRequest{Model: "mistral-medium", Messages: []llm.Message{
			{Role: llm.RoleSystem, Content: "Be brief."}, {Role: llm.RoleUser, Content: "Hello"},
		}}},
		// Every mapped field (seed → random_seed, developer → system,
		// required → any) and every dropped one (user, stream_options,
		// Extra, a user message's name) in one body.
		{"mapped and dropped", llm.ChatRequest{
			Model:    "alias",
			Messages: []llm.Message{{Role: llm.RoleDeveloper, Content: "d"}, {Role: llm.RoleUser, Content: "u", Name: "bob"}},
			Tools:    []llm.Tool{weatherTool}, ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceRequired},
			ParallelToolCalls: ptr(false), Temperature: ptr(0.2), TopP: ptr(0.9),
			PresencePenalty: ptr(0.1), FrequencyPenalty: ptr(0.3), MaxTokens: ptr(64),
			Stop: []string{"END"}, Seed: ptr(int64(42)), N: ptr(1), Stream: true, IncludeUsage: true,
			User: "user-123", Metadata: map[string]string{"team": "a"},
			Extra: map[string]json.RawMessage{"logit_bias": json.RawMessage(`{"1":2}`), "reasoning_effort": json.RawMessage(`"high"`)},
		}},
		// A multi-turn tool conversation: every non-Mistral id is rewritten
		// to 9 alphanumerics, consistently between the assistant call and
		// its tool result; the valid id stays as is.
		{"tools round trip", llm.ChatRequest{Messages: conversation(), Tools: []llm.Tool{weatherTool},
			ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: "get_weather"}}},
		// JSON mode.
		{"json mode", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "JSON please"}},
			ResponseFormat: &llm.ResponseFormat{Type: llm.FormatJSONObject}}},
		// json_schema: the schema goes on the wire as "schema".
		{"json schema", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "a city"}},
			ResponseFormat: &llm.ResponseFormat{Type: llm.FormatJSONSchema, Name: "city", Description: "A city",
				Schema: json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"}}}`), Strict: ptr(true)}}},
		// Array content with an image part.
		{"image parts", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Parts: []llm.Part{
			{Type: llm.PartText, Text: "What is this?"},
			{Type: llm.PartImageURL, ImageURL: "https://example.com/cat.png", Detail: "low"},
		}}}}},
		// Mistral takes n, parallel_tool_calls, prediction and
		// prompt_cache_key (PROVIDERS.md §1.2): all four are sent.
		{"n prediction cache key", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "fix the typo"}},
			N: ptr(2), ParallelToolCalls: ptr(false), Tools: []llm.Tool{weatherTool},
			Extra: map[string]json.RawMessage{
				"prediction":       json.RawMessage(`{"type":"content","content":"the fixed text"}`),
				"prompt_cache_key": json.RawMessage(`"conv-42"`),
				"service_tier":     json.RawMessage(`"flex"`), "store": json.RawMessage(`true`),
			}}},
		// OpenAI's text-part form of prediction content becomes Mistral's string.
		{"prediction parts", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}},
			Extra: map[string]json.RawMessage{"prediction": json.RawMessage(`{"type":"content","content":[{"type":"text","text":"a "},{"type":"text","text":"b"}]}`)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _, err := EncodeRequest(&tt.req, "mistral-medium-2508", tt.req.Stream)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "request", golden.FileName(tt.name)+".json"), golden.Indent(t, body), *update)
		})
	}
}

// The rewritten ids must be valid, consistent inside a request, and the
// same in every turn (each turn is a separate request with the history).
func TestToolIDRewriting(t *testing.T) {
	conv := conversation()
	_, ids, err := EncodeRequest(&llm.ChatRequest{Messages: conv}, "m", false)
	if err != nil {
		t.Fatal(err)
	}
	// Turn two alone (a prefix of the conversation) must map the same way.
	_, idsEarlier, err := EncodeRequest(&llm.ChatRequest{Messages: conv[:5]}, "m", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, orig := range []string{"call_0fypS1hVXabcdefghij", "toolu_01A09q90qw90lq917835lq9", "Ab3dE6gH9"} {
		got := ids.Rewrite(orig)
		if !validID(got) {
			t.Errorf("%q → %q is not a valid Mistral id", orig, got)
		}
		if back := ids.Restore(got); back != orig {
			t.Errorf("restore(%q) = %q, want %q", got, back, orig)
		}
		if orig != "toolu_01A09q90qw90lq917835lq9" && idsEarlier.Rewrite(orig) != got {
			t.Errorf("%q maps differently in an earlier turn", orig)
		}
	}
	if got := ids.Rewrite("Ab3dE6gH9"); got != "Ab3dE6gH9" {
		t.Errorf("a valid id was rewritten to %q", got)
	}
	// Ids the model invents pass through restore untouched.
	if got := ids.Restore("zzzzzzzzz"); got != "zzzzzzzzz" {
		t.Errorf("restore of a new id = %q", got)
	}
}

// A caller's own valid id equal to another id's hash must not merge the
// two calls.
func TestToolIDCollision(t *testing.T) {
	long := "call_collides"
	h := hashID(long, 0)
	msgs := []llm.Message{
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: long, Name: "f"}, {ID: h, Name: "f"}}},
	}
	_, ids, err := EncodeRequest(&llm.ChatRequest{Messages: msgs}, "m", false)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := ids.Rewrite(long), ids.Rewrite(h); a == b || !validID(a) {
		t.Errorf("ids merged or invalid: %q and %q", a, b)
	}
}

// Bad input is a clear InvalidRequest, never a panic.
func TestRequestInvalid(t *testing.T) {
	tests := []struct {
		name string
		req  llm.ChatRequest
	}{
		// An unknown role cannot be expressed in Mistral's schema.
		{"role", llm.ChatRequest{Messages: []llm.Message{{Role: "wizard", Content: "x"}}}},
		// Parameters that are not JSON fail encoding.
		{"bad schema", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}},
			Tools: []llm.Tool{{Name: "f", Parameters: json.RawMessage(`{nope`)}}}},
		// An unknown tool_choice mode.
		{"tool choice", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}},
			ToolChoice: &llm.ToolChoice{Mode: "sometimes"}}},
		// A prediction Mistral cannot express: not of type content, or
		// content parts that are not text.
		{"prediction type", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}},
			Extra: map[string]json.RawMessage{"prediction": json.RawMessage(`{"type":"audio"}`)}}},
		{"prediction part", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}},
			Extra: map[string]json.RawMessage{"prediction": json.RawMessage(`{"type":"content","content":[{"type":"image_url"}]}`)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := EncodeRequest(&tt.req, "m", false); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// BenchmarkEncodeRequest compares the append encoder with the json.Marshal
// path it replaced (reference_test.go) on a short chat, the e2e
// benchmarks' request, and on a tool conversation with a schema:
//
//	go test -run '^$' -bench BenchmarkEncodeRequest -count 6 ./providers/internal/mistralwire/ | benchstat -col /enc -
func BenchmarkEncodeRequest(b *testing.B) {
	reqs := []struct {
		name string
		req  *llm.ChatRequest
	}{
		{"short", &llm.ChatRequest{Messages: []llm.Message{
			{Role: llm.RoleSystem, Content: "You are terse."}, {Role: llm.RoleUser, Content: "Say hello in one short sentence."},
		}, Temperature: ptr(0.2), MaxTokens: ptr(64)}},
		{"tools", &llm.ChatRequest{Messages: conversation(), Tools: []llm.Tool{weatherTool}, Temperature: ptr(0.3),
			ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceAuto},
			ResponseFormat: &llm.ResponseFormat{Type: llm.FormatJSONSchema, Name: "city", Strict: ptr(true),
				Schema: json.RawMessage(`{"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}`)}}},
	}
	encs := []struct {
		name string
		fn   func(*llm.ChatRequest, string, bool) ([]byte, *IDMap, error)
	}{{"marshal", Dialect{}.refEncode}, {"append", Dialect{}.encode}}
	for _, r := range reqs {
		for _, e := range encs {
			b.Run("req="+r.name+"/enc="+e.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := e.fn(r.req, "mistral-medium-2508", true); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
