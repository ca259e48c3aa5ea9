// Package llm holds the neutral chat types that every layer of windrose
// speaks. Nothing here knows any provider's (or OpenAI's) wire format: the
// server decodes OpenAI JSON into these types and each adapter translates them
// to its provider.
package llm

import "encoding/json"

// Role is the author of a message.
type Role string

// Roles a conversation may carry. Developer is OpenAI's newer name for a
// system message; adapters whose provider lacks it send it as system.
const (
	RoleSystem    Role = "system"
	RoleDeveloper Role = "developer"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// FinishReason is why a choice stopped, normalised to OpenAI's vocabulary.
type FinishReason string

// Finish reasons. FinishError is internal: a provider said the generation
// failed (OpenRouter's in-band error, Mistral's "error"); it is never sent to
// a client as a normal finish.
const (
	FinishNone          FinishReason = ""
	FinishStop          FinishReason = "stop"
	FinishLength        FinishReason = "length"
	FinishToolCalls     FinishReason = "tool_calls"
	FinishContentFilter FinishReason = "content_filter"
	FinishError         FinishReason = "error"
)

// PartType is the kind of one content part.
type PartType string

// Content part kinds.
const (
	PartText     PartType = "text"
	PartImageURL PartType = "image_url"
)

// Part is one element of array-form message content.
type Part struct {
	Type     PartType
	Text     string // PartText
	ImageURL string // PartImageURL: an https or data: URL
	Detail   string // PartImageURL: "auto" | "low" | "high" | ""
}

// Message is one turn of the conversation.
//
// Content holds string-form content; Parts holds array-form content. At most
// one of them is set. An assistant message that only calls tools has neither.
type Message struct {
	Role       Role
	Content    string
	Parts      []Part
	Name       string
	ToolCalls  []ToolCall // assistant only
	ToolCallID string     // tool only: the call this message answers
	// Prefix marks a final assistant message as the start of the answer
	// the model must continue (Mistral's "prefix": true). Windrose sets it
	// only when resuming a broken stream; clients cannot.
	Prefix bool `json:",omitempty"` // omitted in golden dumps when unset
}

// ToolCall is a complete function call made by the assistant.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string // JSON text, exactly as the model produced it
}

// Tool is a function the model may call.
type Tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage // JSON Schema; nil when absent
	Strict      *bool
}

// ToolChoiceMode says whether and how the model must call tools.
type ToolChoiceMode string

// Tool choice modes. ToolChoiceFunction forces the tool named in ToolChoice.Name.
const (
	ToolChoiceAuto     ToolChoiceMode = "auto"
	ToolChoiceNone     ToolChoiceMode = "none"
	ToolChoiceRequired ToolChoiceMode = "required"
	ToolChoiceFunction ToolChoiceMode = "function"
)

// ToolChoice is the caller's tool_choice.
type ToolChoice struct {
	Mode ToolChoiceMode
	Name string // ToolChoiceFunction only
}

// ResponseFormatType is the kind of output constraint.
type ResponseFormatType string

// Response format kinds.
const (
	FormatText       ResponseFormatType = "text"
	FormatJSONObject ResponseFormatType = "json_object"
	FormatJSONSchema ResponseFormatType = "json_schema"
)

// ResponseFormat constrains the model's output.
type ResponseFormat struct {
	Type        ResponseFormatType
	Name        string          // json_schema only
	Description string          // json_schema only
	Schema      json.RawMessage // json_schema only
	Strict      *bool           // json_schema only
}

// ChatRequest is one chat completion request, as the client asked for it.
// Pointer fields are nil when the client did not set them, so adapters can
// leave the provider's default alone.
type ChatRequest struct {
	Model             string // the alias the client sent; adapters send their deployment's own id
	Messages          []Message
	Tools             []Tool
	ToolChoice        *ToolChoice
	ParallelToolCalls *bool
	ResponseFormat    *ResponseFormat
	Temperature       *float64
	TopP              *float64
	PresencePenalty   *float64
	FrequencyPenalty  *float64
	MaxTokens         *int // max_tokens or max_completion_tokens, whichever the client sent
	Stop              []string
	Seed              *int64
	N                 *int
	Stream            bool
	IncludeUsage      bool // stream_options.include_usage
	User              string
	Metadata          map[string]string

	// Extra holds top-level fields windrose does not model, exactly as the
	// client sent them. Only pass-through adapters (the generic OpenAI kind)
	// forward them; every other adapter drops them.
	Extra map[string]json.RawMessage
}

// Usage is the provider's own token accounting.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
	TotalTokens      int
	CachedTokens     int // prompt tokens served from a cache, when reported

	// Cost is the provider-reported charge in USD (OpenRouter's usage.cost);
	// HasCost says whether the provider reported one at all.
	Cost    float64
	HasCost bool
}

// Choice is one complete alternative of a non-streamed response.
type Choice struct {
	Index        int
	Message      Message
	FinishReason FinishReason
}

// ChatResponse is a complete, non-streamed answer.
type ChatResponse struct {
	ID      string
	Created int64 // Unix seconds
	Model   string
	Choices []Choice
	Usage   *Usage // nil when the provider reported none
}

// ToolCallDelta is one fragment of a streamed tool call. ID and Name come on
// the first fragment of a call; Arguments accumulate across fragments with the
// same Index.
type ToolCallDelta struct {
	Index     int
	ID        string
	Name      string
	Arguments []byte
}

// Delta is one choice's increment inside a stream event.
type Delta struct {
	Index        int
	Role         Role   // set on the first delta of a choice only
	Content      []byte // text increment; may be empty
	ToolCalls    []ToolCallDelta
	FinishReason FinishReason
}

// StreamEvent is one chunk of a streamed answer.
//
// Adapters reuse one StreamEvent (and its slices) across calls to
// Stream.Next, so an event and every byte slice in it are valid only until
// the next call. Consumers that keep data must copy it.
type StreamEvent struct {
	ID      string
	Created int64
	Model   string
	Deltas  []Delta
	Usage   *Usage // set on the event that carries the provider's usage
}

// HasContent reports whether the event carries generated output (text or a
// tool-call fragment), as opposed to only a role, a finish reason or usage.
// A stream commits to its deployment at the first event with content.
func (e *StreamEvent) HasContent() bool {
	for i := range e.Deltas {
		if len(e.Deltas[i].Content) > 0 || len(e.Deltas[i].ToolCalls) > 0 {
			return true
		}
	}
	return false
}

// Reset clears the event for reuse, keeping slice capacity.
func (e *StreamEvent) Reset() {
	e.ID, e.Created, e.Model, e.Usage = "", 0, "", nil
	for i := range e.Deltas {
		d := &e.Deltas[i]
		d.Content = d.Content[:0]
		d.ToolCalls = d.ToolCalls[:0]
		d.Role, d.FinishReason, d.Index = "", "", 0
	}
	e.Deltas = e.Deltas[:0]
}
