package openaiapi

import (
	"encoding/json"

	"github.com/windrose-gw/windrose/internal/llm"
)

// toolCalls reads an assistant message's tool_calls.
func (d *decoder) toolCalls() ([]llm.ToolCall, error) {
	return arrayOf(d, []llm.ToolCall(nil), d.toolCall)
}

// toolCall reads {"id","type":"function","function":{"name","arguments"}}.
func (d *decoder) toolCall(c *llm.ToolCall) error {
	if d.ws() != '{' {
		return typeError("an object", d.kind())
	}
	var typ string
	var hasFunction bool
	err := d.object(func(key string) (err error) {
		switch key {
		case "id":
			c.ID, err = d.string()
		case "type":
			typ, err = d.string()
		case "function":
			hasFunction = d.ws() != 'n'
			err = d.callFunction(c)
		default:
			_, _, err = d.skip(0)
		}
		return at(err, key)
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

// toolFunction reads a tool's {"name","description","parameters","strict"}
// into t: a tool's "function" and a legacy "functions" entry have the same
// shape (a legacy entry's "strict" is taken too: the tool it becomes has it).
func (d *decoder) toolFunction(t *llm.Tool) error {
	return d.function(func(key string) (err error) {
		switch key {
		case "name":
			t.Name, err = d.string()
		case "description":
			t.Description, err = d.string()
		case "parameters":
			t.Parameters, err = d.optObject()
		case "strict":
			t.Strict, err = d.optBool()
		default:
			_, _, err = d.skip(0)
		}
		return err
	})
}

// callFunction reads a call's {"name","arguments"} into c: a tool call's
// "function" and a legacy message's "function_call" have the same shape.
func (d *decoder) callFunction(c *llm.ToolCall) error {
	return d.function(func(key string) (err error) {
		switch key {
		case "name":
			c.Name, err = d.string()
		case "arguments":
			c.Arguments, err = d.string()
		default:
			_, _, err = d.skip(0)
		}
		return err
	})
}

// function reads an optional object, handing each member to member and
// prefixing field errors with the member's key.
func (d *decoder) function(member func(key string) error) error {
	if d.null() {
		return nil
	}
	if d.ws() != '{' {
		return typeError("an object", d.kind())
	}
	return d.object(func(key string) error { return at(member(key), key) })
}

// tools reads the tools array; an empty one reads as absent.
func (d *decoder) tools() ([]llm.Tool, error) {
	return arrayOf(d, []llm.Tool(nil), d.tool)
}

// tool reads {"type":"function","function":{"name","description","parameters","strict"}}.
func (d *decoder) tool(t *llm.Tool) error {
	if d.ws() != '{' {
		return typeError("an object", d.kind())
	}
	var typ string
	var hasFunction bool
	err := d.object(func(key string) (err error) {
		switch key {
		case "type":
			typ, err = d.string()
		case "function":
			hasFunction = d.ws() != 'n'
			err = d.toolFunction(t)
		default:
			_, _, err = d.skip(0)
		}
		return at(err, key)
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

// optObject reads an optional object verbatim (a JSON Schema).
func (d *decoder) optObject() (json.RawMessage, error) {
	if d.null() {
		return nil, nil
	}
	if d.ws() != '{' {
		return nil, typeError("an object", d.kind())
	}
	return d.rawValue()
}

// toolChoice reads "auto"|"none"|"required" or {"type":"function","function":{"name"}}.
func (d *decoder) toolChoice() (*llm.ToolChoice, error) {
	switch d.ws() {
	case '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		switch m := llm.ToolChoiceMode(s); m {
		case llm.ToolChoiceAuto, llm.ToolChoiceNone, llm.ToolChoiceRequired:
			return &llm.ToolChoice{Mode: m}, nil
		}
		return nil, invalid("", "unsupported tool_choice '%s'; expected 'auto', 'none', 'required' or an object naming a function", s)
	case '{':
		return d.namedToolChoice()
	}
	if d.null() {
		return nil, nil
	}
	return nil, typeError("a string or an object", d.kind())
}

// namedToolChoice reads the object form of tool_choice.
func (d *decoder) namedToolChoice() (*llm.ToolChoice, error) {
	var typ string
	tc := &llm.ToolChoice{Mode: llm.ToolChoiceFunction}
	err := d.object(func(key string) (err error) {
		switch key {
		case "type":
			typ, err = d.string()
		case "function":
			err = d.function(func(key string) (err error) {
				if key == "name" {
					tc.Name, err = d.string()
					return err
				}
				_, _, err = d.skip(0)
				return err
			})
		default:
			_, _, err = d.skip(0)
		}
		return at(err, key)
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

// responseFormat reads {"type":"text"|"json_object"|"json_schema","json_schema":{…}}.
func (d *decoder) responseFormat() (*llm.ResponseFormat, error) {
	if d.null() {
		return nil, nil
	}
	if d.ws() != '{' {
		return nil, typeError("an object", d.kind())
	}
	var typ string
	var schema llm.ResponseFormat
	var hasSchema bool
	err := d.object(func(key string) (err error) {
		switch key {
		case "type":
			typ, err = d.string()
		case "json_schema":
			hasSchema = d.ws() != 'n'
			schema = llm.ResponseFormat{}
			err = d.function(func(key string) (err error) {
				switch key {
				case "name":
					schema.Name, err = d.string()
				case "description":
					schema.Description, err = d.string()
				case "schema":
					schema.Schema, err = d.optObject()
				case "strict":
					schema.Strict, err = d.optBool()
				default:
					_, _, err = d.skip(0)
				}
				return err
			})
		default:
			_, _, err = d.skip(0)
		}
		return at(err, key)
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
