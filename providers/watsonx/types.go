package watsonx

import "encoding/json"

// chatRequest is the body of POST /ml/v1/text/chat[_stream] (PROVIDERS.md
// §5.4). Exactly one of ProjectID / SpaceID is set, and at most one of
// ToolChoiceOption (a mode string) / ToolChoice (a named tool).
type chatRequest struct {
	ModelID          string          `json:"model_id"`
	ProjectID        string          `json:"project_id,omitempty"`
	SpaceID          string          `json:"space_id,omitempty"`
	Messages         []message       `json:"messages"`
	Tools            []tool          `json:"tools,omitempty"`
	ToolChoiceOption string          `json:"tool_choice_option,omitempty"`
	ToolChoice       *namedTool      `json:"tool_choice,omitempty"`
	MaxTokens        *int            `json:"max_tokens,omitempty"`
	Temperature      *float64        `json:"temperature,omitempty"`
	TopP             *float64        `json:"top_p,omitempty"`
	PresencePenalty  *float64        `json:"presence_penalty,omitempty"`
	FrequencyPenalty *float64        `json:"frequency_penalty,omitempty"`
	Stop             []string        `json:"stop,omitempty"`
	Seed             *int64          `json:"seed,omitempty"`
	N                *int            `json:"n,omitempty"`
	ResponseFormat   *responseFormat `json:"response_format,omitempty"`
	// TimeLimit is in milliseconds.
	TimeLimit int64 `json:"time_limit,omitempty"`
}

// message is an OpenAI-like chat message; Content is a string, a list of
// parts, or null for an assistant turn that only calls tools.
type message struct {
	Role       string     `json:"role"`
	Content    any        `json:"content"`
	Name       string     `json:"name,omitempty"`
	ToolCalls  []toolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

type part struct {
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

// namedTool is tool_choice: {"type":"function","function":{"name":…}}.
type namedTool struct {
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
