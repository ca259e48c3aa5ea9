package openaiapi

import (
	"strconv"

	"github.com/windrose-gw/windrose/internal/llm"
)

// ChunkHeader is what every chunk of one stream repeats. The server fixes
// it once per stream so the id and model stay constant whatever the
// provider's own events say.
type ChunkHeader struct {
	ID      string
	Created int64
	Model   string
}

// AppendChunk appends ev as one SSE event, "data: {chat.completion.chunk}\n\n",
// with one choice per delta. It never writes usage: the server decides where
// usage goes (AppendUsageChunk). With a reused dst it does not allocate.
//
// A delta's content is written when non-empty; a role-only delta carries
// "content":"" as OpenAI's first chunk does. Tool-call fragments carry id and
// type only on the fragment that has the id, name only when set, and
// arguments always. FinishNone and FinishError are written as null; after a
// FinishError the server should end the stream with AppendStreamError.
func AppendChunk(dst []byte, h ChunkHeader, ev *llm.StreamEvent) []byte {
	return appendChunk(dst, h, ev, false)
}

// AppendChunkUsageNull is AppendChunk for a stream whose client asked for
// stream_options.include_usage: OpenAI then adds "usage":null to every chunk
// before the final usage chunk, and strict clients expect the member.
func AppendChunkUsageNull(dst []byte, h ChunkHeader, ev *llm.StreamEvent) []byte {
	return appendChunk(dst, h, ev, true)
}

func appendChunk(dst []byte, h ChunkHeader, ev *llm.StreamEvent, usageNull bool) []byte {
	dst = appendChunkHead(dst, h)
	for i := range ev.Deltas {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendDelta(dst, &ev.Deltas[i])
	}
	dst = append(dst, ']')
	if usageNull {
		dst = append(dst, `,"usage":null`...)
	}
	return append(dst, "}\n\n"...)
}

// appendChunkHead writes the SSE prefix and the chunk's fixed members, up to
// and including the opening '[' of choices.
func appendChunkHead(dst []byte, h ChunkHeader) []byte {
	dst = append(dst, `data: {"id":`...)
	dst = AppendString(dst, h.ID)
	dst = append(dst, `,"object":"chat.completion.chunk","created":`...)
	dst = strconv.AppendInt(dst, h.Created, 10)
	dst = append(dst, `,"model":`...)
	dst = AppendString(dst, h.Model)
	return append(dst, `,"choices":[`...)
}

// appendDelta writes one streamed choice.
func appendDelta(dst []byte, d *llm.Delta) []byte {
	dst = append(dst, `{"index":`...)
	dst = strconv.AppendInt(dst, int64(d.Index), 10)
	dst = append(dst, `,"delta":{`...)
	sep := false
	if d.Role != "" {
		dst = append(dst, `"role":`...)
		dst = AppendString(dst, string(d.Role))
		sep = true
	}
	if len(d.Content) > 0 || (d.Role != "" && len(d.ToolCalls) == 0) {
		if sep {
			dst = append(dst, ',')
		}
		dst = append(dst, `"content":`...)
		dst = appendJSONString(dst, d.Content)
		sep = true
	}
	if len(d.ToolCalls) > 0 {
		if sep {
			dst = append(dst, ',')
		}
		dst = appendToolCallDeltas(dst, d.ToolCalls)
	}
	dst = append(dst, `},"logprobs":null,"finish_reason":`...)
	dst = appendFinish(dst, d.FinishReason)
	return append(dst, '}')
}

// appendToolCallDeltas writes "tool_calls":[…] for streamed fragments.
func appendToolCallDeltas(dst []byte, calls []llm.ToolCallDelta) []byte {
	dst = append(dst, `"tool_calls":[`...)
	for i := range calls {
		c := &calls[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"index":`...)
		dst = strconv.AppendInt(dst, int64(c.Index), 10)
		if c.ID != "" {
			dst = append(dst, `,"id":`...)
			dst = AppendString(dst, c.ID)
			dst = append(dst, `,"type":"function"`...)
		}
		dst = append(dst, `,"function":{`...)
		if c.Name != "" {
			dst = append(dst, `"name":`...)
			dst = AppendString(dst, c.Name)
			dst = append(dst, ',')
		}
		dst = append(dst, `"arguments":`...)
		dst = appendJSONString(dst, c.Arguments)
		dst = append(dst, "}}"...)
	}
	return append(dst, ']')
}

// AppendUsageChunk appends the final chunk OpenAI sends when the client set
// stream_options.include_usage: no choices, only usage. A nil u writes
// "usage":null.
func AppendUsageChunk(dst []byte, h ChunkHeader, u *llm.Usage) []byte {
	dst = appendChunkHead(dst, h)
	dst = append(dst, `],"usage":`...)
	if u == nil {
		dst = append(dst, "null"...)
	} else {
		dst = appendUsage(dst, u)
	}
	return append(dst, "}\n\n"...)
}

// AppendDone appends the stream terminator "data: [DONE]\n\n".
func AppendDone(dst []byte) []byte {
	return append(dst, "data: [DONE]\n\n"...)
}
