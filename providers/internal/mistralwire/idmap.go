package mistralwire

import "github.com/windrose-gw/windrose/internal/llm"

// NewIDMap returns the tool-call id map for one request's conversation, for
// adapters that write their own wire body but serve a Mistral model (watsonx):
// every id Mistral accepts as is is reserved before any other id is hashed,
// so a hash never collides with a caller's own valid id.
func NewIDMap(msgs []llm.Message) *IDMap {
	ids := &IDMap{}
	ids.Reserve(msgs)
	return ids
}

// ValidID reports whether Mistral accepts id as is: exactly nine characters
// of [a-zA-Z0-9].
func ValidID(id string) bool { return validID(id) }
