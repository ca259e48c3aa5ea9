package openaiapi

import (
	"github.com/windrose-gw/windrose/internal/llm"
)

// messages reads the messages array. An empty array returns a non-nil empty
// slice so the caller can tell it from an absent field.
func (d *decoder) messages() ([]llm.Message, error) {
	return arrayOf(d, make([]llm.Message, 0, 4), d.message)
}

// messageFields are members checked once the whole message is read.
type messageFields struct {
	role       string
	toolCallID string
	hasContent bool
}

// message reads one message object.
func (d *decoder) message(m *llm.Message) error {
	if d.ws() != '{' {
		return typeError("an object", d.kind())
	}
	var mf messageFields
	err := d.object(func(key string) (err error) {
		switch key {
		case "role":
			mf.role, err = d.string()
		case "content":
			mf.hasContent, err = d.content(m)
		case "name":
			m.Name, err = d.string()
		case "tool_calls":
			m.ToolCalls, err = d.toolCalls()
		case "tool_call_id":
			mf.toolCallID, err = d.string()
		default:
			// refusal, audio, function_call and future members are not
			// modelled; dropping them is what every adapter would do.
			_, _, err = d.skip(0)
		}
		return at(err, key)
	})
	if err != nil {
		return err
	}
	return mf.check(m)
}

// check applies the per-role rules OpenAI enforces.
func (mf *messageFields) check(m *llm.Message) error {
	switch llm.Role(mf.role) {
	case llm.RoleSystem, llm.RoleDeveloper, llm.RoleUser, llm.RoleAssistant, llm.RoleTool:
		m.Role = llm.Role(mf.role)
	case "":
		return missing("role")
	default:
		return invalid("role", "unsupported role '%s'; expected one of 'system', 'developer', 'user', 'assistant', 'tool'", mf.role)
	}
	if m.Role != llm.RoleAssistant {
		// Only an assistant turn may omit content (when it calls tools).
		if !mf.hasContent {
			return missing("content")
		}
		if len(m.ToolCalls) > 0 {
			return invalid("tool_calls", "only assistant messages may contain tool_calls")
		}
	}
	if m.Role == llm.RoleTool {
		if mf.toolCallID == "" {
			return missing("tool_call_id")
		}
		m.ToolCallID = mf.toolCallID
	}
	return nil
}

// content reads string or array content; a null leaves both unset.
func (d *decoder) content(m *llm.Message) (bool, error) {
	m.Content, m.Parts = "", nil
	switch d.ws() {
	case '"':
		s, err := d.str()
		m.Content = s
		return true, err
	case '[':
		parts, err := d.parts()
		if err == nil && len(parts) == 0 {
			return false, invalid("", "empty array; expected at least one content part")
		}
		m.Parts = parts
		return true, err
	}
	if d.null() {
		return false, nil
	}
	return false, typeError("a string or an array of content parts", d.kind())
}

// parts reads array-form content.
func (d *decoder) parts() ([]llm.Part, error) {
	return elems(d, []llm.Part(nil), d.part)
}

// part reads one content part. Only the members of its own type are kept,
// so a re-encoded part says exactly what it said.
func (d *decoder) part(p *llm.Part) error {
	if d.ws() != '{' {
		return typeError("an object", d.kind())
	}
	var typ string
	var hasText, hasImage bool
	err := d.object(func(key string) (err error) {
		switch key {
		case "type":
			typ, err = d.string()
		case "text":
			hasText = d.ws() != 'n'
			p.Text, err = d.string()
		case "image_url":
			hasImage = d.ws() != 'n'
			err = d.imageURL(p)
		default:
			_, _, err = d.skip(0)
		}
		return at(err, key)
	})
	if err != nil {
		return err
	}
	switch llm.PartType(typ) {
	case llm.PartText:
		if !hasText {
			return missing("text")
		}
		p.ImageURL, p.Detail = "", ""
	case llm.PartImageURL:
		if !hasImage {
			return missing("image_url")
		}
		p.Text = ""
	case "":
		return missing("type")
	default:
		return invalid("type", "unsupported content part type '%s'; expected 'text' or 'image_url'", typ)
	}
	p.Type = llm.PartType(typ)
	return nil
}

// imageURL reads {"url","detail"}.
func (d *decoder) imageURL(p *llm.Part) error {
	if d.null() {
		return nil
	}
	if d.ws() != '{' {
		return typeError("an object", d.kind())
	}
	p.ImageURL, p.Detail = "", ""
	err := d.object(func(key string) (err error) {
		switch key {
		case "url":
			p.ImageURL, err = d.string()
		case "detail":
			p.Detail, err = d.string()
		default:
			_, _, err = d.skip(0)
		}
		return at(err, key)
	})
	switch {
	case err != nil:
		return err
	case p.ImageURL == "":
		return missing("url")
	}
	switch p.Detail {
	case "", "auto", "low", "high":
		return nil
	}
	return invalid("detail", "unsupported detail '%s'; expected 'auto', 'low' or 'high'", p.Detail)
}

// arrayOf reads an optional array (null reads as nil), decoding each
// element with elem and prefixing its errors with the element's index.
func arrayOf[T any](d *decoder, out []T, elem func(*T) error) ([]T, error) {
	if d.null() {
		return nil, nil
	}
	if d.ws() != '[' {
		return nil, typeError("an array", d.kind())
	}
	return elems(d, out, elem)
}

// elems reads the array at the cursor into out, element by element.
func elems[T any](d *decoder, out []T, elem func(*T) error) ([]T, error) {
	err := d.array(func(i int) error {
		var zero T
		out = append(out, zero)
		return atIndex(elem(&out[len(out)-1]), i)
	})
	return out, err
}
