package mistralwire

import (
	"context"
	"io"

	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// NewStream reads Mistral's data-only SSE (PROVIDERS.md §1.4). Usage comes
// on the last content chunk together with its finish reason and is exposed
// as that event's Usage. A finish reason of "error" ends the stream with an
// Upstream error; the end is io.EOF only after both a finish reason and
// "[DONE]".
func NewStream(ctx context.Context, provider string, body io.ReadCloser, ids *IDMap) *oaicompat.Stream {
	return oaicompat.NewStream(ctx, body, oaicompat.StreamOptions{
		Provider:  provider,
		MapToolID: ids.Restore,
	})
}
