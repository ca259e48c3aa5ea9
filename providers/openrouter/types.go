package openrouter

import "encoding/json"

// chatRequest is the OpenAI chat body OpenRouter takes (PROVIDERS.md
// §6.2), plus its own provider routing object. Fields are listed one by
// one: the caller's Extra is never forwarded.
type chatRequest struct {
	Model             string            `json:"model"`
	Messages          []message         `json:"messages"`
	Temperature       *float64          `json:"temperature,omitempty"`
	TopP              *float64          `json:"top_p,omitempty"`
	MaxTokens         *int              `json:"max_tokens,omitempty"`
	Stream            bool              `json:"stream"`
	StreamOptions     *streamOptions    `json:"stream_options,omitempty"`
	Stop              []string          `json:"stop,omitempty"`
	Seed              *int64            `json:"seed,omitempty"`
	User              string            `json:"user,omitempty"`
	Metadata          map[string]string `json:"metadata,omitempty"`
	ResponseFormat    *responseFormat   `json:"response_format,omitempty"`
	Tools             []tool            `json:"tools,omitempty"`
	ToolChoice        any               `json:"tool_choice,omitempty"` // string or *namedToolChoice
	PresencePenalty   *float64          `json:"presence_penalty,omitempty"`
	FrequencyPenalty  *float64          `json:"frequency_penalty,omitempty"`
	N                 *int              `json:"n,omitempty"`
	ParallelToolCalls *bool             `json:"parallel_tool_calls,omitempty"`
	Provider          json.RawMessage   `json:"provider,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type message struct {
	Role       string     `json:"role"`
	Content    any        `json:"content"` // string, []contentPart or nil
	Name       string     `json:"name,omitempty"`
	ToolCalls  []toolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

type contentPart struct {
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
	Schema      json.RawMessage `json:"schema,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// options is the deployment's options block.
type options struct {
	// Referer is sent as HTTP-Referer (OpenRouter's app attribution).
	Referer string `yaml:"referer"`
	// Title is sent as X-OpenRouter-Title.
	Title string `yaml:"title"`
	// Provider is OpenRouter's routing object, sent as the body's
	// "provider" field unchanged (order, allow_fallbacks, data_collection…).
	Provider map[string]any `yaml:"provider"`
}
