package mistralwire

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/openaiapi"
)

// appendChatRequest appends req as Mistral's ChatCompletionRequest for
// model, translating as it goes; there is no intermediate wire struct.
// Mistral rejects unknown fields with 422, so nothing is written that is
// not listed here (PROVIDERS.md §1.2). Members come in the order, and are
// left out under the conditions, that json.Marshal of the former struct
// gave (reference_types_test.go keeps it as the reference the fuzz test
// compares against), so the bytes on the wire did not change.
//
// Mapped: developer → system role, seed → random_seed, MaxTokens →
// max_tokens, tool_choice required → "any" (Mistral's own word; it also
// accepts "required"), json_schema's schema → "schema", n,
// parallel_tool_calls and metadata as named, and from Extra prediction
// (OpenAI's text parts joined: Mistral takes a string) and, where the
// dialect takes it, prompt_cache_key. Dropped, because Mistral's schema
// lacks them and rejects unknown fields: user, stream_options (Mistral
// always sends usage), the rest of Extra (logprobs, logit_bias,
// service_tier, store…), and message names except on tool messages.
// Tool-call ids are rewritten through ids.
//
// A translation error is returned as is; one that wraps errNotEncodable
// names a raw JSON member (tool parameters, schema) that is not JSON or a
// number that is not finite.
func (d Dialect) appendChatRequest(dst []byte, req *llm.ChatRequest, model string, stream bool, ids *IDMap) ([]byte, error) {
	dst = append(dst, `{"model":`...)
	dst = openaiapi.AppendMarshalString(dst, model)
	dst = append(dst, `,"messages":[`...)
	ids.Reserve(req.Messages)
	for i := range req.Messages {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendMessage(dst, &req.Messages[i], ids); err != nil {
			return nil, fmt.Errorf("messages[%d]: %w", i, err)
		}
	}
	dst = append(dst, ']')
	// The remaining translation errors are found before anything else is
	// encoded, so they win over an encoding error as they did when the
	// struct was built first and marshalled after.
	if err := checkToolChoice(req.ToolChoice); err != nil {
		return nil, err
	}
	pred, err := toPrediction(req.Extra["prediction"])
	if err != nil {
		return nil, err
	}
	if dst, err = appendSampling(dst, req, stream); err != nil {
		return nil, err
	}
	if dst, err = appendFormatAndTools(dst, req); err != nil {
		return nil, err
	}
	if dst, err = appendPenalties(dst, req); err != nil {
		return nil, err
	}
	if pred != nil {
		dst = append(dst, `,"prediction":{"type":"content","content":`...)
		dst = openaiapi.AppendMarshalString(dst, *pred)
		dst = append(dst, '}')
	}
	if raw := req.Extra["prompt_cache_key"]; len(raw) > 0 && !d.NoPromptCacheKey {
		// A hint: one that is not a string is dropped, never an error.
		var key string
		_ = json.Unmarshal(raw, &key)
		if key != "" {
			dst = append(dst, `,"prompt_cache_key":`...)
			dst = openaiapi.AppendMarshalString(dst, key)
		}
	}
	return append(dst, '}'), nil
}

// appendSampling writes temperature, top_p, max_tokens, stream, stop,
// random_seed and metadata.
func appendSampling(dst []byte, req *llm.ChatRequest, stream bool) ([]byte, error) {
	var ok bool
	if dst, ok = appendOptFloat(dst, `,"temperature":`, req.Temperature); !ok {
		return dst, notEncodable("temperature")
	}
	if dst, ok = appendOptFloat(dst, `,"top_p":`, req.TopP); !ok {
		return dst, notEncodable("top_p")
	}
	if req.MaxTokens != nil {
		dst = appendInt(append(dst, `,"max_tokens":`...), int64(*req.MaxTokens))
	}
	dst = appendBool(append(dst, `,"stream":`...), stream)
	if len(req.Stop) > 0 {
		dst = append(dst, `,"stop":[`...)
		for i, s := range req.Stop {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = openaiapi.AppendMarshalString(dst, s)
		}
		dst = append(dst, ']')
	}
	if req.Seed != nil {
		dst = appendInt(append(dst, `,"random_seed":`...), *req.Seed)
	}
	if len(req.Metadata) > 0 {
		dst = appendMetadata(append(dst, `,"metadata":`...), req.Metadata)
	}
	return dst, nil
}

// appendFormatAndTools writes response_format, tools and tool_choice, whose
// mode checkToolChoice has already accepted.
func appendFormatAndTools(dst []byte, req *llm.ChatRequest) ([]byte, error) {
	var ok bool
	if rf := req.ResponseFormat; rf != nil {
		dst = append(dst, `,"response_format":{"type":`...)
		dst = openaiapi.AppendMarshalString(dst, string(rf.Type))
		if rf.Type == llm.FormatJSONSchema {
			dst = append(dst, `,"json_schema":{"name":`...)
			dst = openaiapi.AppendMarshalString(dst, rf.Name)
			if rf.Description != "" {
				dst = append(dst, `,"description":`...)
				dst = openaiapi.AppendMarshalString(dst, rf.Description)
			}
			// Not omitempty in Mistral's schema model: an unset schema is null.
			dst = append(dst, `,"schema":`...)
			if dst, ok = appendRaw(dst, rf.Schema); !ok {
				return dst, notEncodable("response_format.json_schema.schema")
			}
			dst = appendOptBool(dst, `,"strict":`, rf.Strict)
			dst = append(dst, '}')
		}
		dst = append(dst, '}')
	}
	for i := range req.Tools {
		t := &req.Tools[i]
		if i == 0 {
			dst = append(dst, `,"tools":[`...)
		} else {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"type":"function","function":{"name":`...)
		dst = openaiapi.AppendMarshalString(dst, t.Name)
		if t.Description != "" {
			dst = append(dst, `,"description":`...)
			dst = openaiapi.AppendMarshalString(dst, t.Description)
		}
		if len(t.Parameters) > 0 {
			dst = append(dst, `,"parameters":`...)
			if dst, ok = appendRaw(dst, t.Parameters); !ok {
				return dst, notEncodable(fmt.Sprintf("tools[%d].function.parameters", i))
			}
		}
		dst = appendOptBool(dst, `,"strict":`, t.Strict)
		dst = append(dst, "}}"...)
		if i == len(req.Tools)-1 {
			dst = append(dst, ']')
		}
	}
	if tc := req.ToolChoice; tc != nil {
		dst = append(dst, `,"tool_choice":`...)
		switch tc.Mode {
		case llm.ToolChoiceRequired:
			dst = append(dst, `"any"`...)
		case llm.ToolChoiceFunction:
			dst = append(dst, `{"type":"function","function":{"name":`...)
			dst = openaiapi.AppendMarshalString(dst, tc.Name)
			dst = append(dst, "}}"...)
		default: // auto or none
			dst = openaiapi.AppendMarshalString(dst, string(tc.Mode))
		}
	}
	return dst, nil
}

// appendPenalties writes presence_penalty, frequency_penalty, n and
// parallel_tool_calls.
func appendPenalties(dst []byte, req *llm.ChatRequest) ([]byte, error) {
	var ok bool
	if dst, ok = appendOptFloat(dst, `,"presence_penalty":`, req.PresencePenalty); !ok {
		return dst, notEncodable("presence_penalty")
	}
	if dst, ok = appendOptFloat(dst, `,"frequency_penalty":`, req.FrequencyPenalty); !ok {
		return dst, notEncodable("frequency_penalty")
	}
	if req.N != nil {
		dst = appendInt(append(dst, `,"n":`...), int64(*req.N))
	}
	return appendOptBool(dst, `,"parallel_tool_calls":`, req.ParallelToolCalls), nil
}

// toPrediction maps OpenAI's prediction ({"type":"content","content": a
// string or text parts}) to the content of Mistral's, which is a string;
// nil when there is none.
func toPrediction(raw json.RawMessage) (*string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var p struct {
		Type    string          `json:"type"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(raw, &p); err != nil || p.Type != "content" {
		return nil, errors.New(`prediction: expected {"type":"content","content":…}`)
	}
	var content string
	if json.Unmarshal(p.Content, &content) == nil {
		return &content, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(p.Content, &parts); err != nil {
		return nil, errors.New("prediction.content: expected a string or an array of text parts")
	}
	var b strings.Builder
	for _, part := range parts {
		if part.Type != "text" {
			return nil, fmt.Errorf("prediction.content: unsupported part type %q; expected \"text\"", part.Type)
		}
		b.WriteString(part.Text)
	}
	content = b.String()
	return &content, nil
}

// Reserve registers the ids in msgs that Mistral accepts as they are, before
// any id is hashed, so a hash can never collide with a caller's own valid
// id. An adapter that rewrites a request's ids itself calls it once, before
// the first Rewrite.
func (ids *IDMap) Reserve(msgs []llm.Message) {
	for i := range msgs {
		for _, tc := range msgs[i].ToolCalls {
			if validID(tc.ID) {
				ids.Rewrite(tc.ID)
			}
		}
		if validID(msgs[i].ToolCallID) {
			ids.Rewrite(msgs[i].ToolCallID)
		}
	}
}

func checkToolChoice(tc *llm.ToolChoice) error {
	if tc == nil {
		return nil
	}
	switch tc.Mode {
	case llm.ToolChoiceAuto, llm.ToolChoiceNone, llm.ToolChoiceRequired, llm.ToolChoiceFunction:
		return nil
	}
	return fmt.Errorf("tool_choice: unsupported mode %q", tc.Mode)
}

// EncodeRequest translates and encodes req. Translation problems are the
// caller's fault (InvalidRequest); nothing here can be retried elsewhere.
func EncodeRequest(req *llm.ChatRequest, model string, stream bool) ([]byte, *IDMap, error) {
	return Dialect{}.encode(req, model, stream)
}

func (d Dialect) encode(req *llm.ChatRequest, model string, stream bool) ([]byte, *IDMap, error) {
	ids := &IDMap{}
	body, err := d.appendChatRequest(make([]byte, 0, sizeHint(req, model)), req, model, stream, ids)
	if errors.Is(err, errNotEncodable) {
		return nil, nil, gwerr.Wrap(gwerr.InvalidRequest, err, "request is not encodable: invalid JSON in tool parameters or schema")
	}
	if err != nil {
		return nil, nil, gwerr.Wrap(gwerr.InvalidRequest, err, "%v", err)
	}
	return body, ids, nil
}
