package mistralwire

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/openaiapi"
)

// errNotEncodable is what json.Marshal of the wire struct used to fail on:
// a raw JSON member that is not JSON, or a number JSON cannot carry.
var errNotEncodable = errors.New("not valid JSON, or not a finite number")

// notEncodable names the member that cannot be encoded, for the logs; the
// client sees only the fixed message encode gives every such error.
func notEncodable(member string) error { return fmt.Errorf("%s: %w", member, errNotEncodable) }

// appendMessage writes one of Mistral's four message models. Name is only
// written on tool messages, tool_calls on any message that has them.
func appendMessage(dst []byte, m *llm.Message, ids *IDMap) ([]byte, error) {
	var toolCallID string
	switch m.Role {
	case llm.RoleDeveloper, llm.RoleSystem:
		dst = append(dst, `{"role":"system"`...)
	case llm.RoleUser, llm.RoleAssistant:
		dst = append(dst, `{"role":`...)
		dst = append(dst, '"')
		dst = append(dst, m.Role...)
		dst = append(dst, '"')
	case llm.RoleTool:
		dst = append(dst, `{"role":"tool"`...)
		// Rewritten before the message's own tool calls, as the ids of
		// every turn must come out the same (an empty id is hashed too).
		toolCallID = ids.Rewrite(m.ToolCallID)
	default:
		return dst, fmt.Errorf("unsupported role %q", m.Role)
	}
	dst = append(dst, `,"content":`...)
	switch {
	case len(m.Parts) > 0:
		var err error
		if dst, err = appendParts(dst, m.Parts); err != nil {
			return dst, err
		}
	case m.Role == llm.RoleAssistant && m.Content == "" && len(m.ToolCalls) > 0:
		// A tool-calling turn has no text; Mistral takes null content.
		dst = append(dst, "null"...)
	default:
		dst = openaiapi.AppendMarshalString(dst, m.Content)
	}
	for i := range m.ToolCalls {
		tc := &m.ToolCalls[i]
		if i == 0 {
			dst = append(dst, `,"tool_calls":[`...)
		} else {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":`...)
		dst = openaiapi.AppendMarshalString(dst, ids.Rewrite(tc.ID))
		dst = append(dst, `,"type":"function","function":{"name":`...)
		dst = openaiapi.AppendMarshalString(dst, tc.Name)
		dst = append(dst, `,"arguments":`...)
		dst = openaiapi.AppendMarshalString(dst, tc.Arguments)
		dst = append(dst, "}}"...)
		if i == len(m.ToolCalls)-1 {
			dst = append(dst, ']')
		}
	}
	if toolCallID != "" {
		dst = append(dst, `,"tool_call_id":`...)
		dst = openaiapi.AppendMarshalString(dst, toolCallID)
	}
	if m.Role == llm.RoleTool && m.Name != "" {
		dst = append(dst, `,"name":`...)
		dst = openaiapi.AppendMarshalString(dst, m.Name)
	}
	if m.Prefix && m.Role == llm.RoleAssistant {
		dst = append(dst, `,"prefix":true`...)
	}
	return append(dst, '}'), nil
}

// appendParts writes array-form content as Mistral's content chunks.
func appendParts(dst []byte, parts []llm.Part) ([]byte, error) {
	dst = append(dst, '[')
	for i := range parts {
		p := &parts[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		switch p.Type {
		case llm.PartText:
			dst = append(dst, `{"type":"text"`...)
			if p.Text != "" {
				dst = append(dst, `,"text":`...)
				dst = openaiapi.AppendMarshalString(dst, p.Text)
			}
			dst = append(dst, '}')
		case llm.PartImageURL:
			dst = append(dst, `{"type":"image_url","image_url":{"url":`...)
			dst = openaiapi.AppendMarshalString(dst, p.ImageURL)
			if p.Detail != "" {
				dst = append(dst, `,"detail":`...)
				dst = openaiapi.AppendMarshalString(dst, p.Detail)
			}
			dst = append(dst, "}}"...)
		default:
			return dst, fmt.Errorf("unsupported content part type %q", p.Type)
		}
	}
	return append(dst, ']'), nil
}

// appendMetadata writes m as an object in key order, as json.Marshal does.
func appendMetadata(dst []byte, m map[string]string) []byte {
	var buf [8]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = openaiapi.AppendMarshalString(dst, k)
		dst = append(dst, ':')
		dst = openaiapi.AppendMarshalString(dst, m[k])
	}
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendRaw writes raw as json.Marshal writes a json.RawMessage: null for
// nil, otherwise validated (false if it is not JSON), with whitespace
// between tokens dropped and, inside strings, '<', '>', '&', U+2028 and
// U+2029 escaped. Clients' schemas arrive verbatim, spaces and all
// (openaiapi keeps them as sent), so both steps are needed.
func appendRaw(dst, raw []byte) ([]byte, bool) {
	if raw == nil {
		return append(dst, "null"...), true
	}
	if !json.Valid(raw) {
		return dst, false
	}
	start, inString, escaped := 0, false, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if !inString {
			switch c {
			case '"':
				inString = true
			case ' ', '\t', '\n', '\r':
				dst = append(dst, raw[start:i]...)
				start = i + 1
			}
			continue
		}
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			inString = false
		case c == '<' || c == '>' || c == '&':
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			start = i + 1
		case c == 0xE2 && i+2 < len(raw) && raw[i+1] == 0x80 && raw[i+2]&^1 == 0xA8:
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[raw[i+2]&0xf])
			i += 2
			start = i + 1
		}
	}
	return append(dst, raw[start:]...), true
}

// appendOptFloat writes key and *f unless f is nil; false if *f is not
// finite.
func appendOptFloat(dst []byte, key string, f *float64) ([]byte, bool) {
	if f == nil {
		return dst, true
	}
	return appendFloat(append(dst, key...), *f)
}

// appendFloat writes f as json.Marshal does: the shortest form that reads
// back the same, in exponent form only below 1e-6 or from 1e21, with a
// one-digit negative exponent unpadded (1e-07 becomes 1e-7).
func appendFloat(dst []byte, f float64) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, false
	}
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, true
}

func appendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

func appendOptBool(dst []byte, key string, b *bool) []byte {
	if b == nil {
		return dst
	}
	return appendBool(append(dst, key...), *b)
}

// sizeHint estimates the encoded size of req, so the body is allocated once
// in the common case without holding much more than it needs: the text it
// copies plus about what the keys and punctuation around each piece take.
func sizeHint(req *llm.ChatRequest, model string) int {
	n := 128 + len(model) // {"model":…,"messages":[…],"stream":false} and a few knobs
	for i := range req.Messages {
		m := &req.Messages[i]
		n += 40 + len(m.Content) + len(m.Name)
		for j := range m.Parts {
			n += 56 + len(m.Parts[j].Text) + len(m.Parts[j].ImageURL)
		}
		for j := range m.ToolCalls {
			n += 80 + len(m.ToolCalls[j].Name) + len(m.ToolCalls[j].Arguments)*9/8
		}
	}
	for i := range req.Tools {
		n += 80 + len(req.Tools[i].Name) + len(req.Tools[i].Description) + len(req.Tools[i].Parameters)
	}
	if rf := req.ResponseFormat; rf != nil {
		n += 80 + len(rf.Name) + len(rf.Description) + len(rf.Schema)
	}
	return n + n/16
}
