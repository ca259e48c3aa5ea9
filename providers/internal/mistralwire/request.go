package mistralwire

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

// toChatRequest translates req into Mistral's wire request for model.
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
func (d Dialect) toChatRequest(req *llm.ChatRequest, model string, ids *IDMap) (*chatRequest, error) {
	out := &chatRequest{
		Model:             model,
		Temperature:       req.Temperature,
		TopP:              req.TopP,
		MaxTokens:         req.MaxTokens,
		Stream:            req.Stream,
		Stop:              req.Stop,
		RandomSeed:        req.Seed,
		Metadata:          req.Metadata,
		PresencePenalty:   req.PresencePenalty,
		FrequencyPenalty:  req.FrequencyPenalty,
		N:                 req.N,
		ParallelToolCalls: req.ParallelToolCalls,
	}
	ids.Reserve(req.Messages)
	out.Messages = make([]message, 0, len(req.Messages))
	for i := range req.Messages {
		m, err := toMessage(&req.Messages[i], ids)
		if err != nil {
			return nil, fmt.Errorf("messages[%d]: %w", i, err)
		}
		out.Messages = append(out.Messages, m)
	}
	for _, t := range req.Tools {
		out.Tools = append(out.Tools, tool{Type: "function", Function: functionDef{
			Name: t.Name, Description: t.Description, Parameters: t.Parameters, Strict: t.Strict,
		}})
	}
	tc, err := toToolChoice(req.ToolChoice)
	if err != nil {
		return nil, err
	}
	out.ToolChoice = tc
	out.ResponseFormat = toResponseFormat(req.ResponseFormat)
	if out.Prediction, err = toPrediction(req.Extra["prediction"]); err != nil {
		return nil, err
	}
	if raw := req.Extra["prompt_cache_key"]; len(raw) > 0 && !d.NoPromptCacheKey {
		// A hint: one that is not a string is dropped, never an error.
		_ = json.Unmarshal(raw, &out.PromptCacheKey)
	}
	return out, nil
}

// toPrediction maps OpenAI's prediction ({"type":"content","content": a
// string or text parts}) to Mistral's, whose content is a string.
func toPrediction(raw json.RawMessage) (*prediction, error) {
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
	out := &prediction{Type: "content"}
	if json.Unmarshal(p.Content, &out.Content) == nil {
		return out, nil
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
	out.Content = b.String()
	return out, nil
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

func toMessage(m *llm.Message, ids *IDMap) (message, error) {
	out := message{Role: string(m.Role)}
	switch m.Role {
	case llm.RoleDeveloper:
		out.Role = string(llm.RoleSystem)
	case llm.RoleSystem, llm.RoleUser, llm.RoleAssistant:
	case llm.RoleTool:
		out.ToolCallID = ids.Rewrite(m.ToolCallID)
		out.Name = m.Name
	default:
		return out, fmt.Errorf("unsupported role %q", m.Role)
	}
	switch {
	case len(m.Parts) > 0:
		chunks := make([]contentChunk, 0, len(m.Parts))
		for _, p := range m.Parts {
			switch p.Type {
			case llm.PartText:
				chunks = append(chunks, contentChunk{Type: "text", Text: p.Text})
			case llm.PartImageURL:
				chunks = append(chunks, contentChunk{Type: "image_url", ImageURL: &imageURL{URL: p.ImageURL, Detail: p.Detail}})
			default:
				return out, fmt.Errorf("unsupported content part type %q", p.Type)
			}
		}
		out.Content = chunks
	case m.Role == llm.RoleAssistant && m.Content == "" && len(m.ToolCalls) > 0:
		// A tool-calling turn has no text; Mistral takes null content.
	default:
		out.Content = m.Content
	}
	out.Prefix = m.Prefix && m.Role == llm.RoleAssistant
	for _, tc := range m.ToolCalls {
		out.ToolCalls = append(out.ToolCalls, toolCall{
			ID: ids.Rewrite(tc.ID), Type: "function",
			Function: functionCall{Name: tc.Name, Arguments: tc.Arguments},
		})
	}
	return out, nil
}

func toToolChoice(tc *llm.ToolChoice) (any, error) {
	if tc == nil {
		return nil, nil
	}
	switch tc.Mode {
	case llm.ToolChoiceAuto, llm.ToolChoiceNone:
		return string(tc.Mode), nil
	case llm.ToolChoiceRequired:
		return "any", nil
	case llm.ToolChoiceFunction:
		named := &namedToolChoice{Type: "function"}
		named.Function.Name = tc.Name
		return named, nil
	}
	return nil, fmt.Errorf("tool_choice: unsupported mode %q", tc.Mode)
}

func toResponseFormat(rf *llm.ResponseFormat) *responseFormat {
	if rf == nil {
		return nil
	}
	out := &responseFormat{Type: string(rf.Type)}
	if rf.Type == llm.FormatJSONSchema {
		out.JSONSchema = &jsonSchema{Name: rf.Name, Description: rf.Description, Schema: rf.Schema, Strict: rf.Strict}
	}
	return out
}

// EncodeRequest translates and encodes req. Translation problems are the
// caller's fault (InvalidRequest); nothing here can be retried elsewhere.
func EncodeRequest(req *llm.ChatRequest, model string, stream bool) ([]byte, *IDMap, error) {
	return Dialect{}.encode(req, model, stream)
}

func (d Dialect) encode(req *llm.ChatRequest, model string, stream bool) ([]byte, *IDMap, error) {
	ids := &IDMap{}
	wire, err := d.toChatRequest(req, model, ids)
	if err != nil {
		return nil, nil, gwerr.Wrap(gwerr.InvalidRequest, err, "%v", err)
	}
	wire.Stream = stream
	body, err := json.Marshal(wire)
	if err != nil {
		return nil, nil, gwerr.Wrap(gwerr.InvalidRequest, err, "request is not encodable: invalid JSON in tool parameters or schema")
	}
	return body, ids, nil
}
