package openrouter

import (
	"encoding/json"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/openaiapi"
)

// encodeRequest renders req as OpenRouter's body, which is OpenAI's
// (PROVIDERS.md §6.2): the shared OpenAI encoder writes every modelled field
// under its OpenAI name (seed, max_tokens, user, stream_options, metadata).
// The caller's Extra is dropped, so a client cannot steer OpenRouter's
// routing or billing fields; the provider routing object comes from the
// deployment's options only. The neutral request was validated when it was
// decoded, so nothing here can fail.
func encodeRequest(req *llm.ChatRequest, model string, provider json.RawMessage, stream bool) ([]byte, error) {
	r := *req
	r.Stream = stream
	r.Extra = nil
	if len(provider) > 0 {
		r.Extra = map[string]json.RawMessage{"provider": provider}
	}
	return openaiapi.AppendRequest(make([]byte, 0, 1024), &r, model), nil
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
