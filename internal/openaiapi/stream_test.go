package openaiapi

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/llm"
)

// wireChunk mirrors chat.completion.chunk; Usage stays raw so a test can
// tell an absent member from "usage":null.
type wireChunk struct {
	ID      string          `json:"id"`
	Object  string          `json:"object"`
	Created int64           `json:"created"`
	Model   string          `json:"model"`
	Choices []wireChoice    `json:"choices"`
	Usage   json.RawMessage `json:"usage,omitempty"`
}

func call(index int, id, name, args string) wireCall {
	c := wireCall{Index: &index}
	if id != "" {
		c.ID, c.Type = &id, ptr("function")
	}
	if name != "" {
		c.Function.Name = &name
	}
	c.Function.Arguments = args
	return c
}

func TestAppendChunk(t *testing.T) {
	h := ChunkHeader{ID: "chatcmpl-9", Created: 1700000001, Model: "mistral-medium"}
	head := wireChunk{ID: h.ID, Object: "chat.completion.chunk", Created: h.Created, Model: h.Model}
	with := func(c ...wireChoice) wireChunk { w := head; w.Choices = c; return w }
	tests := []struct {
		name      string
		ev        llm.StreamEvent
		usageNull bool
		want      wireChunk
	}{
		// First chunk: role only, with the empty content OpenAI sends.
		{"chunk_role.txt", llm.StreamEvent{Deltas: []llm.Delta{{Role: llm.RoleAssistant}}}, false,
			with(wireChoice{Delta: &wireMessage{Role: ptr("assistant"), Content: ptr("")}})},
		// A text delta; the header wins over the event's own id and model.
		{"chunk_text.txt", llm.StreamEvent{ID: "provider-id", Model: "provider-model", Deltas: []llm.Delta{{Content: []byte("Hello, \"world\"\n")}}}, false,
			with(wireChoice{Delta: &wireMessage{Content: ptr("Hello, \"world\"\n")}})},
		// The first fragment of a tool call carries id, type and name.
		{"chunk_tool_first.txt", llm.StreamEvent{Deltas: []llm.Delta{{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCallDelta{{Index: 0, ID: "call_1", Name: "get"}}}}}, false,
			with(wireChoice{Delta: &wireMessage{Role: ptr("assistant"), ToolCalls: []wireCall{call(0, "call_1", "get", "")}}})},
		// Later fragments carry only arguments, for two parallel calls.
		{"chunk_tool_args.txt", llm.StreamEvent{Deltas: []llm.Delta{{ToolCalls: []llm.ToolCallDelta{{Index: 0, Arguments: []byte(`{"q":`)}, {Index: 1, Arguments: []byte(`"x"}`)}}}}}, false,
			with(wireChoice{Delta: &wireMessage{ToolCalls: []wireCall{call(0, "", "", `{"q":`), call(1, "", "", `"x"}`)}}})},
		// The last chunk: empty delta and a finish reason, second choice.
		{"chunk_finish.txt", llm.StreamEvent{Deltas: []llm.Delta{{Index: 1, FinishReason: llm.FinishLength}}}, false,
			with(wireChoice{Index: 1, Delta: &wireMessage{}, FinishReason: ptr("length")})},
		// With include_usage every chunk says "usage":null.
		{"chunk_usage_null.txt", llm.StreamEvent{Deltas: []llm.Delta{{Content: []byte("x")}}}, true,
			func() wireChunk {
				w := with(wireChoice{Delta: &wireMessage{Content: ptr("x")}})
				w.Usage = json.RawMessage("null")
				return w
			}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []byte
			if tt.usageNull {
				got = AppendChunkUsageNull(nil, h, &tt.ev)
			} else {
				got = AppendChunk(nil, h, &tt.ev)
			}
			checkGolden(t, tt.name, got)
			var w wireChunk
			decodeStrict(t, sseJSON(t, got), &w)
			if diff := cmp.Diff(tt.want, w); diff != "" {
				t.Errorf("decoded mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAppendUsageChunk(t *testing.T) {
	h := ChunkHeader{ID: "chatcmpl-9", Created: 1700000001, Model: "mistral-medium"}
	got := AppendUsageChunk(nil, h, &llm.Usage{PromptTokens: 3, CompletionTokens: 4, TotalTokens: 7, CachedTokens: 1})
	checkGolden(t, "usage_chunk.txt", got)
	var w wireChunk
	decodeStrict(t, sseJSON(t, got), &w)
	u := &wireUsage{PromptTokens: 3, CompletionTokens: 4, TotalTokens: 7}
	u.PromptTokensDetails.CachedTokens = 1
	want := wireChunk{ID: h.ID, Object: "chat.completion.chunk", Created: h.Created, Model: h.Model, Choices: []wireChoice{}}
	var gotUsage *wireUsage
	decodeStrict(t, w.Usage, &gotUsage)
	w.Usage = nil
	if diff := cmp.Diff(u, gotUsage); diff != "" {
		t.Errorf("usage mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, w); diff != "" {
		t.Errorf("decoded mismatch (-want +got):\n%s", diff)
	}
}

func TestAppendDone(t *testing.T) {
	if got := string(AppendDone([]byte("x"))); got != "xdata: [DONE]\n\n" {
		t.Errorf("AppendDone = %q", got)
	}
}

// TestAppendChunkReusesBuffer checks the hot-path contract: appending to a
// buffer with room allocates nothing.
func TestAppendChunkReusesBuffer(t *testing.T) {
	h := ChunkHeader{ID: "chatcmpl-9", Created: 1700000001, Model: "mistral-medium"}
	ev := &llm.StreamEvent{Deltas: []llm.Delta{{Content: []byte("some text é")}}}
	buf := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendChunk(buf[:0], h, ev)
		buf = AppendChunkUsageNull(buf[:0], h, ev)
	})
	if allocs != 0 {
		t.Errorf("AppendChunk allocated %v times per run, want 0", allocs)
	}
}
