package providertest

import (
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/llm"
)

var weather = llm.Tool{
	Name: "get_weather", Description: "Current weather for a city",
	Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`),
}

// callerID is an OpenAI-style id of the kind clients send back; Mistral
// backends reject it unless the adapter rewrites it.
const callerID = "call_abc123XYZdef456GHI789"

// The model calls a tool; the caller answers with its own OpenAI-style id
// for that call; the model then answers in text. This proves tool-call id
// rewriting end to end.
func testToolRoundTrip(t *testing.T, h Harness) {
	e := h.start(t)
	req := userRequest("What is the weather in Paris?")
	req.Tools = []llm.Tool{weather}
	req.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceRequired}
	resp, err := e.p.Chat(e.ctx(30*time.Second), req)
	if err != nil {
		t.Fatal(err)
	}
	ch := resp.Choices[0]
	if ch.FinishReason != llm.FinishToolCalls || len(ch.Message.ToolCalls) == 0 {
		t.Fatalf("finish %q, tool calls %+v; want a tool call", ch.FinishReason, ch.Message.ToolCalls)
	}
	call := ch.Message.ToolCalls[0]
	if call.ID == "" || call.Name != weather.Name || !json.Valid([]byte(call.Arguments)) {
		t.Fatalf("tool call = %+v", call)
	}

	next := userRequest("What is the weather in Paris?")
	next.Tools = []llm.Tool{weather}
	next.Messages = append(next.Messages,
		llm.Message{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: callerID, Name: call.Name, Arguments: call.Arguments}}},
		llm.Message{Role: llm.RoleTool, ToolCallID: callerID, Name: call.Name, Content: "Sunny, 21 degrees"},
	)
	final, err := e.p.Chat(e.ctx(30*time.Second), next)
	if err != nil {
		t.Fatalf("sending back an OpenAI-style tool id failed: %v", err)
	}
	if fc := final.Choices[0]; fc.FinishReason != llm.FinishStop || fc.Message.Content == "" {
		t.Errorf("final answer = %+v", fc)
	}
}

// A streamed tool call accumulates to one call with valid JSON arguments.
func testToolStream(t *testing.T, h Harness) {
	e := h.start(t)
	req := userRequest("What is the weather in Rome?")
	req.Tools = []llm.Tool{weather}
	req.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: weather.Name}
	s, err := e.p.ChatStream(e.ctx(30*time.Second), req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := drain(s, 1000)
	if !errors.Is(c.err, io.EOF) {
		t.Fatalf("stream ended with %v", c.err)
	}
	call := c.calls[0]
	if len(c.calls) != 1 || call == nil || call.ID == "" || call.Name != weather.Name || !json.Valid([]byte(call.Arguments)) {
		t.Fatalf("calls = %+v", c.calls)
	}
	if len(c.finishes) != 1 || c.finishes[0] != llm.FinishToolCalls {
		t.Errorf("finishes = %v, want [tool_calls]", c.finishes)
	}
}
