package watsonx

import (
	"context"
	"encoding/json"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/golden"
	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
)

var update = flag.Bool("update", false, "rewrite golden files")

func ptr[T any](v T) *T { return &v }

var weatherTool = llm.Tool{
	Name: "get_weather", Description: "Current weather",
	Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`),
}

// toolTurns is a tool conversation with an OpenAI-style id (which a Mistral
// model rejects) and one Mistral already accepts.
func toolTurns() []llm.Message {
	return []llm.Message{
		{Role: llm.RoleUser, Content: "Weather in Paris and Rome?"},
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{
			{ID: "call_0fypS1hVXabcdefghij", Name: "get_weather", Arguments: `{"city":"Paris"}`},
			{ID: "Ab3dE6gH9", Name: "get_weather", Arguments: `{"city":"Rome"}`},
		}},
		{Role: llm.RoleTool, ToolCallID: "call_0fypS1hVXabcdefghij", Name: "get_weather", Content: "18C"},
		{Role: llm.RoleTool, ToolCallID: "Ab3dE6gH9", Name: "get_weather", Content: "24C"},
	}
}

func TestRequestGolden(t *testing.T) {
	project := scope{projectID: "7d3b6f2e-0000-4000-8000-000000000001"}
	tests := []struct {
		name    string
		req     llm.ChatRequest
		sc      scope
		mistral bool
		limit   int64
	}{
		// The simplest request: model_id and project_id, no stream field
		// (the endpoint decides), no time_limit without a deadline.
		{"plain", llm.ChatRequest{Model: "mistral-medium", Messages: []llm.Message{
			{Role: llm.RoleSystem, Content: "Be brief."}, {Role: llm.RoleUser, Content: "Hello"},
		}}, project, true, 0},
		// A space instead of a project; every mapped field, and the dropped
		// ones (user, metadata, parallel_tool_calls, stream_options, Extra);
		// required goes to tool_choice_option, never to tool_choice;
		// developer becomes system; time_limit from the deadline.
		{"mapped and dropped", llm.ChatRequest{
			Messages: []llm.Message{{Role: llm.RoleDeveloper, Content: "d"}, {Role: llm.RoleUser, Content: "u", Name: "bob"}},
			Tools:    []llm.Tool{weatherTool}, ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceRequired},
			ParallelToolCalls: ptr(false), Temperature: ptr(0.2), TopP: ptr(0.9),
			PresencePenalty: ptr(0.1), FrequencyPenalty: ptr(0.3), MaxTokens: ptr(64),
			Stop: []string{"END"}, Seed: ptr(int64(42)), N: ptr(1), Stream: true, IncludeUsage: true,
			User: "user-123", Metadata: map[string]string{"team": "a"},
			Extra: map[string]json.RawMessage{"logit_bias": json.RawMessage(`{"1":2}`)},
		}, scope{spaceID: "space-1"}, true, 30000},
		// A named tool goes to tool_choice as an object; ids are rewritten
		// to Mistral's nine alphanumerics, consistently between the call and
		// its result, and the valid id stays.
		{"named tool mistral ids", llm.ChatRequest{Messages: toolTurns(), Tools: []llm.Tool{weatherTool},
			ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: "get_weather"}}, project, true, 0},
		// Another vendor's model on watsonx keeps the caller's ids.
		{"non-mistral ids", llm.ChatRequest{Messages: toolTurns(), Tools: []llm.Tool{weatherTool},
			ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceNone}}, project, false, 0},
		// JSON mode and json_schema.
		{"json mode", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "JSON please"}},
			ResponseFormat: &llm.ResponseFormat{Type: llm.FormatJSONObject}}, project, true, 0},
		{"json schema", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "a city"}},
			ResponseFormat: &llm.ResponseFormat{Type: llm.FormatJSONSchema, Name: "city",
				Schema: json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"}}}`), Strict: ptr(true)}}, project, true, 0},
		// Array content with an image part.
		{"image parts", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Parts: []llm.Part{
			{Type: llm.PartText, Text: "What is this?"},
			{Type: llm.PartImageURL, ImageURL: "https://example.com/cat.png", Detail: "low"},
		}}}}, project, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ids *mistralwire.IDMap
			if tt.mistral {
				ids = mistralwire.NewIDMap(tt.req.Messages)
			}
			body, err := encodeRequest(&tt.req, "mistralai/mistral-medium-2505", tt.sc, ids, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "request", golden.FileName(tt.name)+".json"), golden.Indent(t, body), *update)
		})
	}
}

// Bad input is a clear InvalidRequest, never a panic.
func TestRequestInvalid(t *testing.T) {
	tests := []struct {
		name string
		req  llm.ChatRequest
	}{
		// An unknown role.
		{"role", llm.ChatRequest{Messages: []llm.Message{{Role: "wizard", Content: "x"}}}},
		// Parameters that are not JSON fail encoding.
		{"bad schema", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}},
			Tools: []llm.Tool{{Name: "f", Parameters: json.RawMessage(`{nope`)}}}},
		// An unknown tool_choice mode.
		{"tool choice", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}},
			ToolChoice: &llm.ToolChoice{Mode: "sometimes"}}},
		// An unknown part type.
		{"part", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Parts: []llm.Part{{Type: "audio"}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := encodeRequest(&tt.req, "m", scope{projectID: "p"}, nil, 0); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// time_limit is the attempt's remaining time in ms, at least 1, and absent
// without a deadline.
func TestTimeLimit(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	if got := timeLimit(context.Background(), now); got != 0 {
		t.Errorf("no deadline: %d, want 0", got)
	}
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(2500*time.Millisecond))
	defer cancel()
	if got := timeLimit(ctx, now); got != 2500 {
		t.Errorf("2.5s left: %d, want 2500", got)
	}
	if got := timeLimit(ctx, now.Add(time.Hour)); got != 1 {
		t.Errorf("past deadline: %d, want 1", got)
	}
}

func BenchmarkEncodeRequest(b *testing.B) {
	req := &llm.ChatRequest{Messages: toolTurns(), Tools: []llm.Tool{weatherTool}, Temperature: ptr(0.3)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeRequest(req, "mistralai/mistral-medium-2505", scope{projectID: "p"}, mistralwire.NewIDMap(req.Messages), 30000); err != nil {
			b.Fatal(err)
		}
	}
}
