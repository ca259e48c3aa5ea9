package openai

import (
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// decodeResponse translates a chat.completion. Finish reasons are
// normalised; a 200 body with an "error" object is the server's failure.
func decodeResponse(body []byte) (*llm.ChatResponse, error) {
	resp, inBand, err := oaicompat.DecodeResponse(body, nil)
	if err != nil {
		return nil, gwerr.Wrap(gwerr.Upstream, err, "openai-compatible server sent a malformed response")
	}
	if inBand != nil {
		return nil, oaicompat.ClassifyInBand(inBand)
	}
	for _, c := range resp.Choices {
		if c.FinishReason == llm.FinishError {
			return nil, gwerr.New(gwerr.Upstream, "the server ended the generation with an error")
		}
	}
	return resp, nil
}
