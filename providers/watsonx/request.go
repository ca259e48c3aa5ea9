package watsonx

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
)

// scope is where a request runs: the deployment's project or space.
type scope struct {
	projectID, spaceID string
}

// toChatRequest translates req into watsonx's body (PROVIDERS.md §5.4).
//
// Mapped: developer → system role; tool_choice auto/none/required →
// tool_choice_option, a named tool → tool_choice (watsonx keeps the two
// apart and takes only one); seed, stop, max_tokens, temperature, top_p,
// penalties, n and response_format as named. Dropped: user, metadata,
// parallel_tool_calls, stream_options (watsonx always reports usage) and
// Extra. ids rewrites tool-call ids (the Mistral rule) or, when nil, leaves
// them alone.
func toChatRequest(req *llm.ChatRequest, model string, sc scope, ids *mistralwire.IDMap) (*chatRequest, error) {
	out := &chatRequest{
		ModelID: model, ProjectID: sc.projectID, SpaceID: sc.spaceID,
		MaxTokens: req.MaxTokens, Temperature: req.Temperature, TopP: req.TopP,
		PresencePenalty: req.PresencePenalty, FrequencyPenalty: req.FrequencyPenalty,
		Stop: req.Stop, Seed: req.Seed, N: req.N,
	}
	rewrite := func(id string) string { return id }
	if ids != nil {
		rewrite = ids.Rewrite
	}
	out.Messages = make([]message, 0, len(req.Messages))
	for i := range req.Messages {
		m, err := toMessage(&req.Messages[i], rewrite)
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
	if err := setToolChoice(out, req.ToolChoice); err != nil {
		return nil, err
	}
	if rf := req.ResponseFormat; rf != nil {
		out.ResponseFormat = &responseFormat{Type: string(rf.Type)}
		if rf.Type == llm.FormatJSONSchema {
			out.ResponseFormat.JSONSchema = &jsonSchema{Name: rf.Name, Description: rf.Description, Schema: rf.Schema, Strict: rf.Strict}
		}
	}
	return out, nil
}

func toMessage(m *llm.Message, rewrite func(string) string) (message, error) {
	out := message{Role: string(m.Role), Name: m.Name}
	switch m.Role {
	case llm.RoleDeveloper:
		out.Role = string(llm.RoleSystem)
	case llm.RoleSystem, llm.RoleUser, llm.RoleAssistant:
	case llm.RoleTool:
		out.ToolCallID = rewrite(m.ToolCallID)
	default:
		return out, fmt.Errorf("unsupported role %q", m.Role)
	}
	switch {
	case len(m.Parts) > 0:
		parts := make([]part, 0, len(m.Parts))
		for _, p := range m.Parts {
			switch p.Type {
			case llm.PartText:
				parts = append(parts, part{Type: "text", Text: p.Text})
			case llm.PartImageURL:
				parts = append(parts, part{Type: "image_url", ImageURL: &imageURL{URL: p.ImageURL, Detail: p.Detail}})
			default:
				return out, fmt.Errorf("unsupported content part type %q", p.Type)
			}
		}
		out.Content = parts
	case m.Role == llm.RoleAssistant && m.Content == "" && len(m.ToolCalls) > 0:
		// A tool-calling turn has no text: null content.
	default:
		out.Content = m.Content
	}
	for _, tc := range m.ToolCalls {
		out.ToolCalls = append(out.ToolCalls, toolCall{ID: rewrite(tc.ID), Type: "function",
			Function: functionCall{Name: tc.Name, Arguments: tc.Arguments}})
	}
	return out, nil
}

// setToolChoice puts a mode in tool_choice_option and a named tool in
// tool_choice: sending a mode string in tool_choice is the known bug this
// mapping exists to avoid.
func setToolChoice(out *chatRequest, tc *llm.ToolChoice) error {
	if tc == nil {
		return nil
	}
	switch tc.Mode {
	case llm.ToolChoiceAuto, llm.ToolChoiceNone, llm.ToolChoiceRequired:
		out.ToolChoiceOption = string(tc.Mode)
	case llm.ToolChoiceFunction:
		out.ToolChoice = &namedTool{Type: "function"}
		out.ToolChoice.Function.Name = tc.Name
	default:
		return fmt.Errorf("tool_choice: unsupported mode %q", tc.Mode)
	}
	return nil
}

// timeLimit is the attempt's remaining time in milliseconds, sent as
// time_limit so watsonx stops generating (finish "time_limit") before the
// gateway gives up on the attempt; 0 (omitted) without a deadline.
func timeLimit(ctx context.Context, now time.Time) int64 {
	dl, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	return max(dl.Sub(now).Milliseconds(), 1)
}

// encodeRequest translates and encodes req. Translation problems are the
// caller's fault (InvalidRequest).
func encodeRequest(req *llm.ChatRequest, model string, sc scope, ids *mistralwire.IDMap, limit int64) ([]byte, error) {
	wire, err := toChatRequest(req, model, sc, ids)
	if err != nil {
		return nil, gwerr.Wrap(gwerr.InvalidRequest, err, "%v", err)
	}
	wire.TimeLimit = limit
	body, err := json.Marshal(wire)
	if err != nil {
		return nil, gwerr.Wrap(gwerr.InvalidRequest, err, "request is not encodable: invalid JSON in tool parameters or schema")
	}
	return body, nil
}
