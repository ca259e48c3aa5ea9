package oaicompat

import (
	"errors"
	"fmt"

	"github.com/valyala/fastjson"

	"github.com/windrose-gw/windrose/internal/llm"
)

// InBandError is an error a provider reported inside a 200 response: a
// top-level "error" object in a chunk (OpenRouter, §6.3) or a choice that
// finished with "error" (Mistral).
type InBandError struct {
	// Code is error.code when it was a string ("server_error").
	Code string
	// Status is error.code when it was a number (OpenRouter sends HTTP-like
	// codes such as 502), else 0.
	Status int
	// Message is error.message, "" when absent.
	Message string
}

// ChunkInfo is what Parse learned about a chunk beyond the event itself.
type ChunkInfo struct {
	// Finished is true when some choice carried a finish reason.
	Finished bool
	// Err is set when the chunk reports a failed generation.
	Err *InBandError
}

// ChunkParser turns chat.completion.chunk JSON into a reused
// llm.StreamEvent. In steady state (text deltas with an unchanged id and
// model) it allocates nothing: fastjson's parsers keep their buffers, content
// is appended into the event's existing slices, and id/model strings are only
// rebuilt when their bytes change.
//
// A ChunkParser is not safe for concurrent use.
type ChunkParser struct {
	// MapToolID, when set, rewrites tool-call ids the provider sends (an
	// adapter that rewrote the caller's ids maps them back here).
	MapToolID func(string) string

	id      string
	model   string
	created int64
	usage   llm.Usage
}

// parsers recycles fastjson parsers: a parser's value cache grows to fit a
// chunk once and is reused. Parse takes one for each chunk and gives it
// back before it returns (the events it fills own their bytes), so a
// stream waiting for its next chunk holds none: with thousands of slow
// streams, a parser kept per stream was kilobytes each (issue 15), and only
// as many parsers exist as chunks are parsed at once.
var parsers fastjson.ParserPool

// errNotObject is returned for a chunk that is valid JSON but not an object.
var errNotObject = errors.New("chunk is not a JSON object")

// Parse resets ev and fills it from one chunk's JSON. The event owns its
// bytes, except Usage, which points into c.
func (c *ChunkParser) Parse(data []byte, ev *llm.StreamEvent) (ChunkInfo, error) {
	p := parsers.Get()
	defer parsers.Put(p)
	return c.parse(p, data, ev)
}

func (c *ChunkParser) parse(p *fastjson.Parser, data []byte, ev *llm.StreamEvent) (ChunkInfo, error) {
	var info ChunkInfo
	v, err := p.ParseBytes(data)
	if err != nil {
		return info, fmt.Errorf("malformed chunk: %w", err)
	}
	if v.Type() != fastjson.TypeObject {
		return info, errNotObject
	}
	ev.Reset()
	if b := v.GetStringBytes("id"); b != nil && string(b) != c.id {
		c.id = string(b)
	}
	if b := v.GetStringBytes("model"); b != nil && string(b) != c.model {
		c.model = string(b)
	}
	if n := v.GetInt64("created"); n != 0 {
		c.created = n
	}
	ev.ID, ev.Model, ev.Created = c.id, c.model, c.created

	for _, ch := range v.GetArray("choices") {
		if ch.Type() != fastjson.TypeObject {
			return info, errors.New("malformed chunk: choice is not an object")
		}
		if err := c.parseChoice(ch, ev); err != nil {
			return info, err
		}
		if ev.Deltas[len(ev.Deltas)-1].FinishReason != llm.FinishNone {
			info.Finished = true
		}
	}
	if u := v.Get("usage"); u != nil && u.Type() == fastjson.TypeObject {
		parseUsage(u, &c.usage)
		ev.Usage = &c.usage
	}
	info.Err = inBandError(v, ev)
	return info, nil
}

// parseChoice appends one delta to ev, reusing the slot's buffers.
func (c *ChunkParser) parseChoice(ch *fastjson.Value, ev *llm.StreamEvent) error {
	n := len(ev.Deltas)
	if n < cap(ev.Deltas) {
		ev.Deltas = ev.Deltas[:n+1]
	} else {
		ev.Deltas = append(ev.Deltas, llm.Delta{})
	}
	d := &ev.Deltas[n]
	d.Index = ch.GetInt("index")
	d.FinishReason = NormalizeFinish(ch.GetStringBytes("finish_reason"))
	delta := ch.Get("delta")
	if delta == nil || delta.Type() == fastjson.TypeNull {
		return nil
	}
	if delta.Type() != fastjson.TypeObject {
		return errors.New("malformed chunk: delta is not an object")
	}
	d.Role = roleOf(delta.GetStringBytes("role"))
	d.Content = appendContent(d.Content, delta.Get("content"))
	for _, tc := range delta.GetArray("tool_calls") {
		if tc.Type() != fastjson.TypeObject {
			return errors.New("malformed chunk: tool call is not an object")
		}
		c.parseToolCall(tc, d)
	}
	return nil
}

func (c *ChunkParser) parseToolCall(tc *fastjson.Value, d *llm.Delta) {
	k := len(d.ToolCalls)
	if k < cap(d.ToolCalls) {
		d.ToolCalls = d.ToolCalls[:k+1]
	} else {
		d.ToolCalls = append(d.ToolCalls, llm.ToolCallDelta{})
	}
	t := &d.ToolCalls[k]
	t.Index = tc.GetInt("index")
	t.ID, t.Name = "", ""
	if b := tc.GetStringBytes("id"); len(b) > 0 {
		t.ID = string(b)
		if c.MapToolID != nil {
			t.ID = c.MapToolID(t.ID)
		}
	}
	if b := tc.GetStringBytes("function", "name"); len(b) > 0 {
		t.Name = string(b)
	}
	t.Arguments = append(t.Arguments[:0], tc.GetStringBytes("function", "arguments")...)
}

// appendContent appends a delta's content: a string, or (newer Mistral
// models) an array of chunks whose "text" parts are the answer. Other
// chunk types (thinking, references) are not part of the OpenAI answer.
func appendContent(dst []byte, v *fastjson.Value) []byte {
	if v == nil {
		return dst
	}
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return append(dst, b...)
	case fastjson.TypeArray:
		for _, part := range v.GetArray() {
			if string(part.GetStringBytes("type")) == "text" {
				dst = append(dst, part.GetStringBytes("text")...)
			}
		}
	}
	return dst
}

func parseUsage(u *fastjson.Value, dst *llm.Usage) {
	*dst = llm.Usage{
		PromptTokens:     u.GetInt("prompt_tokens"),
		CompletionTokens: u.GetInt("completion_tokens"),
		TotalTokens:      u.GetInt("total_tokens"),
		CachedTokens:     u.GetInt("prompt_tokens_details", "cached_tokens"),
	}
	if cost := u.Get("cost"); cost != nil && cost.Type() == fastjson.TypeNumber {
		dst.Cost, _ = cost.Float64()
		dst.HasCost = true
	}
}

// inBandError reports a top-level "error" object or a finish reason of
// "error" on any choice.
func inBandError(v *fastjson.Value, ev *llm.StreamEvent) *InBandError {
	e := v.Get("error")
	if e != nil && e.Type() == fastjson.TypeObject {
		out := &InBandError{Message: string(e.GetStringBytes("message"))}
		switch code := e.Get("code"); {
		case code == nil:
		case code.Type() == fastjson.TypeNumber:
			out.Status = code.GetInt()
		case code.Type() == fastjson.TypeString:
			out.Code = string(code.GetStringBytes())
		}
		return out
	}
	for i := range ev.Deltas {
		if ev.Deltas[i].FinishReason == llm.FinishError {
			return &InBandError{Message: "the provider ended the generation with an error"}
		}
	}
	return nil
}

// NormalizeFinish maps a provider's finish reason to OpenAI's vocabulary.
// Mistral's model_length and watsonx's time_limit are length, watsonx's
// cancelled is error. An unknown non-empty value is treated as
// stop: the generation did end, and inventing an error would discard it.
func NormalizeFinish(b []byte) llm.FinishReason {
	switch string(b) {
	case "":
		return llm.FinishNone
	case "stop", "end_turn", "stop_sequence", "eos":
		return llm.FinishStop
	case "length", "model_length", "max_tokens", "time_limit":
		// watsonx's time_limit: the request's time_limit cut the answer
		// short, as a token limit would.
		return llm.FinishLength
	case "tool_calls", "function_call", "tool_use":
		return llm.FinishToolCalls
	case "content_filter":
		return llm.FinishContentFilter
	case "error", "cancelled":
		// watsonx's cancelled: the generation was abandoned upstream.
		return llm.FinishError
	}
	return llm.FinishStop
}

func roleOf(b []byte) llm.Role {
	switch string(b) {
	case "":
		return ""
	case "assistant":
		return llm.RoleAssistant
	case "tool":
		return llm.RoleTool
	case "user":
		return llm.RoleUser
	case "system":
		return llm.RoleSystem
	}
	return llm.RoleAssistant
}
