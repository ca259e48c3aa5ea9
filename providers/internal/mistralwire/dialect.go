package mistralwire

import (
	"strings"

	"github.com/windrose-gw/windrose/internal/llm"
)

// Dialect is where a cloud that hosts Mistral's container departs from La
// Plateforme. The zero Dialect is La Plateforme itself.
//
// Differences that need no switch, because the shared encoder already does
// the stricter thing for everyone: safe_prompt is never sent (Vertex
// rejects it, PROVIDERS.md §0), the model id is always in the body (Vertex
// wants it there as well as in the resource path), and usage is never
// requested with stream_options (Vertex's container, like La Plateforme,
// puts it on the last content chunk). dialect_test.go pins all three.
type Dialect struct {
	// StripModelVersion drops an "@version" suffix from the body's model id:
	// Vertex pins a version in the resource path
	// (publishers/mistralai/models/mistral-medium-3@001) and its container
	// wants the bare id in the body (PROVIDERS.md §4.1).
	StripModelVersion bool
	// NoPromptCacheKey never sends prompt_cache_key: La Plateforme's
	// request schema has it, the GCP SDK's ChatCompletionRequest (Vertex's
	// container) does not, and the container rejects unknown fields.
	NoPromptCacheKey bool
}

// Vertex is the dialect of Mistral's container behind Vertex AI's
// rawPredict / streamRawPredict.
var Vertex = Dialect{StripModelVersion: true, NoPromptCacheKey: true}

// BodyModel is the model id the dialect puts in the body for a configured
// model id.
func (d Dialect) BodyModel(model string) string {
	if d.StripModelVersion {
		if i := strings.IndexByte(model, '@'); i >= 0 {
			return model[:i]
		}
	}
	return model
}

// EncodeRequest is the package's EncodeRequest in this dialect.
func (d Dialect) EncodeRequest(req *llm.ChatRequest, model string, stream bool) ([]byte, *IDMap, error) {
	return d.encode(req, d.BodyModel(model), stream)
}

// ContextTooLong reports whether a provider message is Mistral's context
// overflow text, for callers that get it outside a JSON body (a gRPC
// status message).
func ContextTooLong(msg string) bool { return isContextTooLong(strings.ToLower(msg)) }
