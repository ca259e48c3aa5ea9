package openrouter

import (
	"encoding/json"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// Price of Mistral Medium 3 / 3.1 on OpenRouter, in USD per 1M tokens ×100
// (integer cents-per-Mtok keep the cost arithmetic exact).
const (
	inputCentsPerMTok  = 40
	outputCentsPerMTok = 200
)

// meta is what every body of one answer repeats.
type meta struct {
	id      string
	created int64
	model   string
}

func errorSafeMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(`{"error":{"code":500,"message":"emulator encoding failed"}}`)
	}
	return b
}

func itoa(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

// head appends `{"id":…,"provider":"Mistral","model":…,"object":…,"created":…,`.
func (m *meta) head(b []byte, object string) []byte {
	b = append(b, `{"id":`...)
	b = emukit.AppendString(b, m.id)
	b = append(b, `,"provider":"Mistral","model":`...)
	b = emukit.AppendString(b, m.model)
	b = append(b, `,"object":"`...)
	b = append(b, object...)
	b = append(b, `","created":`...)
	b = itoa(b, int(m.created))
	return append(b, ',')
}

// appendUsage writes OpenRouter's usage object (PROVIDERS.md §6.2), with the
// cost computed from the listed price.
func appendUsage(b []byte, prompt, completion int) []byte {
	cost := float64(prompt*inputCentsPerMTok+completion*outputCentsPerMTok) / 1e8
	b = append(b, `"usage":{"prompt_tokens":`...)
	b = itoa(b, prompt)
	b = append(b, `,"completion_tokens":`...)
	b = itoa(b, completion)
	b = append(b, `,"total_tokens":`...)
	b = itoa(b, prompt+completion)
	b = append(b, `,"cost":`...)
	b = strconv.AppendFloat(b, cost, 'f', -1, 64)
	b = append(b, `,"is_byok":false,"prompt_tokens_details":{"cached_tokens":0,"cache_write_tokens":0,"audio_tokens":0}`...)
	b = append(b, `,"completion_tokens_details":{"reasoning_tokens":0},"cost_details":{"upstream_inference_cost":null}}`...)
	return b
}

func appendToolCalls(b []byte, calls []emukit.ToolCall) []byte {
	b = append(b, '[')
	for i, tc := range calls {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"index":`...)
		b = itoa(b, i)
		b = append(b, `,"id":`...)
		b = emukit.AppendString(b, tc.ID)
		b = append(b, `,"type":"function","function":{"name":`...)
		b = emukit.AppendString(b, tc.Name)
		b = append(b, `,"arguments":`...)
		b = emukit.AppendString(b, tc.Arguments)
		b = append(b, "}}"...)
	}
	return append(b, ']')
}

// response renders the non-stream body: OpenAI's chat.completion plus
// OpenRouter's provider and native_finish_reason.
func (m *meta) response(r *emukit.Reply) []byte {
	b := make([]byte, 0, 768)
	b = m.head(b, "chat.completion")
	b = append(b, `"choices":[{"logprobs":null,"finish_reason":`...)
	b = emukit.AppendString(b, r.Finish)
	b = append(b, `,"native_finish_reason":`...)
	b = emukit.AppendString(b, r.Finish)
	b = append(b, `,"index":0,"message":{"role":"assistant","content":`...)
	b = emukit.AppendString(b, r.Text())
	b = append(b, `,"refusal":null,"reasoning":null`...)
	if len(r.ToolCalls) > 0 {
		b = append(b, `,"tool_calls":`...)
		b = appendToolCalls(b, r.ToolCalls)
	}
	b = append(b, "}}],"...)
	b = appendUsage(b, r.PromptTokens, r.CompletionTokens)
	return append(b, '}')
}

// chunk renders one choice chunk; delta is appended as the delta object.
func (m *meta) chunk(b []byte, delta func([]byte) []byte, finish string) []byte {
	b = m.head(b[:0], "chat.completion.chunk")
	b = append(b, `"choices":[{"index":0,"delta":`...)
	b = delta(b)
	b = append(b, `,"finish_reason":`...)
	if finish == "" {
		b = append(b, `null,"native_finish_reason":null`...)
	} else {
		b = emukit.AppendString(b, finish)
		b = append(b, `,"native_finish_reason":`...)
		b = emukit.AppendString(b, finish)
	}
	return append(b, `,"logprobs":null}]}`...)
}

// usageChunk renders the last message: choices empty, usage set.
func (m *meta) usageChunk(b []byte, r *emukit.Reply) []byte {
	b = m.head(b[:0], "chat.completion.chunk")
	b = append(b, `"choices":[],`...)
	b = appendUsage(b, r.PromptTokens, r.CompletionTokens)
	return append(b, '}')
}

// errorChunk renders the documented mid-stream error (PROVIDERS.md §6.3).
func (m *meta) errorChunk() []byte {
	b := m.head(nil, "chat.completion.chunk")
	b = append(b, `"error":{"code":"server_error","message":"Provider disconnected unexpectedly"},`...)
	return append(b, `"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}`...)
}

func contentDelta(text string) func([]byte) []byte {
	return func(b []byte) []byte {
		return append(emukit.AppendString(append(b, `{"role":"assistant","content":`...), text), '}')
	}
}

// stream writes the SSE answer: a keep-alive comment, a role chunk, one
// chunk per word (or one tool-call chunk), the last with finish_reason, a
// usage-only chunk, then [DONE]. A mid-stream error ends it without [DONE].
func (s *Server) stream(w http.ResponseWriter, r *http.Request, f emukit.Faults, m *meta, reply *emukit.Reply) {
	cfg := &emukit.StreamConfig{
		Comment:     "OPENROUTER PROCESSING",
		KeepAlive:   s.opts.KeepAlive,
		InBandError: func(int) []byte { return m.errorChunk() },
	}
	st := s.ctl.OpenStream(w, r, f, cfg)
	b := m.chunk(nil, contentDelta(""), "")
	if !st.Send(b) {
		return
	}
	if len(reply.ToolCalls) > 0 && f.ToolCallFragments > 0 {
		if m.fragments(st, b, reply, f.ToolCallFragments) && st.Send(m.usageChunk(b, reply)) {
			st.Finish()
		}
		return
	}
	if len(reply.ToolCalls) > 0 {
		b = m.chunk(b, func(b []byte) []byte {
			b = append(b, `{"role":"assistant","content":null,"tool_calls":`...)
			return append(appendToolCalls(b, reply.ToolCalls), '}')
		}, reply.Finish)
		if !st.Send(b) {
			return
		}
	}
	for i, word := range reply.Content {
		finish := ""
		if i == len(reply.Content)-1 {
			finish = reply.Finish
		}
		if b = m.chunk(b, contentDelta(word), finish); !st.Send(b) {
			return
		}
	}
	if st.Send(m.usageChunk(b, reply)) {
		st.Finish()
	}
}

// fragments streams the tool calls as OpenAI documents streamed calls: per
// call a chunk with index, id, type, name and empty arguments, then the
// arguments in n pieces (cut on rune boundaries), then an empty delta with
// the finish reason. It reports whether the stream is still open.
func (m *meta) fragments(st *emukit.Stream, b []byte, reply *emukit.Reply, n int) bool {
	for i, tc := range reply.ToolCalls {
		b = m.chunk(b, func(b []byte) []byte {
			b = append(b, `{"role":"assistant","content":null,"tool_calls":[{"index":`...)
			b = itoa(b, i)
			b = append(b, `,"id":`...)
			b = emukit.AppendString(b, tc.ID)
			b = append(b, `,"type":"function","function":{"name":`...)
			b = emukit.AppendString(b, tc.Name)
			return append(b, `,"arguments":""}}]}`...)
		}, "")
		if !st.Send(b) {
			return false
		}
		for _, piece := range splitN(tc.Arguments, n) {
			b = m.chunk(b, func(b []byte) []byte {
				b = append(b, `{"tool_calls":[{"index":`...)
				b = itoa(b, i)
				b = append(b, `,"function":{"arguments":`...)
				b = emukit.AppendString(b, piece)
				return append(b, "}}]}"...)
			}, "")
			if !st.Send(b) {
				return false
			}
		}
	}
	return st.Send(m.chunk(b, func(b []byte) []byte { return append(b, "{}"...) }, reply.Finish))
}

// splitN cuts s into at most n non-empty pieces of about equal length,
// never inside a UTF-8 sequence.
func splitN(s string, n int) []string {
	var out []string
	for size := max(len(s)/n, 1); len(s) > 0; {
		k := min(size, len(s))
		for k < len(s) && !utf8.RuneStart(s[k]) {
			k++
		}
		if len(out) == n-1 {
			k = len(s)
		}
		out = append(out, s[:k])
		s = s[k:]
	}
	return out
}
