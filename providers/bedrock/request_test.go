package bedrock

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/golden"
)

var weatherTool = llm.Tool{Name: "get_weather", Description: "Current weather",
	Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)}

// wire is what the SDK put on the wire for one request.
type wire struct {
	Path string          `json:"path"`
	Body json.RawMessage `json:"body"`
}

// TestRequestGolden sends each request through the SDK to a recording
// transport, so the golden files hold the exact Converse JSON Bedrock gets.
func TestRequestGolden(t *testing.T) {
	tests := []struct {
		name  string
		model string
		req   llm.ChatRequest
	}{
		// The simplest request.
		{"plain", "mistral.mistral-large-3-675b-instruct", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "Hello"}}}},
		// A profile id with ':' is URL-escaped in the path.
		{"profile model id", "eu.mistral.pixtral-large-2502-v1:0", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "Hi"}}}},
		// System and developer messages become system blocks; consecutive
		// user messages merge (Converse requires alternation); sampling
		// fields map to inferenceConfig; penalties, seed and user are dropped.
		{"system and merge", "m", llm.ChatRequest{Messages: []llm.Message{
			{Role: llm.RoleSystem, Content: "Be terse."}, {Role: llm.RoleDeveloper, Content: "Answer in French."},
			{Role: llm.RoleUser, Content: "One"}, {Role: llm.RoleUser, Parts: []llm.Part{{Type: llm.PartText, Text: "Two"}}},
			{Role: llm.RoleAssistant, Content: "Un, deux."}, {Role: llm.RoleUser, Content: "Three"},
		}, MaxTokens: ptr(64), Temperature: ptr(0.25), TopP: ptr(0.5), Stop: []string{"###"},
			PresencePenalty: ptr(0.5), Seed: ptr(int64(7)), User: "u1"}},
		// Tool calls with OpenAI ids (rewritten to 9 alphanumerics), two
		// results of one turn in one user message, then the user's text in
		// the same turn; arguments become a JSON document; required → any.
		{"tools round trip", "m", llm.ChatRequest{Messages: []llm.Message{
			{Role: llm.RoleUser, Content: "Weather in Paris and Rome?"},
			{Role: llm.RoleAssistant, Content: "Checking.", ToolCalls: []llm.ToolCall{
				{ID: "call_abc123XYZdef456GHI789", Name: "get_weather", Arguments: `{"city":"Paris"}`},
				{ID: "k9Xy2AbC1", Name: "get_weather", Arguments: `{"city":"Rome"}`}}},
			{Role: llm.RoleTool, ToolCallID: "call_abc123XYZdef456GHI789", Content: "18C"},
			{Role: llm.RoleTool, ToolCallID: "k9Xy2AbC1", Content: "24C"},
			{Role: llm.RoleUser, Content: "Thanks"},
		}, Tools: []llm.Tool{weatherTool}, ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceRequired}}},
		// A named tool choice.
		{"named tool", "m", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "Rome"}},
			Tools: []llm.Tool{weatherTool}, ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: "get_weather"}}},
		// tool_choice none without tool history: no toolConfig at all.
		{"tool choice none", "m", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "Rome"}},
			Tools: []llm.Tool{weatherTool}, ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceNone}}},
		// none with tool blocks in the history, and tools no longer
		// declared: Converse demands a toolConfig, so a stub spec goes
		// without a choice.
		{"tool history without tools", "m", llm.ChatRequest{Messages: []llm.Message{
			{Role: llm.RoleUser, Content: "Weather?"},
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: ""}}},
			{Role: llm.RoleTool, ToolCallID: "call_1", Content: ""},
		}, ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceNone}}},
		// json_object → structured output with an object schema.
		{"json object", "m", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "JSON"}},
			ResponseFormat: &llm.ResponseFormat{Type: llm.FormatJSONObject}}},
		// json_schema → structured output with the caller's schema.
		{"json schema", "m", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "a city"}},
			ResponseFormat: &llm.ResponseFormat{Type: llm.FormatJSONSchema, Name: "city", Description: "A city",
				Schema: json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"}}}`), Strict: ptr(true)}}},
		// An image as a data: URL, on a deployment with options.vision.
		{"image", "m", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Parts: []llm.Part{
			{Type: llm.PartText, Text: "What is this?"}, {Type: llm.PartImageURL, ImageURL: "data:image/png;base64,iVBORw0KGgo="}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &canned{body: []byte(okBody)}
			a := testAdapter(t, c, tt.model, "access_key_id: AKIDTEST\nsecret_access_key: s\nvision: true")
			if _, err := a.Chat(context.Background(), &tt.req); err != nil {
				t.Fatal(err)
			}
			got := wire{Path: c.paths[0], Body: c.bodies[0]}
			raw, _ := json.Marshal(got)
			golden.Check(t, filepath.Join("testdata", "request", golden.FileName(tt.name)+".json"), golden.Indent(t, raw), *update)
		})
	}
}

// TestRequestErrors: requests Converse cannot carry are the client's 400,
// naming the field, and never reach Bedrock.
func TestRequestErrors(t *testing.T) {
	img := func(u string) []llm.Message {
		return []llm.Message{{Role: llm.RoleUser, Parts: []llm.Part{{Type: llm.PartImageURL, ImageURL: u}}}}
	}
	tests := []struct {
		name   string
		vision bool
		req    llm.ChatRequest
		param  string
	}{
		// A model not declared to see images: a clear 400, not Bedrock's.
		{"image without vision", false, llm.ChatRequest{Messages: img("data:image/png;base64,AA==")}, "messages[0].content[0].image_url"},
		// Converse never fetches URLs.
		{"https image", true, llm.ChatRequest{Messages: img("https://example.com/a.png")}, "messages[0].content[0].image_url"},
		// A format Converse does not take.
		{"bmp image", true, llm.ChatRequest{Messages: img("data:image/bmp;base64,AA==")}, "messages[0].content[0].image_url"},
		// Tool arguments must be JSON to become a document.
		{"bad arguments", false, llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"},
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "a", Name: "f", Arguments: "{nope"}}}}}, "messages[1].tool_calls[0].function.arguments"},
		// A named choice of an undeclared tool.
		{"unknown named tool", false, llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}},
			Tools: []llm.Tool{weatherTool}, ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: "other"}}, "tool_choice"},
		// Only a system prompt: Converse needs a conversation.
		{"no turns", false, llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleSystem, Content: "x"}}}, "messages"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := encodeRequest(&tt.req, "m", tt.vision)
			ge := gwerr.As(err)
			if err == nil || ge.Kind != gwerr.InvalidRequest || ge.Param != tt.param {
				t.Errorf("got %v (kind %v, param %q), want InvalidRequest on %q", err, ge.Kind, ge.Param, tt.param)
			}
		})
	}
}
