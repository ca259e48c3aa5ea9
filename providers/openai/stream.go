package openai

import (
	"context"
	"io"

	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// newStream reads an OpenAI SSE stream. Comments are skipped and an
// in-band "error" chunk (as OpenRouter and some proxies send) ends the
// stream with its classified error.
func newStream(ctx context.Context, body io.ReadCloser) *oaicompat.Stream {
	return oaicompat.NewStream(ctx, body, oaicompat.StreamOptions{Provider: Kind})
}
