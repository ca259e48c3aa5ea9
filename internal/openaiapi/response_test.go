package openaiapi

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

// Mirror of OpenAI's wire shapes for encoding/json, so every encoded byte is
// checked by an independent decoder. Pointers tell null from a value.
type (
	wireCall struct {
		Index    *int    `json:"index,omitempty"`
		ID       *string `json:"id,omitempty"`
		Type     *string `json:"type,omitempty"`
		Function struct {
			Name      *string `json:"name,omitempty"`
			Arguments string  `json:"arguments"`
		} `json:"function"`
	}
	wireMessage struct {
		Role      *string    `json:"role,omitempty"`
		Content   *string    `json:"content"`
		Refusal   *string    `json:"refusal"`
		ToolCalls []wireCall `json:"tool_calls,omitempty"`
	}
	wireChoice struct {
		Index        int          `json:"index"`
		Message      *wireMessage `json:"message,omitempty"`
		Delta        *wireMessage `json:"delta,omitempty"`
		Logprobs     *struct{}    `json:"logprobs"`
		FinishReason *string      `json:"finish_reason"`
	}
	wireUsage struct {
		PromptTokens        int `json:"prompt_tokens"`
		CompletionTokens    int `json:"completion_tokens"`
		TotalTokens         int `json:"total_tokens"`
		PromptTokensDetails struct {
			CachedTokens int `json:"cached_tokens"`
		} `json:"prompt_tokens_details"`
	}
	wireResponse struct {
		ID      string       `json:"id"`
		Object  string       `json:"object"`
		Created int64        `json:"created"`
		Model   string       `json:"model"`
		Choices []wireChoice `json:"choices"`
		Usage   *wireUsage   `json:"usage,omitempty"`
	}
	wireError struct {
		Error struct {
			Message string  `json:"message"`
			Type    string  `json:"type"`
			Param   *string `json:"param"`
			Code    *string `json:"code"`
		} `json:"error"`
	}
)

func TestAppendResponse(t *testing.T) {
	tests := []struct {
		name string
		in   *llm.ChatResponse
		want wireResponse
	}{
		// The common case: text, a finish reason, usage with cached tokens;
		// text needing escapes and invalid UTF-8 must still be valid JSON.
		{"response_text.json", &llm.ChatResponse{ID: "chatcmpl-1", Created: 1700000000, Model: "mistral-medium",
			Choices: []llm.Choice{{Message: llm.Message{Role: llm.RoleAssistant, Content: "Hi \"there\"\n<b>&\x00\xff"}, FinishReason: llm.FinishStop}},
			Usage:   &llm.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15, CachedTokens: 4}},
			wireResponse{ID: "chatcmpl-1", Object: "chat.completion", Created: 1700000000, Model: "mistral-medium",
				Choices: []wireChoice{{Message: &wireMessage{Role: ptr("assistant"), Content: ptr("Hi \"there\"\n<b>&\x00\ufffd")}, FinishReason: ptr("stop")}},
				Usage: &wireUsage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15, PromptTokensDetails: struct {
					CachedTokens int `json:"cached_tokens"`
				}{4}}}},
		// A tool-calling turn: content null, calls in full; no usage member;
		// a missing total is computed; a second choice keeps its index.
		{"response_tool_calls.json", &llm.ChatResponse{ID: "c2", Created: 1, Model: "m",
			Choices: []llm.Choice{
				{Message: llm.Message{ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "get", Arguments: `{"q":"x"}`}}}, FinishReason: llm.FinishToolCalls},
				{Index: 1, Message: llm.Message{Role: llm.RoleAssistant}, FinishReason: llm.FinishError},
			}},
			wireResponse{ID: "c2", Object: "chat.completion", Created: 1, Model: "m", Choices: []wireChoice{
				{Message: &wireMessage{Role: ptr("assistant"), ToolCalls: []wireCall{func() wireCall {
					c := wireCall{ID: ptr("call_1"), Type: ptr("function")}
					c.Function.Name, c.Function.Arguments = ptr("get"), `{"q":"x"}`
					return c
				}()}}, FinishReason: ptr("tool_calls")},
				{Index: 1, Message: &wireMessage{Role: ptr("assistant"), Content: ptr("")}},
			}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendResponse(nil, tt.in)
			checkGolden(t, tt.name, got)
			var w wireResponse
			decodeStrict(t, got, &w)
			if diff := cmp.Diff(tt.want, w); diff != "" {
				t.Errorf("decoded mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAppendError(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		msg, typ    string
		param, code *string
		stream      bool
	}{
		// A decode error keeps its message and param.
		{"error_invalid.json", &gwerr.Error{Kind: gwerr.InvalidRequest, Message: "bad 'temperature'", Param: "temperature"},
			"bad 'temperature'", "invalid_request_error", ptr("temperature"), nil, false},
		// A wrapped rate limit with a code.
		{"error_rate_limited.json", errors.Join(errors.New("ctx"), &gwerr.Error{Kind: gwerr.RateLimited, Message: "slow down", Code: "rate_limit_exceeded"}),
			"slow down", "rate_limit_error", nil, ptr("rate_limit_exceeded"), false},
		// Internal errors never show their text or cause.
		{"error_internal.json", gwerr.Wrap(gwerr.Internal, errors.New("secret sk-123"), "db password=hunter2"),
			internalMessage, "server_error", nil, nil, false},
		{"error_plain.json", errors.New("raw cause with key sk-123"), internalMessage, "server_error", nil, nil, false},
		// The same envelope as an SSE event, for a stream that fails late.
		{"stream_error.txt", &gwerr.Error{Kind: gwerr.Upstream, Message: "the provider cut the stream"},
			"the provider cut the stream", "service_unavailable_error", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got, payload []byte
			if tt.stream {
				got = AppendStreamError(nil, tt.err)
				payload = sseJSON(t, got)
			} else {
				got = AppendError(nil, tt.err)
				payload = got
			}
			checkGolden(t, tt.name, got)
			var w wireError
			decodeStrict(t, payload, &w)
			e := w.Error
			if e.Message != tt.msg || e.Type != tt.typ || !cmp.Equal(e.Param, tt.param) || !cmp.Equal(e.Code, tt.code) {
				t.Errorf("decoded %+v, want message %q type %q param %v code %v", e, tt.msg, tt.typ, tt.param, tt.code)
			}
		})
	}
}

func TestAppendModels(t *testing.T) {
	got := AppendModels(nil, []string{"mistral-medium", "mistral-\"large\""}, 1700000000, "windrose")
	checkGolden(t, "models.json", got)
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	var w struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}
	decodeStrict(t, got, &w)
	want := []model{{"mistral-medium", "model", 1700000000, "windrose"}, {"mistral-\"large\"", "model", 1700000000, "windrose"}}
	if w.Object != "list" || !cmp.Equal(w.Data, want) {
		t.Errorf("decoded %+v", w)
	}
	// An empty list is still a list, not null.
	if got := string(AppendModels(nil, nil, 0, "x")); got != `{"object":"list","data":[]}` {
		t.Errorf("empty list = %s", got)
	}
}
