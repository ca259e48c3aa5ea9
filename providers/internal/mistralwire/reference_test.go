package mistralwire

// The encoder as it was before appendChatRequest: translate into a wire
// struct, then json.Marshal it. Kept as the reference that
// encode_fuzz_test.go holds the append encoder to, byte for byte, and as
// the "old" side of BenchmarkEncodeRequest.

import (
	"encoding/json"
	"fmt"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

// refToChatRequest translates req into Mistral's wire request for model.
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
func (d Dialect) refToChatRequest(req *llm.ChatRequest, model string, ids *IDMap) (*chatRequest, error) {
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
		m, err := refToMessage(&req.Messages[i], ids)
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
	tc, err := refToToolChoice(req.ToolChoice)
	if err != nil {
		return nil, err
	}
	out.ToolChoice = tc
	out.ResponseFormat = refToResponseFormat(req.ResponseFormat)
	if out.Prediction, err = refToPrediction(req.Extra["prediction"]); err != nil {
		return nil, err
	}
	if raw := req.Extra["prompt_cache_key"]; len(raw) > 0 && !d.NoPromptCacheKey {
		// A hint: one that is not a string is dropped, never an error.
		_ = json.Unmarshal(raw, &out.PromptCacheKey)
	}
	return out, nil
}

// refToPrediction wraps the production toPrediction (which the encoder
// change did not touch) in the old wire struct: the reference is about how
// the body is encoded, not how OpenAI's prediction is read.
func refToPrediction(raw json.RawMessage) (*prediction, error) {
	c, err := toPrediction(raw)
	if c == nil || err != nil {
		return nil, err
	}
	return &prediction{Type: "content", Content: *c}, nil
}

func refToMessage(m *llm.Message, ids *IDMap) (message, error) {
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

func refToToolChoice(tc *llm.ToolChoice) (any, error) {
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

func refToResponseFormat(rf *llm.ResponseFormat) *responseFormat {
	if rf == nil {
		return nil
	}
	out := &responseFormat{Type: string(rf.Type)}
	if rf.Type == llm.FormatJSONSchema {
		out.JSONSchema = &jsonSchema{Name: rf.Name, Description: rf.Description, Schema: rf.Schema, Strict: rf.Strict}
	}
	return out
}

func (d Dialect) refEncode(req *llm.ChatRequest, model string, stream bool) ([]byte, *IDMap, error) {
	ids := &IDMap{}
	wire, err := d.refToChatRequest(req, model, ids)
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

// chatRequest is Mistral's ChatCompletionRequest, written out field by
// field: Mistral rejects unknown fields with 422, so nothing is forwarded
// that is not listed here (PROVIDERS.md §1.2).
type chatRequest struct {
	Model             string            `json:"model"`
	Messages          []message         `json:"messages"`
	Temperature       *float64          `json:"temperature,omitempty"`
	TopP              *float64          `json:"top_p,omitempty"`
	MaxTokens         *int              `json:"max_tokens,omitempty"`
	Stream            bool              `json:"stream"`
	Stop              []string          `json:"stop,omitempty"`
	RandomSeed        *int64            `json:"random_seed,omitempty"`
	Metadata          map[string]string `json:"metadata,omitempty"`
	ResponseFormat    *responseFormat   `json:"response_format,omitempty"`
	Tools             []tool            `json:"tools,omitempty"`
	ToolChoice        any               `json:"tool_choice,omitempty"` // string or *namedToolChoice
	PresencePenalty   *float64          `json:"presence_penalty,omitempty"`
	FrequencyPenalty  *float64          `json:"frequency_penalty,omitempty"`
	N                 *int              `json:"n,omitempty"`
	ParallelToolCalls *bool             `json:"parallel_tool_calls,omitempty"`
	Prediction        *prediction       `json:"prediction,omitempty"`
	PromptCacheKey    string            `json:"prompt_cache_key,omitempty"`
}

// prediction is Mistral's predicted output: the text the answer is
// expected to resemble.
type prediction struct {
	Type    string `json:"type"` // "content"
	Content string `json:"content"`
}

// message is one of Mistral's four message models. Name is only valid on
// tool messages; ToolCalls only on assistant ones.
type message struct {
	Role       string     `json:"role"`
	Content    any        `json:"content"` // string, []contentChunk or nil
	ToolCalls  []toolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
	Name       string     `json:"name,omitempty"`
	Prefix     bool       `json:"prefix,omitempty"` // assistant only: continue this text
}

type contentChunk struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	ImageURL *imageURL `json:"image_url,omitempty"`
}

type imageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

type toolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function functionCall `json:"function"`
}

type functionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type tool struct {
	Type     string      `json:"type"`
	Function functionDef `json:"function"`
}

type functionDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

type namedToolChoice struct {
	Type     string `json:"type"`
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
}

type responseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *jsonSchema `json:"json_schema,omitempty"`
}

type jsonSchema struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema"`
	Strict      *bool           `json:"strict,omitempty"`
}
