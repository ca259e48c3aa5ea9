package openaiapi

import (
	"strconv"

	"github.com/windrose-gw/windrose/internal/llm"
)

// AppendResponse appends r as an OpenAI chat.completion object.
//
// A message's content is null only when it is empty and the message calls
// tools (what OpenAI sends then); an empty completion without tool calls is
// "". Array-form content is flattened to its text. FinishNone and the
// internal FinishError are written as null: a failed generation should have
// become an error before reaching this point. usage is omitted when r.Usage
// is nil.
func AppendResponse(dst []byte, r *llm.ChatResponse) []byte {
	dst = append(dst, `{"id":`...)
	dst = AppendString(dst, r.ID)
	dst = append(dst, `,"object":"chat.completion","created":`...)
	dst = strconv.AppendInt(dst, r.Created, 10)
	dst = append(dst, `,"model":`...)
	dst = AppendString(dst, r.Model)
	dst = append(dst, `,"choices":[`...)
	for i := range r.Choices {
		c := &r.Choices[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"index":`...)
		dst = strconv.AppendInt(dst, int64(c.Index), 10)
		dst = append(dst, `,"message":`...)
		dst = appendAnswer(dst, &c.Message)
		dst = append(dst, `,"logprobs":null,"finish_reason":`...)
		dst = appendFinish(dst, c.FinishReason)
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	if r.Usage != nil {
		dst = append(dst, `,"usage":`...)
		dst = appendUsage(dst, r.Usage)
	}
	return append(dst, '}')
}

// appendAnswer writes a response message.
func appendAnswer(dst []byte, m *llm.Message) []byte {
	role := m.Role
	if role == "" {
		role = llm.RoleAssistant
	}
	dst = append(dst, `{"role":`...)
	dst = AppendString(dst, string(role))
	dst = append(dst, `,"content":`...)
	switch {
	case len(m.Parts) > 0:
		dst = appendPartsText(dst, m.Parts)
	case m.Content == "" && len(m.ToolCalls) > 0:
		dst = append(dst, "null"...)
	default:
		dst = AppendString(dst, m.Content)
	}
	dst = append(dst, `,"refusal":null`...)
	if len(m.ToolCalls) > 0 {
		dst = append(dst, `,"tool_calls":`...)
		dst = appendToolCalls(dst, m.ToolCalls)
	}
	return append(dst, '}')
}

// appendPartsText writes the text parts of array content as one string.
func appendPartsText(dst []byte, parts []llm.Part) []byte {
	var n int
	for i := range parts {
		n += len(parts[i].Text)
	}
	text := make([]byte, 0, n)
	for i := range parts {
		text = append(text, parts[i].Text...)
	}
	return appendJSONString(dst, text)
}

// appendFinish writes a finish reason, null when there is none to tell.
func appendFinish(dst []byte, f llm.FinishReason) []byte {
	if f == llm.FinishNone || f == llm.FinishError {
		return append(dst, "null"...)
	}
	return AppendString(dst, string(f))
}

// appendUsage writes OpenAI's usage object. A provider that gave no total
// gets prompt+completion, which is how OpenAI defines it.
func appendUsage(dst []byte, u *llm.Usage) []byte {
	total := u.TotalTokens
	if total == 0 {
		total = u.PromptTokens + u.CompletionTokens
	}
	dst = append(dst, `{"prompt_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.PromptTokens), 10)
	dst = append(dst, `,"completion_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.CompletionTokens), 10)
	dst = append(dst, `,"total_tokens":`...)
	dst = strconv.AppendInt(dst, int64(total), 10)
	dst = append(dst, `,"prompt_tokens_details":{"cached_tokens":`...)
	dst = strconv.AppendInt(dst, int64(u.CachedTokens), 10)
	return append(dst, "}}"...)
}

// AppendModels appends the GET /v1/models list:
// {"object":"list","data":[{"id","object":"model","created","owned_by"}]}.
func AppendModels(dst []byte, ids []string, created int64, ownedBy string) []byte {
	dst = append(dst, `{"object":"list","data":[`...)
	for i, id := range ids {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendModel(dst, id, created, ownedBy)
	}
	return append(dst, "]}"...)
}

// AppendModel appends one model object, as GET /v1/models/{id} answers it.
func AppendModel(dst []byte, id string, created int64, ownedBy string) []byte {
	dst = append(dst, `{"id":`...)
	dst = AppendString(dst, id)
	dst = append(dst, `,"object":"model","created":`...)
	dst = strconv.AppendInt(dst, created, 10)
	dst = append(dst, `,"owned_by":`...)
	dst = AppendString(dst, ownedBy)
	return append(dst, '}')
}
