package mistral

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/valyala/fastjson"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// kind is the type a top-level field accepts; every field but model and
// messages also accepts null.
type kind uint8

const (
	kStr      kind = iota
	kNum           // float
	kInt           // int
	kNonNeg        // int >= 0 (max_tokens)
	kPositive      // int >= 1 (n)
	kBool          // bool
	kObj           // dict
	kList          // list
	kStop          // string | list[string]
	kStrOrObj      // tool_choice
	kModel         // required string
	kMessages      // required, non-empty list
)

// fieldKind knows the ChatCompletionRequest field list of Mistral's SDK
// (PROVIDERS.md §1.2): anything else is rejected with extra_forbidden.
func fieldKind(key string) (kind, bool) {
	switch key {
	case "model":
		return kModel, true
	case "messages":
		return kMessages, true
	case "temperature", "top_p", "presence_penalty", "frequency_penalty":
		return kNum, true
	case "max_tokens":
		return kNonNeg, true
	case "random_seed":
		return kInt, true
	case "n":
		return kPositive, true
	case "stream", "parallel_tool_calls", "safe_prompt":
		return kBool, true
	case "stop":
		return kStop, true
	case "metadata", "response_format", "prediction":
		return kObj, true
	case "tools", "guardrails":
		return kList, true
	case "tool_choice":
		return kStrOrObj, true
	case "reasoning_effort", "prompt_mode", "prompt_cache_key":
		return kStr, true
	}
	return 0, false
}

// request is a validated chat request.
type request struct {
	model  string
	stream bool
	conv   emukit.Conversation
}

// detail is one pydantic validation error.
type detail struct {
	Type  string          `json:"type"`
	Loc   []any           `json:"loc"`
	Msg   string          `json:"msg"`
	Input json.RawMessage `json:"input"`
}

type validator struct{ details []detail }

func (vd *validator) add(typ, msg string, input *fastjson.Value, loc ...any) {
	raw := json.RawMessage("null")
	if input != nil {
		raw = input.MarshalTo(nil)
	}
	vd.details = append(vd.details, detail{Type: typ, Loc: append([]any{"body"}, loc...), Msg: msg, Input: raw})
}

// decode validates the parsed body as Mistral does and builds the request;
// on failure it returns the pydantic details for a 422.
func decode(v *fastjson.Value) (*request, []detail) {
	vd := &validator{}
	obj, err := v.Object()
	if err != nil {
		vd.add("model_attributes_type", "Input should be a valid dictionary or object to extract fields from", v)
		return nil, vd.details
	}
	obj.Visit(func(key []byte, val *fastjson.Value) {
		k, known := fieldKind(string(key))
		if !known {
			vd.add("extra_forbidden", "Extra inputs are not permitted", val, string(key))
			return
		}
		vd.check(k, val, string(key))
	})
	for _, req := range [...]string{"model", "messages"} {
		if obj.Get(req) == nil {
			vd.add("missing", "Field required", v, req)
		}
	}
	if len(vd.details) > 0 {
		return nil, vd.details
	}
	r := &request{model: string(v.GetStringBytes("model")), stream: v.GetBool("stream")}
	vd.messages(v.GetArray("messages"), &r.conv)
	vd.options(v, &r.conv)
	if len(vd.details) > 0 {
		return nil, vd.details
	}
	return r, nil
}

// check type-checks one top-level field.
func (vd *validator) check(k kind, val *fastjson.Value, key string) {
	t := val.Type()
	if t == fastjson.TypeNull && k != kModel && k != kMessages {
		return
	}
	switch k {
	case kStr, kModel:
		if t != fastjson.TypeString {
			vd.add("string_type", "Input should be a valid string", val, key)
		}
	case kNum:
		if t != fastjson.TypeNumber {
			vd.add("float_type", "Input should be a valid number", val, key)
		}
	case kInt, kNonNeg, kPositive:
		vd.checkInt(k, val, key)
	case kBool:
		if t != fastjson.TypeTrue && t != fastjson.TypeFalse {
			vd.add("bool_type", "Input should be a valid boolean", val, key)
		}
	case kObj:
		if t != fastjson.TypeObject {
			vd.add("dict_type", "Input should be a valid dictionary", val, key)
		}
	case kList, kMessages:
		if t != fastjson.TypeArray {
			vd.add("list_type", "Input should be a valid list", val, key)
		} else if k == kMessages && len(val.GetArray()) == 0 {
			vd.add("too_short", "List should have at least 1 item after validation, not 0", val, key)
		}
	case kStop:
		vd.checkStop(val, key)
	case kStrOrObj:
		if t != fastjson.TypeString && t != fastjson.TypeObject {
			vd.add("string_type", "Input should be a valid string", val, key, "str")
			vd.add("dict_type", "Input should be a valid dictionary", val, key, "ToolChoice")
		}
	}
}

func (vd *validator) checkInt(k kind, val *fastjson.Value, key string) {
	if val.Type() != fastjson.TypeNumber {
		vd.add("int_type", "Input should be a valid integer", val, key)
		return
	}
	f, _ := val.Float64()
	if f != math.Trunc(f) {
		vd.add("int_from_float", "Input should be a valid integer, got a number with a fractional part", val, key)
		return
	}
	if k == kNonNeg && f < 0 {
		vd.add("greater_than_equal", "Input should be greater than or equal to 0", val, key)
	}
	if k == kPositive && f < 1 {
		vd.add("greater_than_equal", "Input should be greater than or equal to 1", val, key)
	}
}

func (vd *validator) checkStop(val *fastjson.Value, key string) {
	switch val.Type() {
	case fastjson.TypeString:
		return
	case fastjson.TypeArray:
		for i, e := range val.GetArray() {
			if e.Type() != fastjson.TypeString {
				vd.add("string_type", "Input should be a valid string", e, key, "list[str]", i)
			}
		}
	default:
		vd.add("string_type", "Input should be a valid string", val, key, "str")
		vd.add("list_type", "Input should be a valid list", val, key, "list[str]")
	}
}

// options reads tools, tool_choice, response_format and max_tokens.
func (vd *validator) options(v *fastjson.Value, c *emukit.Conversation) {
	c.MaxTokens = v.GetInt("max_tokens")
	c.N = v.GetInt("n")
	for _, t := range v.GetArray("tools") {
		fn := t.Get("function")
		tool := emukit.Tool{Name: string(fn.GetStringBytes("name")), Description: string(fn.GetStringBytes("description"))}
		if p := fn.Get("parameters"); p != nil {
			tool.Parameters = p.MarshalTo(nil)
		}
		c.Tools = append(c.Tools, tool)
	}
	switch tc := v.Get("tool_choice"); {
	case tc == nil || tc.Type() == fastjson.TypeNull:
	case tc.Type() == fastjson.TypeObject:
		c.ToolName = string(tc.GetStringBytes("function", "name"))
	default:
		switch s := string(tc.GetStringBytes()); s {
		case "auto", "none":
			c.ToolChoice = s
		case "any", "required":
			c.ToolChoice = emukit.ChoiceRequired
		default:
			vd.add("enum", "Input should be 'auto', 'none', 'any' or 'required'", tc, "tool_choice", "str")
		}
	}
	switch string(v.GetStringBytes("response_format", "type")) {
	case "json_object":
		c.JSON = true
	case "json_schema":
		c.JSON = true
		if s := v.Get("response_format", "json_schema", "schema"); s != nil {
			c.Schema = s.MarshalTo(nil)
		}
	}
}

// knownRole reports the message roles Mistral accepts (its discriminator tags).
func knownRole(role string) bool {
	return role == "system" || role == "user" || role == "assistant" || role == "tool"
}

// messages validates each message and flattens it into c.
func (vd *validator) messages(msgs []*fastjson.Value, c *emukit.Conversation) {
	c.Messages = make([]emukit.Message, 0, len(msgs))
	for i, m := range msgs {
		if m.Type() != fastjson.TypeObject {
			vd.add("model_attributes_type", "Input should be a valid dictionary or object to extract fields from", m, "messages", i)
			continue
		}
		rv := m.Get("role")
		if rv == nil {
			vd.add("union_tag_not_found", "Unable to extract tag using discriminator 'role'", m, "messages", i)
			continue
		}
		role := string(rv.GetStringBytes())
		if !knownRole(role) {
			vd.add("union_tag_invalid", "Input tag '"+tagString(rv)+"' found using 'role' does not match any of the expected tags: 'system', 'user', 'assistant', 'tool'", m, "messages", i)
			continue
		}
		msg := emukit.Message{Role: role, Text: vd.content(m.Get("content"), i, role)}
		if id := m.Get("tool_call_id"); id != nil && id.Type() != fastjson.TypeNull {
			if id.Type() != fastjson.TypeString {
				vd.add("string_type", "Input should be a valid string", id, "messages", i, role, "tool_call_id")
			}
			msg.ToolCallID = string(id.GetStringBytes())
		}
		msg.ToolCalls = vd.toolCalls(m.Get("tool_calls"), i)
		if m.GetBool("prefix") {
			if role != "assistant" || i != len(msgs)-1 {
				c.Prefix, c.HasPrefix = "\x00misplaced", false
				c.Messages = append(c.Messages, msg)
				continue
			}
			// Mistral: "force the model to start its answer by the
			// content of the message"; only the last, an assistant's.
			c.Prefix, c.HasPrefix = msg.Text, true
			continue
		}
		c.Messages = append(c.Messages, msg)
	}
}

func tagString(v *fastjson.Value) string {
	if v.Type() == fastjson.TypeString {
		return string(v.GetStringBytes())
	}
	return string(v.MarshalTo(nil))
}

// content flattens string or chunk-array content into its text.
func (vd *validator) content(v *fastjson.Value, i int, role string) string {
	if v == nil {
		return ""
	}
	switch v.Type() {
	case fastjson.TypeNull:
		return ""
	case fastjson.TypeString:
		return string(v.GetStringBytes())
	case fastjson.TypeArray:
		var text []byte
		for _, part := range v.GetArray() {
			if string(part.GetStringBytes("type")) == "text" {
				if len(text) > 0 {
					text = append(text, ' ')
				}
				text = append(text, part.GetStringBytes("text")...)
			}
		}
		return string(text)
	}
	vd.add("string_type", "Input should be a valid string", v, "messages", i, role, "content", "str")
	vd.add("list_type", "Input should be a valid list", v, "messages", i, role, "content", "list[ContentChunk]")
	return ""
}

func (vd *validator) toolCalls(v *fastjson.Value, i int) []emukit.ToolCall {
	if v == nil || v.Type() == fastjson.TypeNull {
		return nil
	}
	if v.Type() != fastjson.TypeArray {
		vd.add("list_type", "Input should be a valid list", v, "messages", i, "assistant", "tool_calls")
		return nil
	}
	calls := make([]emukit.ToolCall, 0, len(v.GetArray()))
	for _, tc := range v.GetArray() {
		args := tc.Get("function", "arguments")
		call := emukit.ToolCall{ID: string(tc.GetStringBytes("id")), Name: string(tc.GetStringBytes("function", "name"))}
		if args != nil && args.Type() == fastjson.TypeString {
			call.Arguments = string(args.GetStringBytes())
		} else if args != nil {
			call.Arguments = string(args.MarshalTo(nil)) // Mistral also takes arguments as an object
		}
		calls = append(calls, call)
	}
	return calls
}

// badToolCallID returns the first tool-call id in the conversation that is
// not 9 characters of [a-zA-Z0-9].
func badToolCallID(c *emukit.Conversation) (string, bool) {
	for _, m := range c.Messages {
		for _, tc := range m.ToolCalls {
			if !validID(tc.ID) {
				return tc.ID, true
			}
		}
		if m.Role == "tool" && m.ToolCallID != "" && !validID(m.ToolCallID) {
			return m.ToolCallID, true
		}
	}
	return "", false
}

func validID(id string) bool {
	if len(id) != 9 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// itoa is strconv.Itoa, named for the response builders' brevity.
func itoa(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

// prefixProblem reports why an assistant prefix is refused: misplaced (not
// the last message, or not an assistant's), or refused outright.
func prefixProblem(r *request, refuse bool) (string, bool) {
	c := &r.conv
	if !c.HasPrefix && c.Prefix == "\x00misplaced" {
		return "Prefix is only allowed on the last message, which must be an assistant message", true
	}
	if c.HasPrefix && refuse {
		return "Assistant message prefix is not supported by this deployment", true
	}
	return "", false
}
