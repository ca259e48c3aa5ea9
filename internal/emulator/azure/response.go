package azure

import (
	"net/http"
	"strconv"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// meta is what every body of one answer repeats.
type meta struct {
	id      string
	created int64
	model   string
	openai  bool // the Azure OpenAI route adds content-filter annotations
}

func itoa(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

// head appends `{"id":…,"object":…,"created":…,"model":…,`.
func (m *meta) head(b []byte, object string) []byte {
	b = append(b, `{"id":`...)
	b = emukit.AppendString(b, m.id)
	b = append(b, `,"object":"`...)
	b = append(b, object...)
	b = append(b, `","created":`...)
	b = itoa(b, int(m.created))
	b = append(b, `,"model":`...)
	b = emukit.AppendString(b, m.model)
	return append(b, ',')
}

func appendUsage(b []byte, prompt, completion int) []byte {
	b = append(b, `"usage":{"prompt_tokens":`...)
	b = itoa(b, prompt)
	b = append(b, `,"completion_tokens":`...)
	b = itoa(b, completion)
	b = append(b, `,"total_tokens":`...)
	b = itoa(b, prompt+completion)
	return append(b, '}')
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

// safeResults is the all-clear content_filter_results of the OpenAI route.
const safeResults = `{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},` +
	`"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}`

// filteredResults flags violence, for an output the filter cut.
const filteredResults = `{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},` +
	`"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":true,"severity":"high"}}`

func (m *meta) appendFilterResults(b []byte, finish string) []byte {
	if !m.openai && finish != "content_filter" {
		return b
	}
	b = append(b, `,"content_filter_results":`...)
	if finish == "content_filter" {
		return append(b, filteredResults...)
	}
	return append(b, safeResults...)
}

// response renders the non-stream body: OpenAI's chat.completion shape.
func (m *meta) response(r *emukit.Reply) []byte {
	b := make([]byte, 0, 768)
	b = m.head(b, "chat.completion")
	if m.openai {
		b = append(b, `"prompt_filter_results":[{"prompt_index":0,"content_filter_results":`+safeResults+`}],`...)
	}
	b = append(b, `"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	b = emukit.AppendString(b, r.Text())
	if len(r.ToolCalls) > 0 {
		b = append(b, `,"tool_calls":`...)
		b = appendToolCalls(b, r.ToolCalls)
	}
	b = append(b, `},"finish_reason":`...)
	b = emukit.AppendString(b, r.Finish)
	b = m.appendFilterResults(b, r.Finish)
	b = append(b, `,"logprobs":null}],`...)
	b = appendUsage(b, r.PromptTokens, r.CompletionTokens)
	return append(b, '}')
}

// chunk renders one stream chunk; finish and usage go on the last one.
func (m *meta) chunk(b []byte, delta func([]byte) []byte, finish string, r *emukit.Reply, completion int) []byte {
	b = m.head(b[:0], "chat.completion.chunk")
	b = append(b, `"choices":[{"index":0,"delta":`...)
	b = delta(b)
	b = append(b, `,"finish_reason":`...)
	if finish == "" {
		b = append(b, "null"...)
	} else {
		b = emukit.AppendString(b, finish)
	}
	b = m.appendFilterResults(b, finish)
	b = append(b, `,"logprobs":null}]`...)
	if finish != "" {
		b = append(b, ',')
		b = appendUsage(b, r.PromptTokens, completion)
	}
	return append(b, '}')
}

// errorChunk is the mid-stream failure event: Azure's error envelope as a
// data line, after which the stream ends.
func errorChunk() []byte {
	return []byte(`{"error":{"code":"InternalServerError","message":"The server had an error while processing your request. Sorry about that!"}}`)
}

func contentDelta(text string) func([]byte) []byte {
	return func(b []byte) []byte {
		return append(emukit.AppendString(append(b, `{"content":`...), text), '}')
	}
}

// filterReply cuts the answer after two words, as the output filter does.
func filterReply(r *emukit.Reply) {
	r.ToolCalls = nil
	if len(r.Content) > 2 {
		r.Content = r.Content[:2]
	}
	r.CompletionTokens = len(r.Content)
	r.Finish = "content_filter"
}

// stream writes the SSE answer: a role chunk (on the OpenAI route with
// the prompt's filter results), one chunk per word or one tool-call chunk, the last with
// finish_reason and usage, then [DONE].
func (s *Server) stream(w http.ResponseWriter, r *http.Request, f emukit.Faults, m *meta, reply *emukit.Reply) {
	cfg := &emukit.StreamConfig{InBandError: func(int) []byte { return errorChunk() }}
	st := s.ctl.OpenStream(w, r, f, cfg)
	b := m.chunk(nil, func(b []byte) []byte { return append(b, `{"role":"assistant","content":""}`...) }, "", reply, 0)
	if m.openai {
		// The prompt's filter verdict rides on the first chunk.
		b = append(b[:len(b)-1], `,"prompt_filter_results":[{"prompt_index":0,"content_filter_results":`+safeResults+`}]}`...)
	}
	if !st.Send(b) {
		return
	}
	if len(reply.ToolCalls) > 0 {
		b = m.chunk(b, func(b []byte) []byte {
			return append(appendToolCalls(append(b, `{"tool_calls":`...), reply.ToolCalls), '}')
		}, reply.Finish, reply, reply.CompletionTokens)
		if st.Send(b) {
			st.Finish()
		}
		return
	}
	for i, word := range reply.Content {
		finish := ""
		if i == len(reply.Content)-1 {
			finish = reply.Finish
		}
		if b = m.chunk(b, contentDelta(word), finish, reply, i+1); !st.Send(b) {
			return
		}
	}
	if len(reply.Content) == 0 && !st.Send(m.chunk(b, contentDelta(""), reply.Finish, reply, 0)) {
		return
	}
	st.Finish()
}
