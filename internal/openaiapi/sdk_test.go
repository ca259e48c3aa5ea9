package openaiapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/shared"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

// These tests put the official Go SDK on both ends of this package: what it
// sends must decode, and what we encode must parse in it.

func sdkClient(t *testing.T, h http.HandlerFunc) openai.Client {
	t.Helper()
	srv := httptest.NewServer(h) // loopback only
	t.Cleanup(srv.Close)
	return openai.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("test-key"), option.WithMaxRetries(0))
}

func TestSDKRequestAndResponse(t *testing.T) {
	var got *llm.ChatRequest
	var decodeErr error
	client := sdkClient(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got, decodeErr = DecodeRequest(body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(AppendResponse(nil, &llm.ChatResponse{ID: "chatcmpl-1", Created: 1700000000, Model: "mistral-medium",
			Choices: []llm.Choice{{Message: llm.Message{Role: llm.RoleAssistant, Content: "Paris é"}, FinishReason: llm.FinishStop}},
			Usage:   &llm.Usage{PromptTokens: 9, CompletionTokens: 2, TotalTokens: 11, CachedTokens: 3}}))
	})
	resp, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "mistral-medium",
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("be brief"),
			openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
				openai.TextContentPart("capital?"),
				openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "https://example.invalid/a.png", Detail: "high"}),
			}),
			{OfAssistant: &openai.ChatCompletionAssistantMessageParam{ToolCalls: []openai.ChatCompletionMessageToolCallUnionParam{{
				OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{ID: "call_1",
					Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: "lookup", Arguments: `{"q":"fr"}`}}}}}},
			openai.ToolMessage("Paris", "call_1"),
		},
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: "lookup", Description: openai.String("find"), Parameters: shared.FunctionParameters{"type": "object"}})},
		ToolChoice:          openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("auto")},
		Temperature:         openai.Float(0.2),
		MaxCompletionTokens: openai.Int(64),
		Stop:                openai.ChatCompletionNewParamsStopUnion{OfStringArray: []string{"\n\n"}},
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "answer", Schema: map[string]any{"type": "object"}, Strict: openai.Bool(true)}}},
		Metadata:  shared.Metadata{"team": "a"},
		Seed:      openai.Int(7),
		LogitBias: map[string]int64{"50256": -100},
	})
	if err != nil {
		t.Fatalf("SDK call: %v", err)
	}
	if decodeErr != nil {
		t.Fatalf("DecodeRequest of the SDK's body: %v", decodeErr)
	}
	want := &llm.ChatRequest{Model: "mistral-medium",
		Messages: []llm.Message{
			{Role: llm.RoleSystem, Content: "be brief"},
			{Role: llm.RoleUser, Parts: []llm.Part{{Type: llm.PartText, Text: "capital?"},
				{Type: llm.PartImageURL, ImageURL: "https://example.invalid/a.png", Detail: "high"}}},
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "lookup", Arguments: `{"q":"fr"}`}}},
			{Role: llm.RoleTool, Content: "Paris", ToolCallID: "call_1"},
		},
		Tools:          []llm.Tool{{Name: "lookup", Description: "find", Parameters: []byte(`{"type":"object"}`)}},
		ToolChoice:     &llm.ToolChoice{Mode: llm.ToolChoiceAuto},
		Temperature:    ptr(0.2),
		MaxTokens:      ptr(64),
		Stop:           []string{"\n\n"},
		ResponseFormat: &llm.ResponseFormat{Type: llm.FormatJSONSchema, Name: "answer", Schema: []byte(`{"type":"object"}`), Strict: ptr(true)},
		Metadata:       map[string]string{"team": "a"},
		Seed:           ptr(int64(7)),
		Extra:          map[string]json.RawMessage{"logit_bias": json.RawMessage(`{"50256":-100}`)},
	}
	if diff := cmp.Diff(want, got, cmp.Transformer("raw", func(b json.RawMessage) string { return string(b) })); diff != "" {
		t.Errorf("decoded SDK request (-want +got):\n%s", diff)
	}
	if resp.ID != "chatcmpl-1" || resp.Choices[0].Message.Content != "Paris é" || resp.Choices[0].FinishReason != "stop" ||
		resp.Usage.TotalTokens != 11 || resp.Usage.PromptTokensDetails.CachedTokens != 3 {
		t.Errorf("SDK parsed %+v", resp)
	}
}

// streamEvents writes a stream the way the server will: role, text, a tool
// call in two fragments, the finish, then the usage chunk and [DONE] (or an
// error event in place of the finish).
func streamEvents(failLate bool) []byte {
	h := ChunkHeader{ID: "chatcmpl-s", Created: 1700000000, Model: "mistral-medium"}
	events := []llm.StreamEvent{
		{Deltas: []llm.Delta{{Role: llm.RoleAssistant}}},
		{Deltas: []llm.Delta{{Content: []byte("Hel")}}},
		{Deltas: []llm.Delta{{Content: []byte("lo")}}},
		{Deltas: []llm.Delta{{ToolCalls: []llm.ToolCallDelta{{ID: "call_9", Name: "get", Arguments: []byte(`{"a":`)}}}}},
		{Deltas: []llm.Delta{{ToolCalls: []llm.ToolCallDelta{{Arguments: []byte(`1}`)}}}}},
	}
	var out []byte
	for i := range events {
		out = AppendChunkUsageNull(out, h, &events[i])
	}
	if failLate {
		return AppendStreamError(out, &gwerr.Error{Kind: gwerr.Upstream, Message: "provider stream cut"})
	}
	out = AppendChunkUsageNull(out, h, &llm.StreamEvent{Deltas: []llm.Delta{{FinishReason: llm.FinishToolCalls}}})
	out = AppendUsageChunk(out, h, &llm.Usage{PromptTokens: 5, CompletionTokens: 6, TotalTokens: 11})
	return AppendDone(out)
}

func TestSDKStream(t *testing.T) {
	for _, failLate := range []bool{false, true} {
		t.Run(map[bool]string{false: "complete", true: "error event"}[failLate], func(t *testing.T) {
			client := sdkClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				w.Write(streamEvents(failLate))
			})
			stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
				Model: "mistral-medium", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
				StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
			})
			var acc openai.ChatCompletionAccumulator
			for stream.Next() {
				acc.AddChunk(stream.Current())
			}
			if failLate {
				var se *ssestream.StreamError
				if !errors.As(stream.Err(), &se) || !strings.Contains(se.Message, "provider stream cut") {
					t.Fatalf("stream error = %#v, want a StreamError with our message", stream.Err())
				}
				return
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("stream: %v", err)
			}
			c := acc.Choices[0]
			calls := []string{c.Message.ToolCalls[0].ID, c.Message.ToolCalls[0].Function.Name, c.Message.ToolCalls[0].Function.Arguments}
			if diff := cmp.Diff([]string{"Hello", "tool_calls", "call_9", "get", `{"a":1}`},
				append([]string{c.Message.Content, c.FinishReason}, calls...), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("accumulated (-want +got):\n%s", diff)
			}
			if acc.Usage.TotalTokens != 11 || acc.ID != "chatcmpl-s" {
				t.Errorf("usage %+v id %q", acc.Usage, acc.ID)
			}
		})
	}
}
