package mistralwire

import (
	"encoding/json"
	"fmt"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

// toChatRequest translates req into Mistral's wire request for model.
//
// Mapped: developer → system role, seed → random_seed, MaxTokens →
// max_tokens, tool_choice required → "any" (Mistral's own word; it also
// accepts "required"), json_schema's schema → "schema". Dropped, because
// Mistral's schema lacks them and rejects unknown fields: user,
// stream_options (Mistral always sends usage), Extra, and message names
// except on tool messages. Tool-call ids are rewritten through ids.
func toChatRequest(req *llm.ChatRequest, model string, ids *IDMap) (*chatRequest, error) {
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
	ids := &IDMap{}
	wire, err := toChatRequest(req, model, ids)
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
