package mistral

import (
	"net/http"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// meta is what every body of one answer repeats.
type meta struct {
	id      string
	created int64
	model   string
}

// head appends `{"id":…,"object":…,"created":…,"model":…,` to b.
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
		b = append(b, `{"id":`...)
		b = emukit.AppendString(b, tc.ID)
		b = append(b, `,"type":"function","function":{"name":`...)
		b = emukit.AppendString(b, tc.Name)
		b = append(b, `,"arguments":`...)
		b = emukit.AppendString(b, tc.Arguments)
		b = append(b, `},"index":`...)
		b = itoa(b, i)
		b = append(b, '}')
	}
	return append(b, ']')
}

// response renders the non-stream body (PROVIDERS.md §1.3): one choice
// per reply (the request's n), the prompt billed once.
func (m *meta) response(replies []emukit.Reply) []byte {
	b := make([]byte, 0, 512)
	b = m.head(b, "chat.completion")
	b = append(b, `"choices":[`...)
	completion := 0
	for i := range replies {
		r := &replies[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"index":`...)
		b = itoa(b, i)
		b = append(b, `,"message":{"role":"assistant","content":`...)
		b = emukit.AppendString(b, r.Text())
		b = append(b, `,"tool_calls":`...)
		if len(r.ToolCalls) > 0 {
			b = appendToolCalls(b, r.ToolCalls)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, `},"finish_reason":`...)
		b = emukit.AppendString(b, r.Finish)
		b = append(b, '}')
		completion += r.CompletionTokens
	}
	b = append(b, "],"...)
	b = appendUsage(b, replies[0].PromptTokens, completion)
	return append(b, '}')
}

// chunk renders one stream chunk of choice index. delta is the JSON object
// of the delta; usage (the completion tokens so far, of every choice) goes
// on the last chunk of the stream only (PROVIDERS.md §1.4), which usage
// says this is.
func (m *meta) chunk(b []byte, index int, delta func([]byte) []byte, finish string, r *emukit.Reply, usage bool, completion int) []byte {
	b = m.head(b[:0], "chat.completion.chunk")
	b = append(b, `"choices":[{"index":`...)
	b = itoa(b, index)
	b = append(b, `,"delta":`...)
	b = delta(b)
	b = append(b, `,"finish_reason":`...)
	if finish == "" {
		b = append(b, "null"...)
	} else {
		b = emukit.AppendString(b, finish)
	}
	b = append(b, "}]"...)
	if usage {
		b = append(b, ',')
		b = appendUsage(b, r.PromptTokens, completion)
	}
	return append(b, '}')
}

func contentDelta(text string) func([]byte) []byte {
	return func(b []byte) []byte {
		return append(emukit.AppendString(append(b, `{"content":`...), text), '}')
	}
}

// stream writes the SSE answer: per choice (one per reply, in index
// order) a role chunk, one chunk per word (or one tool-call chunk), the
// choice's last carrying its finish_reason; the stream's last chunk also
// carries usage; then [DONE].
func (s *Server) stream(w http.ResponseWriter, r *http.Request, f emukit.Faults, m *meta, replies []emukit.Reply) {
	var b []byte
	completion := 0 // of every choice so far
	cfg := &emukit.StreamConfig{
		DoneAfterInBandError: true,
		InBandError: func(sent int) []byte {
			// Mistral has no documented error event: a chunk that finishes
			// with "error" (one of its stream finish reasons) stands in.
			return m.chunk(nil, 0, contentDelta(""), "error", &replies[0], true, completion)
		},
	}
	st := s.ctl.OpenStream(w, r, f, cfg)
	for i := range replies {
		reply := &replies[i]
		last := i == len(replies)-1
		b = m.chunk(b, i, func(b []byte) []byte { return append(b, `{"role":"assistant","content":""}`...) }, "", reply, false, completion)
		if !st.Send(b) {
			return
		}
		if len(reply.ToolCalls) > 0 {
			b = m.chunk(b, i, func(b []byte) []byte {
				return append(appendToolCalls(append(b, `{"tool_calls":`...), reply.ToolCalls), '}')
			}, reply.Finish, reply, last, completion+reply.CompletionTokens)
			if !st.Send(b) {
				return
			}
			completion += reply.CompletionTokens
			continue
		}
		for j, word := range reply.Content {
			finish := ""
			if j == len(reply.Content)-1 {
				finish = reply.Finish
			}
			if b = m.chunk(b, i, contentDelta(word), finish, reply, last && finish != "", completion+1); !st.Send(b) {
				return
			}
			completion++
		}
		if len(reply.Content) == 0 {
			if !st.Send(m.chunk(b, i, contentDelta(""), reply.Finish, reply, last, completion)) {
				return
			}
		}
	}
	st.Finish()
}
