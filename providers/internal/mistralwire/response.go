package mistralwire

import (
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// DecodeResponse translates a chat.completion body (PROVIDERS.md §1.3).
// Finish reasons are normalised (model_length → length) and tool-call ids
// Mistral echoes from the request are mapped back to the caller's.
func DecodeResponse(provider string, body []byte, ids *IDMap) (*llm.ChatResponse, error) {
	resp, inBand, err := oaicompat.DecodeResponse(body, ids.Restore)
	if err != nil {
		return nil, gwerr.Wrap(gwerr.Upstream, err, "%s sent a malformed response", provider)
	}
	if inBand != nil {
		return nil, oaicompat.ClassifyInBand(inBand)
	}
	for _, c := range resp.Choices {
		if c.FinishReason == llm.FinishError {
			return nil, gwerr.New(gwerr.Upstream, "%s ended the generation with an error", provider)
		}
	}
	return resp, nil
}
