package openrouter

import (
	"github.com/valyala/fastjson"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// request is a decoded chat request. OpenRouter is lenient: it ignores
// fields it does not use, so only the ones the fake model needs are read.
type request struct {
	model     string
	stream    bool
	maxTokens int // max_completion_tokens, else max_tokens; 0 when unset
	conv      emukit.Conversation
}

// decode reads the parsed body; on a request OpenRouter would refuse it
// returns the 400 message.
func decode(v *fastjson.Value) (*request, string) {
	if v.Type() != fastjson.TypeObject {
		return nil, "Invalid request body: expected a JSON object"
	}
	r := &request{model: string(v.GetStringBytes("model")), stream: v.GetBool("stream")}
	if r.model == "" {
		// The `models` fallback list may stand in for `model`.
		if ms := v.GetArray("models"); len(ms) > 0 {
			r.model = string(ms[0].GetStringBytes())
		}
	}
	if r.model == "" {
		return nil, "No models provided"
	}
	msgs := v.Get("messages")
	if msgs == nil || msgs.Type() != fastjson.TypeArray || len(msgs.GetArray()) == 0 {
		return nil, `Input required: specify "prompt" or "messages"`
	}
	for _, m := range msgs.GetArray() {
		if m.Type() != fastjson.TypeObject || len(m.GetStringBytes("role")) == 0 {
			return nil, "Invalid messages: every message needs a role"
		}
		r.conv.Messages = append(r.conv.Messages, message(m))
	}
	r.maxTokens = v.GetInt("max_completion_tokens")
	if r.maxTokens <= 0 {
		r.maxTokens = v.GetInt("max_tokens")
	}
	r.conv.MaxTokens = max(r.maxTokens, 0)
	readTools(v, &r.conv)
	switch string(v.GetStringBytes("response_format", "type")) {
	case "json_object":
		r.conv.JSON = true
	case "json_schema":
		r.conv.JSON = true
		if s := v.Get("response_format", "json_schema", "schema"); s != nil {
			r.conv.Schema = s.MarshalTo(nil)
		}
	}
	return r, ""
}

func message(m *fastjson.Value) emukit.Message {
	msg := emukit.Message{Role: string(m.GetStringBytes("role")), ToolCallID: string(m.GetStringBytes("tool_call_id"))}
	if msg.Role == "developer" {
		msg.Role = "system"
	}
	switch c := m.Get("content"); {
	case c == nil:
	case c.Type() == fastjson.TypeString:
		msg.Text = string(c.GetStringBytes())
	case c.Type() == fastjson.TypeArray:
		var text []byte
		for _, part := range c.GetArray() {
			if string(part.GetStringBytes("type")) == "text" {
				if len(text) > 0 {
					text = append(text, ' ')
				}
				text = append(text, part.GetStringBytes("text")...)
			}
		}
		msg.Text = string(text)
	}
	for _, tc := range m.GetArray("tool_calls") {
		msg.ToolCalls = append(msg.ToolCalls, emukit.ToolCall{ID: string(tc.GetStringBytes("id")),
			Name: string(tc.GetStringBytes("function", "name")), Arguments: string(tc.GetStringBytes("function", "arguments"))})
	}
	return msg
}

func readTools(v *fastjson.Value, c *emukit.Conversation) {
	for _, t := range v.GetArray("tools") {
		fn := t.Get("function")
		if fn == nil {
			continue
		}
		tool := emukit.Tool{Name: string(fn.GetStringBytes("name")), Description: string(fn.GetStringBytes("description"))}
		if p := fn.Get("parameters"); p != nil {
			tool.Parameters = p.MarshalTo(nil)
		}
		c.Tools = append(c.Tools, tool)
	}
	switch tc := v.Get("tool_choice"); {
	case tc == nil:
	case tc.Type() == fastjson.TypeObject:
		c.ToolName = string(tc.GetStringBytes("function", "name"))
	default:
		switch s := string(tc.GetStringBytes()); s {
		case "none", "auto":
			c.ToolChoice = s
		case "required", "any":
			c.ToolChoice = emukit.ChoiceRequired
		}
	}
}
