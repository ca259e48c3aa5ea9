package responsesapi

import (
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

func echoRequest(t *testing.T) *Request {
	t.Helper()
	req, err := DecodeRequest([]byte(`{"model":"mistral-medium","instructions":"Be brief.","input":"Weather in Paris?",
		"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}],"temperature":0.5,
		"max_output_tokens":64,"metadata":{"k":"v"},"user":"u-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestAppendResponseGolden writes the response object for the answers a
// client can get: text, function calls, cut by length, failed in-band.
func TestAppendResponseGolden(t *testing.T) {
	usage := &llm.Usage{PromptTokens: 12, CompletionTokens: 5, CachedTokens: 2}
	tests := []struct {
		golden string
		resp   llm.ChatResponse
	}{
		// A plain text answer, with the request echoed.
		{"response_text.json", llm.ChatResponse{Model: "mistral-medium-2508", Usage: usage, Choices: []llm.Choice{
			{Message: llm.Message{Role: llm.RoleAssistant, Content: "Sunny."}, FinishReason: llm.FinishStop}}}},
		// Text and two calls: one message item, then one item per call.
		{"response_tool_calls.json", llm.ChatResponse{Model: "mistral-medium-2508", Usage: usage, Choices: []llm.Choice{
			{Message: llm.Message{Role: llm.RoleAssistant, Content: "Checking.", ToolCalls: []llm.ToolCall{
				{ID: "abc123XYZ", Name: "get_weather", Arguments: `{"city":"Paris"}`},
				{ID: "def456UVW", Name: "get_weather", Arguments: `{"city":"Rome"}`}}}, FinishReason: llm.FinishToolCalls}}}},
		// Cut by max_output_tokens: incomplete, with the reason.
		{"response_incomplete.json", llm.ChatResponse{Model: "mistral-medium-2508", Usage: usage, Choices: []llm.Choice{
			{Message: llm.Message{Role: llm.RoleAssistant, Content: "Sun"}, FinishReason: llm.FinishLength}}}},
		// The provider said the generation failed: status failed, an error, no usage.
		{"response_failed.json", llm.ChatResponse{Model: "mistral-medium-2508", Choices: []llm.Choice{
			{Message: llm.Message{Role: llm.RoleAssistant}, FinishReason: llm.FinishError}}}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			r := New("resp_0123abcd", 1700000000, echoRequest(t), &tt.resp)
			r.Store = true
			checkGolden(t, tt.golden, indent(t, AppendResponse(nil, r)))
		})
	}
}

// text is a stream event carrying a text fragment.
func text(s string) *llm.StreamEvent {
	return &llm.StreamEvent{Deltas: []llm.Delta{{Content: []byte(s)}}}
}

func call(idx int, id, name, args string) *llm.StreamEvent {
	return &llm.StreamEvent{Deltas: []llm.Delta{{ToolCalls: []llm.ToolCallDelta{{Index: idx, ID: id, Name: name, Arguments: []byte(args)}}}}}
}

func finish(f llm.FinishReason) *llm.StreamEvent {
	return &llm.StreamEvent{Deltas: []llm.Delta{{FinishReason: f}}}
}

// TestStreamGolden writes the whole event sequence for each way a stream
// can go, and checks its framing and sequence numbers.
func TestStreamGolden(t *testing.T) {
	usage := &llm.Usage{PromptTokens: 12, CompletionTokens: 5}
	broken := gwerr.New(gwerr.Upstream, "the provider closed the stream")
	tests := []struct {
		golden string
		events []*llm.StreamEvent
		err    error  // the error that ended the stream after commit
		last   string // the last event's type
	}{
		// Text in two fragments, then the finish: completed.
		{"stream_text.txt", []*llm.StreamEvent{text("Hel"), text("lo"), finish(llm.FinishStop)}, nil, "response.completed"},
		// Text, then two calls whose arguments come in fragments.
		{"stream_tool_calls.txt", []*llm.StreamEvent{text("Checking."), call(0, "abc123XYZ", "get_weather", `{"city":`),
			call(0, "", "", `"Paris"}`), call(1, "def456UVW", "get_weather", `{}`), finish(llm.FinishToolCalls)}, nil, "response.completed"},
		// A length cut is response.incomplete, never completed.
		{"stream_incomplete.txt", []*llm.StreamEvent{text("Sun"), finish(llm.FinishLength)}, nil, "response.incomplete"},
		// A break after commit: the open item is incomplete, then
		// response.failed and an error event.
		{"stream_failed.txt", []*llm.StreamEvent{text("Hel")}, broken, "error"},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			s := Stream{Resp: Response{ID: "resp_0123abcd", CreatedAt: 1700000000, Model: "mistral-medium-2508", Req: echoRequest(t), Store: true}}
			out := s.AppendStart(nil)
			for _, ev := range tt.events {
				out = s.AppendEvent(out, ev)
			}
			if tt.err != nil {
				out = s.AppendFailed(out, tt.err)
			} else {
				out = s.AppendEnd(out, usage)
			}
			evs := sse(t, out)
			if got := evs[len(evs)-1]["type"]; got != tt.last {
				t.Errorf("last event %v, want %s", got, tt.last)
			}
			checkGolden(t, tt.golden, out)
		})
	}
}

// TestStreamMatchesResponse checks the streamed final response says what
// the non-streamed one says for the same answer.
func TestStreamMatchesResponse(t *testing.T) {
	req := echoRequest(t)
	usage := &llm.Usage{PromptTokens: 3, CompletionTokens: 4}
	whole := New("resp_x", 1, req, &llm.ChatResponse{Model: "m", Usage: usage, Choices: []llm.Choice{{
		Message: llm.Message{Content: "Hi.", ToolCalls: []llm.ToolCall{{ID: "c1", Name: "f", Arguments: "{}"}}}, FinishReason: llm.FinishToolCalls}}})
	s := Stream{Resp: Response{ID: "resp_x", CreatedAt: 1, Model: "m", Req: req}}
	s.AppendStart(nil)
	s.AppendEvent(nil, text("Hi."))
	s.AppendEvent(nil, call(0, "c1", "f", "{}"))
	s.AppendEvent(nil, finish(llm.FinishToolCalls))
	s.AppendEnd(nil, usage)
	if a, b := string(AppendResponse(nil, whole)), string(AppendResponse(nil, &s.Resp)); a != b {
		t.Errorf("non-streamed %s\nstreamed     %s", a, b)
	}
}

// TestFailedHidesInternal checks an internal error's text never reaches
// the client through response.failed or the error event.
func TestFailedHidesInternal(t *testing.T) {
	s := Stream{Resp: Response{ID: "resp_x"}}
	out := string(s.AppendFailed(s.AppendStart(nil), gwerr.New(gwerr.Internal, "secret detail")))
	if strings.Contains(out, "secret detail") {
		t.Errorf("internal cause leaked: %s", out)
	}
}

// FuzzStream drives the stream encoder with arbitrary fragments (text,
// tool calls with changing indexes, finish reasons, a break): every event
// must be well-framed JSON with consecutive sequence numbers, whatever the
// provider sends.
func FuzzStream(f *testing.F) {
	f.Add([]byte("Hel\x00lo"), []byte(`{"a":`), uint8(3), true)
	f.Add([]byte("\xff\xfe"), []byte("\u2028"), uint8(0), false)
	f.Fuzz(func(t *testing.T, txt, args []byte, plan uint8, fail bool) {
		s := Stream{Resp: Response{ID: "resp_f", Model: "m"}}
		out := s.AppendStart(nil)
		for i := range 8 {
			switch (plan >> (i % 8)) & 3 {
			case 0:
				out = s.AppendEvent(out, &llm.StreamEvent{Deltas: []llm.Delta{{Content: txt}}})
			case 1:
				out = s.AppendEvent(out, call(i%3, string(txt), "f", string(args)))
			case 2:
				out = s.AppendEvent(out, call(i%3, "", "", string(args)))
			default:
				out = s.AppendEvent(out, finish(llm.FinishLength))
			}
		}
		if fail {
			out = s.AppendFailed(out, gwerr.New(gwerr.Upstream, "%s", txt))
		} else {
			out = s.AppendEnd(out, nil)
		}
		sse(t, out)
	})
}

// TestStreamLateName checks a call whose name comes on a later fragment
// ends with that name (some OpenAI-compatible providers stream it so).
func TestStreamLateName(t *testing.T) {
	s := Stream{Resp: Response{ID: "resp_x"}}
	s.AppendStart(nil)
	s.AppendEvent(nil, call(0, "c1", "", `{"a":`))
	s.AppendEvent(nil, call(0, "", "lookup", `1}`))
	s.AppendEnd(nil, nil)
	if got := s.Resp.Output[0].Call; got.Name != "lookup" || got.Arguments != `{"a":1}` || got.ID != "c1" {
		t.Errorf("call = %+v, want c1 lookup {\"a\":1}", got)
	}
}
