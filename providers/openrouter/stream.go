package openrouter

import (
	"context"
	"io"

	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// newStream reads OpenRouter's SSE (§6.3): ": OPENROUTER PROCESSING"
// comments are skipped, usage may come in a final usage-only chunk, and an
// in-band error chunk (top-level "error", finish_reason "error") ends the
// stream with its classified error. When that chunk carries usage, the
// error is wrapped so providers.UsageOf returns it.
func newStream(ctx context.Context, body io.ReadCloser) *oaicompat.Stream {
	return oaicompat.NewStream(ctx, body, oaicompat.StreamOptions{
		Provider: Kind,
		Classify: classifyInBand,
	})
}
