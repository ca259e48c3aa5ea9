package openai

import (
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/openaiapi"
)

// encodeRequest writes req as an OpenAI body for model, Extra included.
// A streamed request always asks for usage (stream_options.include_usage):
// OpenAI-compatible servers send none otherwise, and the gateway accounts
// tokens from the provider's own numbers. Whether the client sees that
// usage chunk is the server layer's choice (req.IncludeUsage).
func encodeRequest(req *llm.ChatRequest, model string, stream bool) []byte {
	r := *req
	r.Stream = stream
	if stream {
		r.IncludeUsage = true
	}
	return openaiapi.AppendRequest(make([]byte, 0, 1024), &r, model)
}
