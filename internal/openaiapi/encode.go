package openaiapi

import (
	"slices"
	"strconv"

	"github.com/windrose-gw/windrose/internal/llm"
)

// isModelled reports whether AppendRequest writes the top-level member k
// itself; an Extra entry with such a name is skipped so the body never
// carries a duplicate key.
func isModelled(k string) bool {
	switch k {
	case "model", "messages", "tools", "tool_choice", "parallel_tool_calls",
		"response_format", "temperature", "top_p", "presence_penalty",
		"frequency_penalty", "max_tokens", "max_completion_tokens", "stop",
		"seed", "n", "stream", "stream_options", "user", "metadata":
		return true
	}
	return false
}

// AppendRequest appends r as an OpenAI chat-completions request body with
// model in place of r.Model. Unset optional fields are left out, MaxTokens is
// sent as max_tokens, stream_options.include_usage is sent only with a
// streamed request, and Extra members are copied verbatim (in key order, so
// the output is deterministic).
func AppendRequest(dst []byte, r *llm.ChatRequest, model string) []byte {
	dst = append(dst, `{"model":`...)
	dst = AppendString(dst, model)
	dst = append(dst, `,"messages":[`...)
	for i := range r.Messages {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendMessage(dst, &r.Messages[i])
	}
	dst = append(dst, ']')
	dst = appendTools(dst, r)
	dst = appendSampling(dst, r)
	if r.Stream {
		dst = append(dst, `,"stream":true`...)
		if r.IncludeUsage {
			dst = append(dst, `,"stream_options":{"include_usage":true}`...)
		}
	}
	if r.User != "" {
		dst = append(dst, `,"user":`...)
		dst = AppendString(dst, r.User)
	}
	if len(r.Metadata) > 0 {
		dst = append(dst, `,"metadata":{`...)
		for i, k := range sortedKeys(r.Metadata) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, k)
			dst = append(dst, ':')
			dst = AppendString(dst, r.Metadata[k])
		}
		dst = append(dst, '}')
	}
	for _, k := range sortedKeys(r.Extra) {
		if v := r.Extra[k]; !isModelled(k) && len(v) > 0 {
			dst = append(dst, ',')
			dst = AppendString(dst, k)
			dst = append(dst, ':')
			dst = append(dst, v...)
		}
	}
	return append(dst, '}')
}

func sortedKeys[V any](m map[string]V) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendMessage writes one request message.
func appendMessage(dst []byte, m *llm.Message) []byte {
	dst = append(dst, `{"role":`...)
	dst = AppendString(dst, string(m.Role))
	dst = append(dst, `,"content":`...)
	switch {
	case len(m.Parts) > 0:
		dst = appendParts(dst, m.Parts)
	case m.Content == "" && m.Role == llm.RoleAssistant && len(m.ToolCalls) > 0:
		// OpenAI's own form for a turn that only calls tools.
		dst = append(dst, "null"...)
	default:
		dst = AppendString(dst, m.Content)
	}
	if m.Name != "" {
		dst = append(dst, `,"name":`...)
		dst = AppendString(dst, m.Name)
	}
	if len(m.ToolCalls) > 0 {
		dst = append(dst, `,"tool_calls":`...)
		dst = appendToolCalls(dst, m.ToolCalls)
	}
	if m.ToolCallID != "" {
		dst = append(dst, `,"tool_call_id":`...)
		dst = AppendString(dst, m.ToolCallID)
	}
	return append(dst, '}')
}

// appendParts writes array-form content.
func appendParts(dst []byte, parts []llm.Part) []byte {
	dst = append(dst, '[')
	for i := range parts {
		p := &parts[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		if p.Type == llm.PartImageURL {
			dst = append(dst, `{"type":"image_url","image_url":{"url":`...)
			dst = AppendString(dst, p.ImageURL)
			if p.Detail != "" {
				dst = append(dst, `,"detail":`...)
				dst = AppendString(dst, p.Detail)
			}
			dst = append(dst, "}}"...)
			continue
		}
		dst = append(dst, `{"type":"text","text":`...)
		dst = AppendString(dst, p.Text)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendToolCalls writes complete tool calls, as in requests and responses.
func appendToolCalls(dst []byte, calls []llm.ToolCall) []byte {
	dst = append(dst, '[')
	for i := range calls {
		c := &calls[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":`...)
		dst = AppendString(dst, c.ID)
		dst = append(dst, `,"type":"function","function":{"name":`...)
		dst = AppendString(dst, c.Name)
		dst = append(dst, `,"arguments":`...)
		dst = AppendString(dst, c.Arguments)
		dst = append(dst, "}}"...)
	}
	return append(dst, ']')
}

// appendTools writes tools, tool_choice, parallel_tool_calls and response_format.
func appendTools(dst []byte, r *llm.ChatRequest) []byte {
	if len(r.Tools) > 0 {
		dst = append(dst, `,"tools":[`...)
		for i := range r.Tools {
			t := &r.Tools[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"type":"function","function":{"name":`...)
			dst = AppendString(dst, t.Name)
			if t.Description != "" {
				dst = append(dst, `,"description":`...)
				dst = AppendString(dst, t.Description)
			}
			if len(t.Parameters) > 0 {
				dst = append(dst, `,"parameters":`...)
				dst = append(dst, t.Parameters...)
			}
			dst = appendOptBool(dst, `,"strict":`, t.Strict)
			dst = append(dst, "}}"...)
		}
		dst = append(dst, ']')
	}
	if tc := r.ToolChoice; tc != nil {
		dst = append(dst, `,"tool_choice":`...)
		if tc.Mode == llm.ToolChoiceFunction {
			dst = append(dst, `{"type":"function","function":{"name":`...)
			dst = AppendString(dst, tc.Name)
			dst = append(dst, "}}"...)
		} else {
			dst = AppendString(dst, string(tc.Mode))
		}
	}
	dst = appendOptBool(dst, `,"parallel_tool_calls":`, r.ParallelToolCalls)
	if rf := r.ResponseFormat; rf != nil {
		dst = appendResponseFormat(dst, rf)
	}
	return dst
}

// appendResponseFormat writes response_format.
func appendResponseFormat(dst []byte, rf *llm.ResponseFormat) []byte {
	dst = append(dst, `,"response_format":{"type":`...)
	dst = AppendString(dst, string(rf.Type))
	if rf.Type == llm.FormatJSONSchema {
		dst = append(dst, `,"json_schema":{"name":`...)
		dst = AppendString(dst, rf.Name)
		if rf.Description != "" {
			dst = append(dst, `,"description":`...)
			dst = AppendString(dst, rf.Description)
		}
		if len(rf.Schema) > 0 {
			dst = append(dst, `,"schema":`...)
			dst = append(dst, rf.Schema...)
		}
		dst = appendOptBool(dst, `,"strict":`, rf.Strict)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// appendSampling writes the numeric knobs and stop.
func appendSampling(dst []byte, r *llm.ChatRequest) []byte {
	dst = appendOptFloat(dst, `,"temperature":`, r.Temperature)
	dst = appendOptFloat(dst, `,"top_p":`, r.TopP)
	dst = appendOptFloat(dst, `,"presence_penalty":`, r.PresencePenalty)
	dst = appendOptFloat(dst, `,"frequency_penalty":`, r.FrequencyPenalty)
	if r.MaxTokens != nil {
		dst = append(dst, `,"max_tokens":`...)
		dst = strconv.AppendInt(dst, int64(*r.MaxTokens), 10)
	}
	if r.N != nil {
		dst = append(dst, `,"n":`...)
		dst = strconv.AppendInt(dst, int64(*r.N), 10)
	}
	if r.Seed != nil {
		dst = append(dst, `,"seed":`...)
		dst = strconv.AppendInt(dst, *r.Seed, 10)
	}
	if len(r.Stop) > 0 {
		dst = append(dst, `,"stop":[`...)
		for i, s := range r.Stop {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendString(dst, s)
		}
		dst = append(dst, ']')
	}
	return dst
}

func appendOptFloat(dst []byte, key string, f *float64) []byte {
	if f == nil {
		return dst
	}
	return appendFloat(append(dst, key...), *f)
}

func appendOptBool(dst []byte, key string, b *bool) []byte {
	if b == nil {
		return dst
	}
	return appendBool(append(dst, key...), *b)
}
