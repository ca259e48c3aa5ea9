package responsesapi

import (
	"strings"

	"github.com/windrose-gw/windrose/internal/llm"
	oa "github.com/windrose-gw/windrose/internal/openaiapi"
)

// Input item types.
const (
	itemMessage     = "message"
	itemCall        = "function_call"
	itemCallOutput  = "function_call_output"
	partInputText   = "input_text"
	partOutputText  = "output_text"
	partInputImage  = "input_image"
	partRefusalText = "refusal"
)

// input reads input: a string (one user message) or an array of items.
func (d *decoder) input() ([]llm.Message, error) {
	switch d.Peek() {
	case '"':
		s, err := d.String()
		return []llm.Message{{Role: llm.RoleUser, Content: s}}, err
	case '[':
		return d.items()
	}
	if d.Null() {
		return nil, nil
	}
	return nil, oa.TypeError("a string or an array of input items", d.Kind())
}

// items reads an item list into messages. Consecutive function_call items
// join the assistant turn before them, as chat completions carries them:
// one assistant message with several tool_calls.
func (d *decoder) items() ([]llm.Message, error) {
	out := make([]llm.Message, 0, 4)
	err := d.Array(func(i int) error {
		var it item
		if err := d.item(&it); err != nil {
			return oa.AtIndex(err, i)
		}
		if it.typ != itemCall {
			out = append(out, it.msg)
			return nil
		}
		if n := len(out); n > 0 && out[n-1].Role == llm.RoleAssistant && out[n-1].ToolCallID == "" {
			out[n-1].ToolCalls = append(out[n-1].ToolCalls, it.call)
			return nil
		}
		out = append(out, llm.Message{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{it.call}})
		return nil
	})
	return out, err
}

// item is one decoded input item: a message, or a call to merge.
type item struct {
	typ        string
	role       string
	msg        llm.Message
	call       llm.ToolCall
	hasContent bool
	hasArgs    bool
	hasOutput  bool
}

func (d *decoder) item(it *item) error {
	if d.Peek() != '{' {
		return oa.TypeError("an object", d.Kind())
	}
	start := d.Mark()
	err := d.members(it)
	if err == nil {
		return it.check()
	}
	// A member failed: if the item is of a type windrose does not take,
	// that is the error to report, not the shape of a member that type
	// would have. The type may come after the failing member.
	typ := it.typ
	if typ == "" {
		d.Rewind(start)
		typ, _ = d.itemType()
	}
	if !knownItem(typ) {
		it.typ = typ
		return it.check()
	}
	return err
}

func knownItem(typ string) bool {
	return typ == "" || typ == itemMessage || typ == itemCall || typ == itemCallOutput
}

// itemType reads only the type member of the object at the cursor.
func (d *decoder) itemType() (typ string, err error) {
	err = d.Object(func(key string) (err error) {
		if key == "type" && d.Peek() == '"' {
			typ, err = d.String()
			return err
		}
		return d.Skip()
	})
	return typ, err
}

// members reads an item's members into it.
func (d *decoder) members(it *item) error {
	return d.Object(func(key string) (err error) {
		switch key {
		case "type":
			it.typ, err = d.String()
		case "role":
			it.role, err = d.String()
		case "content":
			it.hasContent = d.Peek() != 'n'
			err = d.content(&it.msg)
		case "call_id":
			it.call.ID, err = d.String()
		case "name":
			it.call.Name, err = d.String()
		case "arguments":
			it.hasArgs = d.Peek() != 'n'
			it.call.Arguments, err = d.String()
		case "output":
			it.hasOutput = d.Peek() != 'n'
			it.msg.Content, err = d.callOutput()
		default:
			// id, status and future members say nothing the model needs.
			err = d.Skip()
		}
		return oa.At(err, key)
	})
}

// check applies each item type's required members.
func (it *item) check() error {
	switch it.typ {
	case "", itemMessage:
		return it.checkMessage()
	case itemCall:
		switch {
		case it.call.ID == "":
			return oa.Missing("call_id")
		case it.call.Name == "":
			return oa.Missing("name")
		case !it.hasArgs:
			return oa.Missing("arguments")
		}
		return nil
	case itemCallOutput:
		switch {
		case it.call.ID == "":
			return oa.Missing("call_id")
		case !it.hasOutput:
			return oa.Missing("output")
		}
		it.msg.Role, it.msg.ToolCallID = llm.RoleTool, it.call.ID
		return nil
	case "reasoning":
		return oa.Invalid("type", "'reasoning' items are not supported: the models behind windrose do not expose reasoning")
	}
	return oa.Invalid("type", "unsupported input item type '%s'; windrose accepts 'message', 'function_call' and 'function_call_output' items", it.typ)
}

func (it *item) checkMessage() error {
	switch r := llm.Role(it.role); r {
	case llm.RoleUser, llm.RoleAssistant, llm.RoleSystem, llm.RoleDeveloper:
		it.msg.Role = r
	case "":
		return oa.Missing("role")
	default:
		return oa.Invalid("role", "unsupported role '%s'; expected one of 'user', 'assistant', 'system', 'developer'", it.role)
	}
	if !it.hasContent {
		return oa.Missing("content")
	}
	return nil
}

// content reads a message's content: a string or an array of parts.
func (d *decoder) content(m *llm.Message) error {
	m.Content, m.Parts = "", nil
	switch d.Peek() {
	case '"':
		s, err := d.String()
		m.Content = s
		return err
	case '[':
		parts, err := oa.ArrayOf(d.Reader, []llm.Part(nil), d.part)
		m.Parts = parts
		if err == nil && len(parts) == 0 {
			return oa.Invalid("", "empty array; expected at least one content part")
		}
		return err
	}
	if d.Null() {
		return nil
	}
	return oa.TypeError("a string or an array of content parts", d.Kind())
}

// part reads one content part: input_text, output_text (and refusal, kept
// as text: it is what the assistant said) or input_image.
func (d *decoder) part(p *llm.Part) error {
	if d.Peek() != '{' {
		return oa.TypeError("an object", d.Kind())
	}
	var typ string
	var hasText, hasImage, hasFile bool
	err := d.Object(func(key string) (err error) {
		switch key {
		case "type":
			typ, err = d.String()
		case "text", "refusal":
			hasText = d.Peek() != 'n'
			p.Text, err = d.String()
		case "image_url":
			hasImage = d.Peek() != 'n'
			p.ImageURL, err = d.String()
		case "detail":
			if p.Detail, err = d.String(); err == nil {
				err = oa.Detail(p.Detail)
			}
		case "file_id":
			hasFile = d.Peek() != 'n'
			err = d.Skip()
		default:
			err = d.Skip() // annotations, logprobs
		}
		return oa.At(err, key)
	})
	if err != nil {
		return err
	}
	return finishPart(p, typ, hasText, hasImage, hasFile)
}

func finishPart(p *llm.Part, typ string, hasText, hasImage, hasFile bool) error {
	switch typ {
	case partInputText, partOutputText, partRefusalText:
		if !hasText {
			if typ == partRefusalText {
				return oa.Missing("refusal")
			}
			return oa.Missing("text")
		}
		p.Type, p.ImageURL, p.Detail = llm.PartText, "", ""
		return nil
	case partInputImage:
		switch {
		case hasFile && !hasImage:
			return oa.Unsupported("file_id", "images by file_id are not supported: windrose has no Files API; send image_url (an https or data: URL)")
		case !hasImage || p.ImageURL == "":
			return oa.Missing("image_url")
		}
		p.Type, p.Text = llm.PartImageURL, ""
		return nil
	case "":
		return oa.Missing("type")
	}
	return oa.Invalid("type", "unsupported content part type '%s'; expected 'input_text', 'output_text' or 'input_image'", typ)
}

// callOutput reads a function_call_output's output: a string, or an array
// of input_text parts, joined.
func (d *decoder) callOutput() (string, error) {
	switch d.Peek() {
	case '"':
		return d.String()
	case '[':
		parts, err := oa.ArrayOf(d.Reader, []llm.Part(nil), d.part)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		for i := range parts {
			if parts[i].Type != llm.PartText {
				return "", oa.AtIndex(oa.Invalid("type", "only text parts are supported in a function_call_output"), i)
			}
			b.WriteString(parts[i].Text)
		}
		return b.String(), nil
	}
	if d.Null() {
		return "", nil
	}
	return "", oa.TypeError("a string or an array of content parts", d.Kind())
}
