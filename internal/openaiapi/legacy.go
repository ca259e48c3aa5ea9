package openaiapi

import (
	"strconv"

	"github.com/windrose-gw/windrose/internal/llm"
)

// Legacy function calling: old SDK code still sends "functions" and
// "function_call" (deprecated by OpenAI in favour of tools and
// tool_choice). They decode onto the same neutral tools, so every adapter
// serves them; "tools" and "tool_choice" win when both are sent.

// legacyFunction reads one "functions" entry: {"name","description","parameters"}.
func (d *decoder) legacyFunction(t *llm.Tool) error {
	if d.ws() != '{' {
		return typeError("an object", d.kind())
	}
	err := d.toolFunction(t)
	if err == nil && t.Name == "" {
		return missing("name")
	}
	return err
}

// functionCall reads "function_call": "auto" | "none" | {"name": …}.
func (d *decoder) functionCall() (*llm.ToolChoice, error) {
	switch d.ws() {
	case '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		switch m := llm.ToolChoiceMode(s); m {
		case llm.ToolChoiceAuto, llm.ToolChoiceNone:
			return &llm.ToolChoice{Mode: m}, nil
		}
		return nil, invalid("", "unsupported function_call '%s'; expected 'auto', 'none' or {\"name\": …}", s)
	case '{':
		c := &llm.ToolChoice{Mode: llm.ToolChoiceFunction}
		err := d.function(func(key string) (err error) {
			if key == "name" {
				c.Name, err = d.string()
				return err
			}
			_, _, err = d.skip(0)
			return err
		})
		if err == nil && c.Name == "" {
			return nil, missing("name")
		}
		return c, err
	}
	if d.null() {
		return nil, nil
	}
	return nil, typeError("a string or an object", d.kind())
}

// legacyRole is the role of a legacy function result message.
const legacyRole = "function"

// legacyMessageCall reads an assistant message's "function_call":
// {"name": …, "arguments": "<JSON text>"}. Its id is set by linkLegacyCalls.
func (d *decoder) legacyMessageCall() (*llm.ToolCall, error) {
	if d.null() {
		return nil, nil
	}
	if d.ws() != '{' {
		return nil, typeError("an object", d.kind())
	}
	c := &llm.ToolCall{}
	err := d.callFunction(c)
	if err == nil && c.Name == "" {
		return nil, missing("name")
	}
	return c, err
}

// legacy checks a message in the legacy shape: an assistant turn with a
// function_call (which becomes its tool call), or a function result (a
// tool message whose tool_call_id linkLegacyCalls fills in).
func (mf *messageFields) legacy(m *llm.Message) error {
	if mf.role == legacyRole {
		if mf.legacyCall != nil {
			return invalid("function_call", "only assistant messages may contain function_call")
		}
		if !mf.hasContent {
			return missing("content")
		}
		if m.Name == "" {
			return missing("name")
		}
		m.Role = llm.RoleTool
		return nil
	}
	if llm.Role(mf.role) != llm.RoleAssistant {
		return invalid("function_call", "only assistant messages may contain function_call")
	}
	m.Role = llm.RoleAssistant
	if len(m.ToolCalls) == 0 { // tool_calls win, as tools win over functions
		m.ToolCalls = []llm.ToolCall{*mf.legacyCall}
	}
	return nil
}

// linkLegacyCalls gives each legacy function call (a tool call without an
// id: tool_calls entries must have one) the id call_fn<i>, i its message's
// index, so every turn of a conversation maps it the same way; and each
// legacy function result (a tool message without a tool_call_id) the id of
// the latest unanswered call of its name, or else of the latest unanswered
// call. A result with no call before it is the client's error.
func linkLegacyCalls(msgs []llm.Message) error {
	var open []*llm.ToolCall // unanswered legacy calls, oldest first
	for i := range msgs {
		m := &msgs[i]
		switch {
		case m.Role == llm.RoleAssistant:
			for j := range m.ToolCalls {
				if m.ToolCalls[j].ID == "" {
					m.ToolCalls[j].ID = "call_fn" + strconv.Itoa(i)
					open = append(open, &m.ToolCalls[j])
				}
			}
		case m.Role == llm.RoleTool && m.ToolCallID == "":
			k := len(open) - 1
			for n := k; n >= 0; n-- {
				if open[n].Name == m.Name {
					k = n
					break
				}
			}
			if k < 0 {
				return invalid("messages["+strconv.Itoa(i)+"].role", "a 'function' message must follow an assistant message with a function_call")
			}
			m.ToolCallID = open[k].ID
			open = append(open[:k], open[k+1:]...)
		}
	}
	return nil
}
