package mistralwire

import "encoding/json"

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
