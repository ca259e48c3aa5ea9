package oaicompat

import (
	"errors"
	"sync"

	"github.com/valyala/fastjson"

	"github.com/windrose-gw/windrose/internal/llm"
)

// DecodeResponse turns a chat.completion body into an llm.ChatResponse.
// mapID (may be nil) maps tool-call ids back to the caller's. A body with a
// top-level "error" object (some proxies answer 200 with one) is reported
// as its InBandError.
//
// The usual body takes a typed walk over fastjson's parse, with no
// reflection (encoding/json decoding this body was 5.8% of windrose's CPU
// under non-stream load, issue 15). Any body the walk is not certain to read
// exactly as encoding/json would (a syntax error, a wrong type, a repeated
// or differently cased key, a number that is not a plain integer, a string
// that is not UTF-8 or escapes a lone surrogate, nesting deeper than
// fastjson's 300 levels) goes to decodeReflect, the encoding/json decoder
// this replaced, so results, errors and their messages are those of old
// for every input; FuzzDecodeResponse holds the two to that.
func DecodeResponse(body []byte, mapID func(string) string) (*llm.ChatResponse, *InBandError, error) {
	d := getDecoder(len(body))
	out, inBand, ok := d.decode(body)
	putDecoder(d, len(body))
	if !ok {
		return decodeReflect(body, mapID)
	}
	if inBand {
		eb := ParseErrorBody(body)
		return nil, &InBandError{Code: eb.Code, Status: eb.CodeNum, Message: eb.Message}, nil
	}
	if len(out.Choices) == 0 {
		return nil, nil, errNoChoices
	}
	if mapID != nil {
		for i := range out.Choices {
			for j := range out.Choices[i].Message.ToolCalls {
				tc := &out.Choices[i].Message.ToolCalls[j]
				tc.ID = mapID(tc.ID)
			}
		}
	}
	return out, nil, nil
}

// errNoChoices is decodeReflect's error for a body without choices, word
// for word.
var errNoChoices = errors.New("malformed response: no choices")

// decoder is a pooled fastjson parser with the scratch buffers the walk
// reads strings through. Every string the walk keeps is copied out of them
// (and out of the parser, which holds its own copy of the body) before the
// decoder goes back to the pool, so a ChatResponse owns its memory and
// never aliases the body either: the adapters' bodies come from ReadBody or
// a gRPC message and are theirs to drop, but keeping a whole body alive
// for the few strings a response keeps is not worth the saved copies.
type decoder struct {
	p   fastjson.Parser
	raw []byte // a scalar's JSON text, from scalar
	buf []byte // an unescaped string
	bad bool   // the walk met something only decodeReflect reads exactly
}

// maxPooledBody is the largest body whose decoder goes back to the pool:
// a parser keeps a copy of the last body it parsed, and a pooled one
// should not pin the memory of a rare huge answer.
const maxPooledBody = 64 << 10

var decoders = sync.Pool{New: func() any { return new(decoder) }}

func getDecoder(n int) *decoder {
	if n > maxPooledBody {
		return new(decoder)
	}
	d := decoders.Get().(*decoder)
	d.bad = false
	return d
}

func putDecoder(d *decoder, n int) {
	if n <= maxPooledBody && cap(d.raw) <= maxPooledBody && cap(d.buf) <= maxPooledBody {
		decoders.Put(d)
	}
}

// decode walks body. ok is false when decodeReflect must decide instead;
// inBand is true when the body carries a non-null "error" member.
func (d *decoder) decode(body []byte) (out *llm.ChatResponse, inBand, ok bool) {
	v, err := d.p.ParseBytes(body)
	if err != nil || v.Type() != fastjson.TypeObject {
		return nil, false, false
	}
	// fastjson's parser is lenient (it takes NaN, bad escapes, control
	// characters in strings). Its validator is as strict as encoding/json
	// but for control characters before a string's last escape, which
	// ctlInString catches; it runs only on bodies the parser took, whose
	// depth the parser has bounded (the validator's recursion has no bound).
	if fastjson.ValidateBytes(body) != nil || ctlInString(body) {
		return nil, false, false
	}
	out = &llm.ChatResponse{}
	var seen fieldSet
	v.GetObject().Visit(func(key []byte, v *fastjson.Value) {
		switch d.field(&seen, key, responseFields) {
		case fID:
			out.ID = d.str(v, out.ID)
		case fCreated:
			out.Created = d.int64(v, out.Created)
		case fModel:
			out.Model = d.str(v, out.Model)
		case fChoices:
			out.Choices = d.choices(v)
		case fUsage:
			out.Usage = d.usage(v)
		case fError:
			inBand = v.Type() != fastjson.TypeNull
		}
	})
	if d.bad {
		return nil, false, false
	}
	return out, inBand, true
}

func (d *decoder) choices(v *fastjson.Value) []llm.Choice {
	items, isArray := d.array(v)
	if !isArray {
		return nil
	}
	out := make([]llm.Choice, len(items))
	for i, it := range items {
		c := &out[i]
		c.Message.Role = llm.RoleAssistant
		if !d.object(it) {
			continue
		}
		var seen fieldSet
		it.GetObject().Visit(func(key []byte, v *fastjson.Value) {
			switch d.field(&seen, key, choiceFields) {
			case fIndex:
				c.Index = d.int(v)
			case fMessage:
				d.message(v, &c.Message)
			case fFinishReason:
				c.FinishReason = NormalizeFinish(d.strBytes(v))
			}
		})
	}
	return out
}

func (d *decoder) message(v *fastjson.Value, m *llm.Message) {
	if !d.object(v) {
		return
	}
	var seen fieldSet
	v.GetObject().Visit(func(key []byte, v *fastjson.Value) {
		switch d.field(&seen, key, messageFields) {
		case fRole:
			// Checked, not kept: the answer is the assistant's.
			d.strBytes(v)
		case fContent:
			m.Content = d.content(v)
		case fToolCalls:
			m.ToolCalls = d.toolCalls(v)
		}
	})
}

// content reads a message's content as decodeReflect does: a string, the
// text parts of an array, and "" for anything else (null, an object, a
// number), which encoding/json's RawMessage took without complaint.
func (d *decoder) content(v *fastjson.Value) string {
	switch raw := d.scalar(v); raw[0] {
	case '[':
		return d.textParts(v.GetArray())
	case '"':
		return d.strOf(raw, "")
	}
	return ""
}

func (d *decoder) textParts(parts []*fastjson.Value) string {
	var text []byte
	for _, p := range parts {
		if !d.object(p) {
			continue
		}
		var seen fieldSet
		var isText bool
		var t []byte
		p.GetObject().Visit(func(key []byte, v *fastjson.Value) {
			switch d.field(&seen, key, partFields) {
			case fType:
				isText = string(d.strBytes(v)) == "text"
			case fText:
				// Copied now: strBytes' buffer is reused.
				t = append(t[:0], d.strBytes(v)...)
			}
		})
		if isText {
			text = append(text, t...)
		}
	}
	return string(text)
}

func (d *decoder) toolCalls(v *fastjson.Value) []llm.ToolCall {
	items, isArray := d.array(v)
	if !isArray || len(items) == 0 {
		return nil
	}
	out := make([]llm.ToolCall, len(items))
	for i, it := range items {
		tc := &out[i]
		if !d.object(it) {
			continue
		}
		var seen fieldSet
		it.GetObject().Visit(func(key []byte, v *fastjson.Value) {
			switch d.field(&seen, key, toolCallFields) {
			case fID:
				tc.ID = d.str(v, "")
			case fFunction:
				d.function(v, tc)
			}
		})
	}
	return out
}

func (d *decoder) function(v *fastjson.Value, tc *llm.ToolCall) {
	if !d.object(v) {
		return
	}
	var seen fieldSet
	v.GetObject().Visit(func(key []byte, v *fastjson.Value) {
		switch d.field(&seen, key, functionFields) {
		case fName:
			tc.Name = d.str(v, "")
		case fArguments:
			tc.Arguments = d.str(v, "")
		}
	})
}

func (d *decoder) usage(v *fastjson.Value) *llm.Usage {
	if !d.object(v) {
		return nil
	}
	u := &llm.Usage{}
	var seen fieldSet
	v.GetObject().Visit(func(key []byte, v *fastjson.Value) {
		switch d.field(&seen, key, usageFields) {
		case fPromptTokens:
			u.PromptTokens = d.int(v)
		case fCompletionTokens:
			u.CompletionTokens = d.int(v)
		case fTotalTokens:
			u.TotalTokens = d.int(v)
		case fCost:
			u.Cost, u.HasCost = d.float(v)
		case fPromptTokensDetails:
			if !d.object(v) {
				return
			}
			var seen fieldSet
			v.GetObject().Visit(func(key []byte, v *fastjson.Value) {
				if d.field(&seen, key, detailsFields) == fCachedTokens {
					u.CachedTokens = d.int(v)
				}
			})
		}
	})
	return u
}
