package watsonx

import (
	"context"
	"io"

	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// newStream reads chat_stream's SSE (PROVIDERS.md §5.6): every event has an
// `id:` and an `event:` line; `event: message` carries a
// chat.completion.chunk, `event: error` watsonx's error envelope (the stream
// fails with its classified error) and `event: close` ends the stream. There
// is no "[DONE]": usage comes in a last chunk with empty choices after the
// finish reason, and that chunk (or close) is the proper end. A body that
// stops before it is a cut stream.
func newStream(ctx context.Context, body io.ReadCloser, ids *mistralwire.IDMap) *oaicompat.Stream {
	return oaicompat.NewStream(ctx, body, oaicompat.StreamOptions{
		Provider:  Kind,
		MapToolID: ids.Restore,
		NoDone:    true,
		Events:    streamEvent,
	})
}

// streamEvent sorts one SSE event by its name. Unnamed events are read as
// chunks too, in case a proxy strips the event lines; unknown names are
// skipped, as SSE clients do.
func streamEvent(event, data []byte) (oaicompat.EventAction, error) {
	switch string(event) {
	case "", "message":
		return oaicompat.EventChunk, nil
	case "error":
		return oaicompat.EventFail, classifyStreamError(data)
	case "close":
		return oaicompat.EventEnd, nil
	}
	return oaicompat.EventSkip, nil
}
