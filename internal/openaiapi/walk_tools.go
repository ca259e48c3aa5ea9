package openaiapi

import (
	"encoding/json"

	"github.com/valyala/fastjson"

	"github.com/windrose-gw/windrose/internal/llm"
)

// toolCall reads {"id","type":"function","function":{"name","arguments"}}.
func (w *walker) toolCall(c *llm.ToolCall, v *fastjson.Value) error {
	if v.Type() != fastjson.TypeObject {
		return typeError("an object", kind(v))
	}
	var typ string
	var hasFunction bool
	err := w.members(v, "", func(key []byte, v *fastjson.Value) (err error) {
		switch string(key) {
		case "id":
			c.ID, err = w.optString(v)
		case "type":
			typ, err = w.optString(v)
		case "function":
			hasFunction = v.Type() != fastjson.TypeNull
			err = w.members(v, "an object", func(key []byte, v *fastjson.Value) (err error) {
				switch string(key) {
				case "name":
					c.Name, err = w.optString(v)
				case "arguments":
					c.Arguments, err = w.optString(v)
				default:
					err = w.skip(key)
				}
				return err
			})
		default:
			err = w.skip(key)
		}
		return err
	})
	switch {
	case err != nil:
		return err
	case typ != "" && typ != "function":
		return invalid("type", "unsupported tool call type '%s'; expected 'function'", typ)
	case c.ID == "":
		return missing("id")
	case !hasFunction:
		return missing("function")
	case c.Name == "":
		return missing("function.name")
	}
	return nil
}

// tool reads {"type":"function","function":{"name","description","parameters","strict"}}.
func (w *walker) tool(t *llm.Tool, v *fastjson.Value) error {
	if v.Type() != fastjson.TypeObject {
		return typeError("an object", kind(v))
	}
	var typ string
	var hasFunction bool
	err := w.members(v, "", func(key []byte, v *fastjson.Value) (err error) {
		switch string(key) {
		case "type":
			typ, err = w.optString(v)
		case "function":
			hasFunction = v.Type() != fastjson.TypeNull
			err = w.function(t, v)
		default:
			err = w.skip(key)
		}
		return err
	})
	switch {
	case err != nil:
		return err
	case typ != "" && typ != "function":
		return invalid("type", "unsupported tool type '%s'; expected 'function'", typ)
	case !hasFunction:
		return missing("function")
	case t.Name == "":
		return missing("function.name")
	}
	return nil
}

// function reads a function declaration: {"name","description","parameters","strict"}.
func (w *walker) function(t *llm.Tool, v *fastjson.Value) error {
	return w.members(v, "an object", func(key []byte, v *fastjson.Value) (err error) {
		switch string(key) {
		case "name":
			t.Name, err = w.optString(v)
		case "description":
			t.Description, err = w.optString(v)
		case "parameters":
			t.Parameters, err = w.optObject(key, v)
		case "strict":
			t.Strict, err = optBoolOf(v)
		default:
			err = w.skip(key)
		}
		return err
	})
}

// optObject reads the optional object after key verbatim (a JSON Schema).
func (w *walker) optObject(key []byte, v *fastjson.Value) (json.RawMessage, error) {
	switch v.Type() {
	case fastjson.TypeNull:
		return nil, nil
	case fastjson.TypeObject:
		return w.raw(key)
	}
	return nil, typeError("an object", kind(v))
}

// toolChoice reads "auto"|"none"|"required" or {"type":"function","function":{"name"}}.
func (w *walker) toolChoice(v *fastjson.Value) (*llm.ToolChoice, error) {
	switch v.Type() {
	case fastjson.TypeString:
		s, err := w.text(v)
		if err != nil {
			return nil, err
		}
		switch m := llm.ToolChoiceMode(s); m {
		case llm.ToolChoiceAuto, llm.ToolChoiceNone, llm.ToolChoiceRequired:
			return &llm.ToolChoice{Mode: m}, nil
		}
		return nil, invalid("", "unsupported tool_choice '%s'; expected 'auto', 'none', 'required' or an object naming a function", s)
	case fastjson.TypeObject:
		return w.namedToolChoice(v)
	case fastjson.TypeNull:
		return nil, nil
	}
	return nil, typeError("a string or an object", kind(v))
}

// namedToolChoice reads the object form of tool_choice.
func (w *walker) namedToolChoice(v *fastjson.Value) (*llm.ToolChoice, error) {
	var typ string
	tc := &llm.ToolChoice{Mode: llm.ToolChoiceFunction}
	err := w.members(v, "", func(key []byte, v *fastjson.Value) (err error) {
		switch string(key) {
		case "type":
			typ, err = w.optString(v)
		case "function":
			err = w.functionName(&tc.Name, v)
		default:
			err = w.skip(key)
		}
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case typ == "":
		return nil, missing("type")
	case typ != "function":
		return nil, invalid("type", "unsupported tool_choice type '%s'; expected 'function'", typ)
	case tc.Name == "":
		return nil, missing("function.name")
	}
	return tc, nil
}

// functionName reads the name of an optional {"name": …} object.
func (w *walker) functionName(name *string, v *fastjson.Value) error {
	return w.members(v, "an object", func(key []byte, v *fastjson.Value) (err error) {
		if string(key) != "name" {
			return w.skip(key)
		}
		*name, err = w.optString(v)
		return err
	})
}

// responseFormat reads {"type":"text"|"json_object"|"json_schema","json_schema":{…}}.
func (w *walker) responseFormat(v *fastjson.Value) (*llm.ResponseFormat, error) {
	if v.Type() == fastjson.TypeNull {
		return nil, nil
	}
	var typ string
	var schema llm.ResponseFormat
	var hasSchema bool
	err := w.members(v, "an object", func(key []byte, v *fastjson.Value) (err error) {
		switch string(key) {
		case "type":
			typ, err = w.optString(v)
		case "json_schema":
			hasSchema = v.Type() != fastjson.TypeNull
			schema = llm.ResponseFormat{}
			err = w.members(v, "an object", func(key []byte, v *fastjson.Value) (err error) {
				switch string(key) {
				case "name":
					schema.Name, err = w.optString(v)
				case "description":
					schema.Description, err = w.optString(v)
				case "schema":
					schema.Schema, err = w.optObject(key, v)
				case "strict":
					schema.Strict, err = optBoolOf(v)
				default:
					err = w.skip(key)
				}
				return err
			})
		default:
			err = w.skip(key)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return finishFormat(typ, &schema, hasSchema)
}

// finishFormat checks the response_format once all members are read.
func finishFormat(typ string, schema *llm.ResponseFormat, hasSchema bool) (*llm.ResponseFormat, error) {
	switch t := llm.ResponseFormatType(typ); t {
	case llm.FormatText, llm.FormatJSONObject:
		return &llm.ResponseFormat{Type: t}, nil
	case llm.FormatJSONSchema:
		if !hasSchema {
			return nil, missing("json_schema")
		}
		if schema.Name == "" {
			return nil, missing("json_schema.name")
		}
		schema.Type = t
		return schema, nil
	case "":
		return nil, missing("type")
	}
	return nil, invalid("type", "unsupported response_format type '%s'; expected 'text', 'json_object' or 'json_schema'", typ)
}

// Legacy function calling: old SDK code still sends "functions" and
// "function_call" (deprecated by OpenAI in favour of tools and
// tool_choice). They decode onto the same neutral tools, so every adapter
// serves them; "tools" and "tool_choice" win when both are sent.

// legacyFunction reads one "functions" entry: {"name","description","parameters"}.
func (w *walker) legacyFunction(t *llm.Tool, v *fastjson.Value) error {
	if v.Type() != fastjson.TypeObject {
		return typeError("an object", kind(v))
	}
	if err := w.function(t, v); err != nil {
		return err
	}
	t.Strict = nil // not part of the legacy shape
	if t.Name == "" {
		return missing("name")
	}
	return nil
}

// functionCall reads "function_call": "auto" | "none" | {"name": …}.
func (w *walker) functionCall(v *fastjson.Value) (*llm.ToolChoice, error) {
	switch v.Type() {
	case fastjson.TypeString:
		s, err := w.text(v)
		if err != nil {
			return nil, err
		}
		switch m := llm.ToolChoiceMode(s); m {
		case llm.ToolChoiceAuto, llm.ToolChoiceNone:
			return &llm.ToolChoice{Mode: m}, nil
		}
		return nil, invalid("", "unsupported function_call '%s'; expected 'auto', 'none' or {\"name\": …}", s)
	case fastjson.TypeObject:
		c := &llm.ToolChoice{Mode: llm.ToolChoiceFunction}
		if err := w.functionName(&c.Name, v); err != nil {
			return nil, err
		}
		if c.Name == "" {
			return nil, missing("name")
		}
		return c, nil
	case fastjson.TypeNull:
		return nil, nil
	}
	return nil, typeError("a string or an object", kind(v))
}
