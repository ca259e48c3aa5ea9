package responsesapi

import (
	"slices"

	"github.com/windrose-gw/windrose/internal/llm"
	oa "github.com/windrose-gw/windrose/internal/openaiapi"
)

// appendEcho writes the request parameters a response object repeats.
func appendEcho(dst []byte, req *Request, stored bool) []byte {
	if req == nil {
		req = &Request{Chat: &llm.ChatRequest{}}
	}
	c := req.Chat
	dst = append(dst, `,"instructions":`...)
	dst = appendStringOrNull(dst, req.Instructions)
	dst = append(dst, `,"max_output_tokens":`...)
	if c.MaxTokens != nil {
		dst = oa.AppendInt(dst, int64(*c.MaxTokens))
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"parallel_tool_calls":`...)
	dst = appendBool(dst, c.ParallelToolCalls == nil || *c.ParallelToolCalls)
	dst = append(dst, `,"previous_response_id":`...)
	dst = appendStringOrNull(dst, req.PreviousResponseID)
	dst = append(dst, `,"reasoning":{"effort":null,"summary":null},"store":`...)
	dst = appendBool(dst, stored)
	dst = append(dst, `,"temperature":`...)
	dst = appendOptFloat(dst, c.Temperature)
	dst = append(dst, `,"text":{"format":`...)
	dst = appendFormat(dst, c.ResponseFormat)
	dst = append(dst, `},"tool_choice":`...)
	dst = appendToolChoice(dst, c.ToolChoice)
	dst = append(dst, `,"tools":`...)
	dst = appendTools(dst, c.Tools)
	dst = append(dst, `,"top_p":`...)
	dst = appendOptFloat(dst, c.TopP)
	dst = append(dst, `,"truncation":"disabled","user":`...)
	dst = appendStringOrNull(dst, c.User)
	dst = append(dst, `,"metadata":`...)
	return appendMetadata(dst, c.Metadata)
}

// appendFormat writes text.format ({"type":"text"} when unset).
func appendFormat(dst []byte, rf *llm.ResponseFormat) []byte {
	if rf == nil {
		return append(dst, `{"type":"text"}`...)
	}
	dst = append(dst, `{"type":`...)
	dst = oa.AppendString(dst, string(rf.Type))
	if rf.Type == llm.FormatJSONSchema {
		dst = append(dst, `,"name":`...)
		dst = oa.AppendString(dst, rf.Name)
		if rf.Description != "" {
			dst = append(dst, `,"description":`...)
			dst = oa.AppendString(dst, rf.Description)
		}
		dst = append(dst, `,"schema":`...)
		dst = append(dst, rf.Schema...)
		if rf.Strict != nil {
			dst = append(dst, `,"strict":`...)
			dst = appendBool(dst, *rf.Strict)
		}
	}
	return append(dst, '}')
}

// appendToolChoice writes tool_choice ("auto" when unset).
func appendToolChoice(dst []byte, tc *llm.ToolChoice) []byte {
	switch {
	case tc == nil:
		return append(dst, `"auto"`...)
	case tc.Mode == llm.ToolChoiceFunction:
		dst = append(dst, `{"type":"function","name":`...)
		dst = oa.AppendString(dst, tc.Name)
		return append(dst, '}')
	}
	return oa.AppendString(dst, string(tc.Mode))
}

// appendTools writes function tools in the Responses shape.
func appendTools(dst []byte, tools []llm.Tool) []byte {
	dst = append(dst, '[')
	for i := range tools {
		t := &tools[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"type":"function","name":`...)
		dst = oa.AppendString(dst, t.Name)
		dst = append(dst, `,"description":`...)
		dst = appendStringOrNull(dst, t.Description)
		dst = append(dst, `,"parameters":`...)
		if len(t.Parameters) > 0 {
			dst = append(dst, t.Parameters...)
		} else {
			dst = append(dst, "null"...)
		}
		dst = append(dst, `,"strict":`...)
		if t.Strict != nil {
			dst = appendBool(dst, *t.Strict)
		} else {
			dst = append(dst, "null"...)
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// AppendItems appends msgs as a Responses input item list: the inverse of
// the decoder's item reading, so a stored conversation reads back through
// the same strict decoder (DecodeItems).
func AppendItems(dst []byte, msgs []llm.Message) []byte {
	dst = append(dst, '[')
	first := true
	sep := func() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
	}
	for i := range msgs {
		m := &msgs[i]
		switch {
		case m.Role == llm.RoleTool:
			sep()
			dst = append(dst, `{"type":"function_call_output","call_id":`...)
			dst = oa.AppendString(dst, m.ToolCallID)
			dst = append(dst, `,"output":`...)
			dst = oa.AppendString(dst, m.Content)
			dst = append(dst, '}')
			continue
		case m.Content != "" || len(m.Parts) > 0 || len(m.ToolCalls) == 0:
			sep()
			dst = appendMessageItem(dst, m)
		}
		for _, c := range m.ToolCalls {
			sep()
			dst = append(dst, `{"type":"function_call","call_id":`...)
			dst = oa.AppendString(dst, c.ID)
			dst = append(dst, `,"name":`...)
			dst = oa.AppendString(dst, c.Name)
			dst = append(dst, `,"arguments":`...)
			dst = oa.AppendString(dst, c.Arguments)
			dst = append(dst, '}')
		}
	}
	return append(dst, ']')
}

// appendMessageItem writes a message item, its content in the form it came.
func appendMessageItem(dst []byte, m *llm.Message) []byte {
	text := partInputText
	if m.Role == llm.RoleAssistant {
		text = partOutputText
	}
	dst = append(dst, `{"type":"message","role":`...)
	dst = oa.AppendString(dst, string(m.Role))
	if len(m.Parts) == 0 {
		dst = append(dst, `,"content":`...)
		dst = oa.AppendString(dst, m.Content)
		return append(dst, '}')
	}
	dst = append(dst, `,"content":[`...)
	for i := range m.Parts {
		p := &m.Parts[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		if p.Type != llm.PartImageURL {
			dst = appendPart(dst, text, p.Text)
			continue
		}
		dst = append(dst, `{"type":"input_image","image_url":`...)
		dst = oa.AppendString(dst, p.ImageURL)
		if p.Detail != "" {
			dst = append(dst, `,"detail":`...)
			dst = oa.AppendString(dst, p.Detail)
		}
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}

func appendPart(dst []byte, typ, text string) []byte {
	dst = append(dst, `{"type":"`...)
	dst = append(dst, typ...)
	dst = append(dst, `","text":`...)
	dst = oa.AppendString(dst, text)
	return append(dst, '}')
}

// DecodeItems reads an item list written by AppendItems (or sent by a
// client) back into messages, with the request decoder's rules.
func DecodeItems(b []byte) ([]llm.Message, error) {
	d := decoder{oa.NewReader(b)}
	if d.Peek() != '[' {
		return nil, d.Done(oa.TypeError("an array of input items", d.Kind()))
	}
	msgs, err := d.items()
	if err == nil {
		err = d.End()
	}
	return msgs, d.Done(err)
}

func appendMetadata(dst []byte, m map[string]string) []byte {
	dst = append(dst, '{')
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = oa.AppendString(dst, k)
		dst = append(dst, ':')
		dst = oa.AppendString(dst, m[k])
	}
	return append(dst, '}')
}

func appendStringOrNull(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return oa.AppendString(dst, s)
}

func appendOptFloat(dst []byte, f *float64) []byte {
	if f == nil {
		return append(dst, "null"...)
	}
	return oa.AppendFloat(dst, *f)
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}
