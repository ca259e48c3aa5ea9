package watsonx

import (
	"strconv"
	"time"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// modelVersion is what the emulator reports as model_version.
const modelVersion = "3.0.0"

// meta is what every body of one answer repeats.
type meta struct {
	id      string
	created time.Time
	model   string
}

// head appends `{"id":…,"object":…,"model_id":…,"model":…,"created":…,
// "model_version":…,"created_at":…,` to b (PROVIDERS.md §5.5).
func (m *meta) head(b []byte, object string) []byte {
	b = append(b, `{"id":`...)
	b = emukit.AppendString(b, m.id)
	b = append(b, `,"object":"`...)
	b = append(b, object...)
	b = append(b, `","model_id":`...)
	b = emukit.AppendString(b, m.model)
	b = append(b, `,"model":`...)
	b = emukit.AppendString(b, m.model)
	b = append(b, `,"created":`...)
	b = strconv.AppendInt(b, m.created.Unix(), 10)
	b = append(b, `,"model_version":"`+modelVersion+`","created_at":"`...)
	b = m.created.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	return append(b, `",`...)
}

func appendUsage(b []byte, prompt, completion int) []byte {
	b = append(b, `"usage":{"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(completion), 10)
	b = append(b, `,"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(prompt), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(prompt+completion), 10)
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
		b = append(b, `}}`...)
	}
	return append(b, ']')
}

// response renders the non-stream body: one choice per reply (the
// request's n), the prompt billed once.
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
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"message":{"role":"assistant","content":`...)
		b = emukit.AppendString(b, r.Text())
		if len(r.ToolCalls) > 0 {
			b = append(b, `,"tool_calls":`...)
			b = appendToolCalls(b, r.ToolCalls)
		}
		b = append(b, `},"finish_reason":`...)
		b = emukit.AppendString(b, r.Finish)
		b = append(b, '}')
		completion += r.CompletionTokens
	}
	b = append(b, "],"...)
	b = appendUsage(b, replies[0].PromptTokens, completion)
	return append(b, `,"system":{"warnings":[]}}`...)
}

// chunk renders one stream chunk of choice index whose delta is the JSON
// object delta appends; finish is "" for none.
func (m *meta) chunk(b []byte, index int, delta func([]byte) []byte, finish string) []byte {
	b = m.head(b[:0], "chat.completion.chunk")
	b = append(b, `"choices":[{"index":`...)
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, `,"finish_reason":`...)
	if finish == "" {
		b = append(b, "null"...)
	} else {
		b = emukit.AppendString(b, finish)
	}
	b = append(b, `,"delta":`...)
	b = delta(b)
	return append(b, "}]}"...)
}

// usageChunk is the last chunk of a stream: no choices, only usage.
func (m *meta) usageChunk(prompt, completion int) []byte {
	b := m.head(make([]byte, 0, 256), "chat.completion.chunk")
	b = append(b, `"choices":[],`...)
	b = appendUsage(b, prompt, completion)
	return append(b, '}')
}

func contentDelta(text string) func([]byte) []byte {
	return func(b []byte) []byte {
		return append(emukit.AppendString(append(b, `{"content":`...), text), '}')
	}
}

// toolDelta is one fragment of call i: the first carries id and name.
func toolDelta(i int, tc *emukit.ToolCall, first bool, args string) func([]byte) []byte {
	return func(b []byte) []byte {
		b = append(b, `{"tool_calls":[{"index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		if first {
			b = append(b, `,"id":`...)
			b = emukit.AppendString(b, tc.ID)
			b = append(b, `,"type":"function","function":{"name":`...)
			b = emukit.AppendString(b, tc.Name)
			b = append(b, `,"arguments":`...)
		} else {
			b = append(b, `,"function":{"arguments":`...)
		}
		b = emukit.AppendString(b, args)
		return append(b, `}}]}`...)
	}
}
