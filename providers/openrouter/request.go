package openrouter

import (
	"encoding/json"
	"fmt"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

// toChatRequest translates req into OpenRouter's OpenAI body. Everything the
// neutral request models is sent as OpenAI names it (seed, max_tokens,
// user, stream_options, metadata); OpenRouter-only routing comes from the
// deployment's options (provider); the caller's Extra is dropped so a client
// cannot steer routing or billing fields.
func toChatRequest(req *llm.ChatRequest, model string, provider json.RawMessage) (*chatRequest, error) {
	out := &chatRequest{
		Model:             model,
		Temperature:       req.Temperature,
		TopP:              req.TopP,
		MaxTokens:         req.MaxTokens,
		Stream:            req.Stream,
		Stop:              req.Stop,
		Seed:              req.Seed,
		User:              req.User,
		Metadata:          req.Metadata,
		PresencePenalty:   req.PresencePenalty,
		FrequencyPenalty:  req.FrequencyPenalty,
		N:                 req.N,
		ParallelToolCalls: req.ParallelToolCalls,
		Provider:          provider,
	}
	if req.Stream && req.IncludeUsage {
		// Deprecated and harmless on OpenRouter (usage always comes), but
		// kept for OpenAI fidelity.
		out.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	out.Messages = make([]message, 0, len(req.Messages))
	for i := range req.Messages {
		m, err := toMessage(&req.Messages[i])
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
	if rf := req.ResponseFormat; rf != nil {
		out.ResponseFormat = &responseFormat{Type: string(rf.Type)}
		if rf.Type == llm.FormatJSONSchema {
			out.ResponseFormat.JSONSchema = &jsonSchema{Name: rf.Name, Description: rf.Description, Schema: rf.Schema, Strict: rf.Strict}
		}
	}
	return out, nil
}

func toMessage(m *llm.Message) (message, error) {
	switch m.Role {
	case llm.RoleSystem, llm.RoleDeveloper, llm.RoleUser, llm.RoleAssistant, llm.RoleTool:
	default:
		return message{}, fmt.Errorf("unsupported role %q", m.Role)
	}
	out := message{Role: string(m.Role), Name: m.Name, ToolCallID: m.ToolCallID}
	switch {
	case len(m.Parts) > 0:
		parts := make([]contentPart, 0, len(m.Parts))
		for _, p := range m.Parts {
			switch p.Type {
			case llm.PartText:
				parts = append(parts, contentPart{Type: "text", Text: p.Text})
			case llm.PartImageURL:
				parts = append(parts, contentPart{Type: "image_url", ImageURL: &imageURL{URL: p.ImageURL, Detail: p.Detail}})
			default:
				return out, fmt.Errorf("unsupported content part type %q", p.Type)
			}
		}
		out.Content = parts
	case m.Role == llm.RoleAssistant && m.Content == "" && len(m.ToolCalls) > 0:
		// A tool-calling turn has no text: null content, as OpenAI sends.
	default:
		out.Content = m.Content
	}
	for _, tc := range m.ToolCalls {
		out.ToolCalls = append(out.ToolCalls, toolCall{
			ID: tc.ID, Type: "function", Function: functionCall{Name: tc.Name, Arguments: tc.Arguments},
		})
	}
	return out, nil
}

func toToolChoice(tc *llm.ToolChoice) (any, error) {
	if tc == nil {
		return nil, nil
	}
	switch tc.Mode {
	case llm.ToolChoiceAuto, llm.ToolChoiceNone, llm.ToolChoiceRequired:
		return string(tc.Mode), nil
	case llm.ToolChoiceFunction:
		named := &namedToolChoice{Type: "function"}
		named.Function.Name = tc.Name
		return named, nil
	}
	return nil, fmt.Errorf("tool_choice: unsupported mode %q", tc.Mode)
}

// encodeRequest translates and encodes req; problems are InvalidRequest.
func encodeRequest(req *llm.ChatRequest, model string, provider json.RawMessage, stream bool) ([]byte, error) {
	r := *req
	r.Stream = stream
	wire, err := toChatRequest(&r, model, provider)
	if err != nil {
		return nil, gwerr.Wrap(gwerr.InvalidRequest, err, "%v", err)
	}
	body, err := json.Marshal(wire)
	if err != nil {
		return nil, gwerr.Wrap(gwerr.InvalidRequest, err, "request is not encodable: invalid JSON in tool parameters or schema")
	}
	return body, nil
}
