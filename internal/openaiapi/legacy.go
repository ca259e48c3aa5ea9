package openaiapi

import "github.com/windrose-gw/windrose/internal/llm"

// Legacy function calling: old SDK code still sends "functions" and
// "function_call" (deprecated by OpenAI in favour of tools and
// tool_choice). They decode onto the same neutral tools, so every adapter
// serves them; "tools" and "tool_choice" win when both are sent.

// legacyFunction reads one "functions" entry: {"name","description","parameters"}.
func (d *decoder) legacyFunction(t *llm.Tool) error {
	if d.ws() != '{' {
		return typeError("an object", d.kind())
	}
	err := d.function(func(key string) (err error) {
		switch key {
		case "name":
			t.Name, err = d.string()
		case "description":
			t.Description, err = d.string()
		case "parameters":
			t.Parameters, err = d.optObject()
		default:
			_, _, err = d.skip(0)
		}
		return err
	})
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
