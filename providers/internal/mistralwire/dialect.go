package mistralwire

import (
	"strings"

	"github.com/windrose-gw/windrose/internal/gwerr"
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
	// ModelNotFoundUnavailable classifies the container's "Invalid model"
	// answer as gwerr.ModelUnavailable (this deployment cannot serve the
	// model: fail over) instead of the client's InvalidRequest. On a cloud
	// the model id is the deployment's configuration, never the client's
	// choice.
	ModelNotFoundUnavailable bool
}

// Vertex is the dialect of Mistral's container behind Vertex AI's
// rawPredict / streamRawPredict.
var Vertex = Dialect{StripModelVersion: true, ModelNotFoundUnavailable: true}

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
	return EncodeRequest(req, d.BodyModel(model), stream)
}

// Classify refines an error ClassifyError (or a caller) produced: in a
// dialect with ModelNotFoundUnavailable, a model_not_found becomes
// gwerr.ModelUnavailable. It returns e.
func (d Dialect) Classify(e *gwerr.Error) *gwerr.Error {
	if d.ModelNotFoundUnavailable && e != nil && e.Code == "model_not_found" {
		e.Kind = gwerr.ModelUnavailable
	}
	return e
}

// ContextTooLong reports whether a provider message is Mistral's context
// overflow text, for callers that get it outside a JSON body (a gRPC
// status message).
func ContextTooLong(msg string) bool { return isContextTooLong(strings.ToLower(msg)) }
