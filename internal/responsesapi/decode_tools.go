package responsesapi

import (
	"github.com/windrose-gw/windrose/internal/llm"
	oa "github.com/windrose-gw/windrose/internal/openaiapi"
)

// builtinTools are OpenAI's hosted tools. No deployment behind windrose
// runs them, so each is refused by name rather than silently dropped.
var builtinTools = map[string]bool{
	"web_search": true, "web_search_preview": true, "web_search_2025_08_26": true,
	"web_search_preview_2025_03_11": true, "file_search": true, "computer": true,
	"computer_use_preview": true, "computer_use": true, "code_interpreter": true,
	"image_generation": true, "mcp": true, "local_shell": true, "shell": true,
	"apply_patch": true, "custom": true, "tool_search": true,
}

// tools reads the tools array: function tools in the Responses shape
// {"type":"function","name","description","parameters","strict"}.
func (d *decoder) tools() ([]llm.Tool, error) {
	return oa.ArrayOf(d.Reader, []llm.Tool(nil), d.tool)
}

func (d *decoder) tool(t *llm.Tool) error {
	if d.Peek() != '{' {
		return oa.TypeError("an object", d.Kind())
	}
	var typ string
	err := d.Object(func(key string) (err error) {
		switch key {
		case "type":
			typ, err = d.String()
		case "name":
			t.Name, err = d.String()
		case "description":
			t.Description, err = d.String()
		case "parameters":
			t.Parameters, err = d.OptObject()
		case "strict":
			t.Strict, err = d.OptBool()
		default:
			err = d.Skip()
		}
		return oa.At(err, key)
	})
	switch {
	case err != nil:
		return err
	case typ == "":
		return oa.Missing("type")
	case builtinTools[typ]:
		return oa.Unsupported("type", "the built-in tool '%s' is not available: the models behind windrose run no hosted tools; declare a function tool instead", typ)
	case typ != "function":
		return oa.Invalid("type", "unsupported tool type '%s'; expected 'function'", typ)
	case t.Name == "":
		return oa.Missing("name")
	}
	return nil
}

// toolChoice reads "auto" | "none" | "required" or {"type":"function","name"}.
func (d *decoder) toolChoice() (*llm.ToolChoice, error) {
	switch d.Peek() {
	case '"':
		s, err := d.String()
		if err != nil {
			return nil, err
		}
		switch m := llm.ToolChoiceMode(s); m {
		case llm.ToolChoiceAuto, llm.ToolChoiceNone, llm.ToolChoiceRequired:
			return &llm.ToolChoice{Mode: m}, nil
		}
		return nil, oa.Invalid("", "unsupported tool_choice '%s'; expected 'auto', 'none', 'required' or an object naming a function", s)
	case '{':
		return d.namedToolChoice()
	}
	if d.Null() {
		return nil, nil
	}
	return nil, oa.TypeError("a string or an object", d.Kind())
}

func (d *decoder) namedToolChoice() (*llm.ToolChoice, error) {
	var typ string
	tc := &llm.ToolChoice{Mode: llm.ToolChoiceFunction}
	err := d.Object(func(key string) (err error) {
		switch key {
		case "type":
			typ, err = d.String()
		case "name":
			tc.Name, err = d.String()
		default:
			err = d.Skip()
		}
		return oa.At(err, key)
	})
	switch {
	case err != nil:
		return nil, err
	case typ == "":
		return nil, oa.Missing("type")
	case builtinTools[typ]:
		return nil, oa.Unsupported("type", "the built-in tool '%s' is not available behind windrose", typ)
	case typ != "function":
		return nil, oa.Invalid("type", "unsupported tool_choice type '%s'; expected 'function'", typ)
	case tc.Name == "":
		return nil, oa.Missing("name")
	}
	return tc, nil
}

// text reads {"format":{…},"verbosity":…}; only format is modelled.
func (d *decoder) text() (*llm.ResponseFormat, error) {
	if d.Null() {
		return nil, nil
	}
	if d.Peek() != '{' {
		return nil, oa.TypeError("an object", d.Kind())
	}
	var rf *llm.ResponseFormat
	err := d.Object(func(key string) (err error) {
		switch key {
		case "format":
			rf, err = d.format()
		case "verbosity":
			var s string
			if s, err = d.String(); err == nil && s != "" && s != "medium" {
				err = oa.Unsupported("", "verbosity '%s' is not supported by the models behind windrose; leave it out", s)
			}
		default:
			err = d.Skip()
		}
		return oa.At(err, key)
	})
	return rf, err
}

// format reads text.format: {"type":"text"} | {"type":"json_object"} |
// {"type":"json_schema","name","schema","description","strict"}.
func (d *decoder) format() (*llm.ResponseFormat, error) {
	if d.Null() {
		return nil, nil
	}
	if d.Peek() != '{' {
		return nil, oa.TypeError("an object", d.Kind())
	}
	var typ string
	var rf llm.ResponseFormat
	err := d.Object(func(key string) (err error) {
		switch key {
		case "type":
			typ, err = d.String()
		case "name":
			rf.Name, err = d.String()
		case "description":
			rf.Description, err = d.String()
		case "schema":
			rf.Schema, err = d.OptObject()
		case "strict":
			rf.Strict, err = d.OptBool()
		default:
			err = d.Skip()
		}
		return oa.At(err, key)
	})
	if err != nil {
		return nil, err
	}
	switch t := llm.ResponseFormatType(typ); t {
	case llm.FormatText, llm.FormatJSONObject:
		return &llm.ResponseFormat{Type: t}, nil
	case llm.FormatJSONSchema:
		switch {
		case rf.Name == "":
			return nil, oa.Missing("name")
		case len(rf.Schema) == 0:
			return nil, oa.Missing("schema")
		}
		rf.Type = t
		return &rf, nil
	case "":
		return nil, oa.Missing("type")
	}
	return nil, oa.Invalid("type", "unsupported text.format type '%s'; expected 'text', 'json_object' or 'json_schema'", typ)
}
