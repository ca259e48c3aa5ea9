package azure

import (
	"encoding/json"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/openaiapi"
	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
)

// encodeRequest renders req in Azure's chat-completions schema
// (PROVIDERS.md §3.4): messages, model, temperature, top_p, max_tokens,
// stop, stream, tools, tool_choice, response_format, seed,
// frequency_penalty and presence_penalty, under their OpenAI names.
//
// Everything else is dropped rather than sent blindly, because Azure
// answers unknown fields with an error by default (extra-parameters:
// error): user, metadata, n, parallel_tool_calls, stream_options, a tool's
// strict flag, message names (Azure's message schemas have none), and the caller's unmodelled
// fields except those the deployment lists in forward_fields. The
// developer role becomes system, which Mistral models understand.
//
// With toolIDs set, tool-call ids are rewritten to Mistral's 9-character
// form through ids (nil otherwise), consistently across the conversation.
func encodeRequest(dst []byte, req *llm.ChatRequest, model string, stream bool, ids *mistralwire.IDMap, forward map[string]bool) []byte {
	r := *req
	r.Stream = stream
	r.IncludeUsage = false
	r.User, r.Metadata, r.N, r.ParallelToolCalls = "", nil, nil, nil
	r.Extra = nil
	for k, v := range req.Extra {
		if forward[k] {
			if r.Extra == nil {
				r.Extra = make(map[string]json.RawMessage, len(forward))
			}
			r.Extra[k] = v
		}
	}
	r.Messages = messages(req.Messages, ids)
	r.Tools = tools(req.Tools)
	return openaiapi.AppendRequest(dst, &r, model)
}

// messages returns msgs ready for Azure: the developer role as system, no
// names, tool-call ids rewritten when ids is set. It
// copies only when something changes.
func messages(msgs []llm.Message, ids *mistralwire.IDMap) []llm.Message {
	if !needsRewrite(msgs, ids != nil) {
		return msgs
	}
	if ids != nil {
		ids.Reserve(msgs)
	}
	out := make([]llm.Message, len(msgs))
	for i := range msgs {
		m := msgs[i]
		if m.Role == llm.RoleDeveloper {
			m.Role = llm.RoleSystem
		}
		m.Name = ""
		if ids != nil {
			if m.ToolCallID != "" {
				m.ToolCallID = ids.Rewrite(m.ToolCallID)
			}
			if len(m.ToolCalls) > 0 {
				calls := make([]llm.ToolCall, len(m.ToolCalls))
				for j, tc := range m.ToolCalls {
					tc.ID = ids.Rewrite(tc.ID)
					calls[j] = tc
				}
				m.ToolCalls = calls
			}
		}
		out[i] = m
	}
	return out
}

// needsRewrite reports whether any message must change.
func needsRewrite(msgs []llm.Message, rewriteIDs bool) bool {
	for i := range msgs {
		m := &msgs[i]
		if m.Role == llm.RoleDeveloper || m.Name != "" {
			return true
		}
		if rewriteIDs && (m.ToolCallID != "" || len(m.ToolCalls) > 0) {
			return true
		}
	}
	return false
}

// tools drops the strict flag, which Azure's function definition lacks.
func tools(ts []llm.Tool) []llm.Tool {
	strict := false
	for _, t := range ts {
		strict = strict || t.Strict != nil
	}
	if !strict {
		return ts
	}
	out := make([]llm.Tool, len(ts))
	for i, t := range ts {
		t.Strict = nil
		out[i] = t
	}
	return out
}
