package watsonx

import (
	"fmt"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// request is a validated chat request.
type request struct {
	model     string
	timeLimit int64 // ms; 0 when absent
	conv      emukit.Conversation
}

// badRequest is a validation failure: watsonx's code and message, all 400.
type badRequest struct{ code, msg string }

func bad(code, format string, args ...any) *badRequest {
	return &badRequest{code: code, msg: fmt.Sprintf(format, args...)}
}

// known lists the body fields of PROVIDERS.md §5.4; anything else is a
// validation error, so an adapter that leaks OpenAI-only fields is caught.
var known = map[string]bool{
	"model_id": true, "project_id": true, "space_id": true, "messages": true, "tools": true,
	"tool_choice_option": true, "tool_choice": true, "frequency_penalty": true, "logit_bias": true,
	"logprobs": true, "top_logprobs": true, "max_tokens": true, "max_completion_tokens": true, "n": true,
	"presence_penalty": true, "response_format": true, "seed": true, "stop": true, "temperature": true,
	"top_p": true, "time_limit": true, "guided_choice": true, "guided_regex": true, "guided_grammar": true,
	"guided_json": true, "repetition_penalty": true, "length_penalty": true, "include_reasoning": true,
	"reasoning_effort": true, "context": true,
}

// decode validates the body as watsonx does and builds the conversation.
func decode(v *fastjson.Value) (*request, *badRequest) {
	obj, err := v.Object()
	if err != nil {
		return nil, bad(codeJSONType, "The request body must be a JSON object")
	}
	var unknown []string
	obj.Visit(func(k []byte, _ *fastjson.Value) {
		if !known[string(k)] {
			unknown = append(unknown, string(k))
		}
	})
	if len(unknown) > 0 {
		return nil, bad(codeValidation, "Json field validation failed: unknown field(s) %s", strings.Join(unknown, ", "))
	}
	r := &request{model: string(v.GetStringBytes("model_id"))}
	if r.model == "" {
		return nil, bad(codeValidation, "Json field validation failed: model_id is required")
	}
	if (len(v.GetStringBytes("project_id")) == 0) == (len(v.GetStringBytes("space_id")) == 0) {
		return nil, bad(codeInvalidInput, "Exactly one of project_id or space_id must be specified")
	}
	if tl := v.Get("time_limit"); tl != nil {
		if n, err := tl.Int64(); err != nil || n <= 0 {
			return nil, bad(codeJSONType, "time_limit must be a positive integer (milliseconds)")
		} else {
			r.timeLimit = n
		}
	}
	if e := messages(v.Get("messages"), &r.conv); e != nil {
		return nil, e
	}
	if e := tools(v, &r.conv); e != nil {
		return nil, e
	}
	if e := format(v, &r.conv); e != nil {
		return nil, e
	}
	r.conv.N = v.GetInt("n")
	r.conv.MaxTokens = v.GetInt("max_tokens")
	if r.conv.MaxTokens == 0 {
		r.conv.MaxTokens = v.GetInt("max_completion_tokens")
	}
	return r, nil
}

func messages(v *fastjson.Value, c *emukit.Conversation) *badRequest {
	if v == nil || v.Type() != fastjson.TypeArray || len(v.GetArray()) == 0 {
		return bad(codeValidation, "Json field validation failed: messages must be a non-empty array")
	}
	for i, m := range v.GetArray() {
		msg := emukit.Message{Role: string(m.GetStringBytes("role"))}
		switch msg.Role {
		case "system", "user", "assistant", "tool":
		default:
			return bad(codeValidation, "messages[%d].role: must be one of system, user, assistant, tool", i)
		}
		text, e := content(m.Get("content"), i)
		if e != nil {
			return e
		}
		msg.Text = text
		if msg.Role == "tool" {
			msg.ToolCallID = string(m.GetStringBytes("tool_call_id"))
			if msg.ToolCallID == "" {
				return bad(codeValidation, "messages[%d].tool_call_id: required for a tool message", i)
			}
		}
		for _, tc := range m.GetArray("tool_calls") {
			msg.ToolCalls = append(msg.ToolCalls, emukit.ToolCall{ID: string(tc.GetStringBytes("id")),
				Name: string(tc.GetStringBytes("function", "name")), Arguments: string(tc.GetStringBytes("function", "arguments"))})
		}
		c.Messages = append(c.Messages, msg)
	}
	return nil
}

// content flattens a string or a list of text / image_url parts.
func content(v *fastjson.Value, i int) (string, *badRequest) {
	if v == nil || v.Type() == fastjson.TypeNull {
		return "", nil
	}
	switch v.Type() {
	case fastjson.TypeString:
		return string(v.GetStringBytes()), nil
	case fastjson.TypeArray:
		var b strings.Builder
		for _, p := range v.GetArray() {
			switch string(p.GetStringBytes("type")) {
			case "text":
				b.Write(p.GetStringBytes("text"))
			case "image_url":
				if len(p.GetStringBytes("image_url", "url")) == 0 {
					return "", bad(codeValidation, "messages[%d].content: image_url.url is required", i)
				}
			default:
				return "", bad(codeValidation, "messages[%d].content: unknown part type", i)
			}
		}
		return b.String(), nil
	}
	return "", bad(codeJSONType, "messages[%d].content: must be a string or an array", i)
}

// tools reads tools, tool_choice_option (a mode string) and tool_choice (a
// named tool object). A string in tool_choice, or both fields at once, is
// rejected: the two are distinct fields in watsonx.
func tools(v *fastjson.Value, c *emukit.Conversation) *badRequest {
	for _, t := range v.GetArray("tools") {
		fn := t.Get("function")
		if fn == nil || len(fn.GetStringBytes("name")) == 0 {
			return bad(codeValidation, "tools: every tool needs function.name")
		}
		tool := emukit.Tool{Name: string(fn.GetStringBytes("name")), Description: string(fn.GetStringBytes("description"))}
		if p := fn.Get("parameters"); p != nil {
			tool.Parameters = p.MarshalTo(nil)
		}
		c.Tools = append(c.Tools, tool)
	}
	opt, named := v.Get("tool_choice_option"), v.Get("tool_choice")
	if opt != nil && named != nil {
		return bad(codeInvalidInput, "Only one of tool_choice_option and tool_choice may be specified")
	}
	if opt != nil {
		switch s := string(opt.GetStringBytes()); s {
		case "auto", "none":
			c.ToolChoice = s
		case "required":
			c.ToolChoice = emukit.ChoiceRequired
		default:
			return bad(codeValidation, "tool_choice_option: must be one of none, auto, required")
		}
	}
	if named != nil {
		if named.Type() != fastjson.TypeObject {
			return bad(codeJSONType, "tool_choice: must be an object {\"type\":\"function\",\"function\":{\"name\":…}}; use tool_choice_option for none, auto or required")
		}
		c.ToolName = string(named.GetStringBytes("function", "name"))
		if c.ToolName == "" {
			return bad(codeValidation, "tool_choice.function.name: required")
		}
	}
	return nil
}

func format(v *fastjson.Value, c *emukit.Conversation) *badRequest {
	rf := v.Get("response_format")
	if rf == nil {
		return nil
	}
	switch string(rf.GetStringBytes("type")) {
	case "text":
	case "json_object":
		c.JSON = true
	case "json_schema":
		c.JSON = true
		if s := rf.Get("json_schema", "schema"); s != nil {
			c.Schema = s.MarshalTo(nil)
		}
	default:
		return bad(codeValidation, "response_format.type: must be text, json_object or json_schema")
	}
	return nil
}

// badToolCallID finds a tool-call id a Mistral model would reject (not
// nine characters of [a-zA-Z0-9]).
func badToolCallID(c *emukit.Conversation) (string, bool) {
	for _, m := range c.Messages {
		if m.ToolCallID != "" && !mistralID(m.ToolCallID) {
			return m.ToolCallID, true
		}
		for _, tc := range m.ToolCalls {
			if !mistralID(tc.ID) {
				return tc.ID, true
			}
		}
	}
	return "", false
}

func mistralID(id string) bool {
	if len(id) != 9 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
