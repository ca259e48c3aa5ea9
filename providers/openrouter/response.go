package openrouter

import (
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// decodeResponse translates a chat.completion (§6.2). usage.cost becomes
// Usage.Cost/HasCost and prompt_tokens_details.cached_tokens CachedTokens.
// A 200 body carrying an "error" object, or a choice that finished with
// "error", is the provider's failure.
func decodeResponse(body []byte) (*llm.ChatResponse, error) {
	resp, inBand, err := oaicompat.DecodeResponse(body, nil)
	if err != nil {
		return nil, gwerr.Wrap(gwerr.Upstream, err, "openrouter sent a malformed response")
	}
	if inBand != nil {
		return nil, classifyInBand(inBand)
	}
	for _, c := range resp.Choices {
		if c.FinishReason == llm.FinishError {
			return nil, gwerr.New(gwerr.Upstream, "openrouter ended the generation with an error")
		}
	}
	return resp, nil
}
