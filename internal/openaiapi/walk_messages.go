package openaiapi

import (
	"github.com/valyala/fastjson"

	"github.com/windrose-gw/windrose/internal/llm"
)

// messageFields are members checked once the whole message is read.
type messageFields struct {
	role       string
	toolCallID string
	hasContent bool
}

// message reads one message object.
func (w *walker) message(m *llm.Message, v *fastjson.Value) error {
	if v.Type() != fastjson.TypeObject {
		return typeError("an object", kind(v))
	}
	var mf messageFields
	err := w.members(v, "", func(key []byte, v *fastjson.Value) (err error) {
		switch string(key) {
		case "role":
			mf.role, err = w.optString(v)
		case "content":
			mf.hasContent, err = w.content(m, v)
		case "name":
			m.Name, err = w.optString(v)
		case "tool_calls":
			m.ToolCalls, err = arrayOf(v, w.toolCall)
		case "tool_call_id":
			mf.toolCallID, err = w.optString(v)
		default:
			// refusal, audio, function_call and future members are not
			// modelled; dropping them is what every adapter would do.
			err = w.skip(key)
		}
		return err
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
func (w *walker) content(m *llm.Message, v *fastjson.Value) (bool, error) {
	m.Content, m.Parts = "", nil
	switch v.Type() {
	case fastjson.TypeString:
		s, err := w.text(v)
		m.Content = s
		return true, err
	case fastjson.TypeArray:
		parts, err := arrayOf(v, w.part)
		if err == nil && len(parts) == 0 {
			return false, invalid("", "empty array; expected at least one content part")
		}
		m.Parts = parts
		return true, err
	case fastjson.TypeNull:
		return false, nil
	}
	return false, typeError("a string or an array of content parts", kind(v))
}

// part reads one content part. Only the members of its own type are kept,
// so a re-encoded part says exactly what it said.
func (w *walker) part(p *llm.Part, v *fastjson.Value) error {
	if v.Type() != fastjson.TypeObject {
		return typeError("an object", kind(v))
	}
	var typ string
	var hasText, hasImage bool
	err := w.members(v, "", func(key []byte, v *fastjson.Value) (err error) {
		switch string(key) {
		case "type":
			typ, err = w.optString(v)
		case "text":
			hasText = v.Type() != fastjson.TypeNull
			p.Text, err = w.optString(v)
		case "image_url":
			hasImage = v.Type() != fastjson.TypeNull
			err = w.imageURL(p, v)
		default:
			err = w.skip(key)
		}
		return err
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
func (w *walker) imageURL(p *llm.Part, v *fastjson.Value) error {
	if v.Type() == fastjson.TypeNull {
		return nil
	}
	p.ImageURL, p.Detail = "", ""
	err := w.members(v, "an object", func(key []byte, v *fastjson.Value) (err error) {
		switch string(key) {
		case "url":
			p.ImageURL, err = w.optString(v)
		case "detail":
			p.Detail, err = w.optString(v)
		default:
			err = w.skip(key)
		}
		return err
	})
	switch {
	case err != nil:
		return err
	case p.ImageURL == "":
		return missing("url")
	}
	return at(Detail(p.Detail), "detail")
}
