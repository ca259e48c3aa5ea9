package oaicompat

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
)

// StreamOptions tune a Stream to one provider.
type StreamOptions struct {
	// Provider names the provider in error messages ("mistral").
	Provider string
	// MapToolID maps tool-call ids in the stream back to the caller's.
	MapToolID func(string) string
	// Classify turns an in-band error into a *gwerr.Error. Nil uses
	// ClassifyInBand.
	Classify func(*InBandError) *gwerr.Error
	// MaxLine caps one SSE line (DefaultMaxLine when 0).
	MaxLine int
	// Events, when set, sees each SSE event's "event:" field and data
	// before the chunk parser, for providers that frame streams with named
	// events (watsonx, PROVIDERS.md §5.6), and says what to do with it.
	Events func(event, data []byte) (EventAction, error)
	// NoDone: the provider sends no "[DONE]". The stream's proper end is
	// then a chunk with usage at or after the finish reason, or an
	// EventEnd, followed by the end of the body.
	NoDone bool
}

// EventAction is what StreamOptions.Events decided for one SSE event.
type EventAction int

// Event actions.
const (
	// EventChunk: parse the data as a chat.completion.chunk.
	EventChunk EventAction = iota
	// EventSkip: ignore the event.
	EventSkip
	// EventEnd: the provider's end-of-stream marker; the stream ends with
	// io.EOF if a finish reason was seen, else with an Upstream error.
	EventEnd
	// EventFail: the event reports a failure; the stream ends with the
	// error Events returned.
	EventFail
)

// Stream is a providers.Stream over an OpenAI-dialect SSE body.
//
// It ends with io.EOF after a finish reason and a clean end of the body,
// with or without "[DONE]" (some OpenAI-compatible servers and proxies omit
// it; the client already holds the whole answer), or at the provider's own
// end marker (NoDone, Events) after a finish reason. A body that ends without
// any finish reason, or is cut off, is an Upstream error. An in-band error is returned as its
// classified error, wrapped with providers.WithUsage when the failing chunk
// carried usage, and no event is produced for that chunk.
type Stream struct {
	ctx    context.Context
	body   io.ReadCloser
	sse    *SSEReader
	parser ChunkParser
	ev     llm.StreamEvent
	opts   StreamOptions
	src    notifyReader // body, as the SSE reader sees it

	finished bool  // some chunk carried a finish reason
	ended    bool  // the provider's end marker (NoDone usage chunk or EventEnd) was seen
	err      error // sticky: once the stream failed or ended it stays so
	closed   atomic.Bool
	once     sync.Once
}

// NewStream reads events from body, which belongs to a response made with
// ctx. The stream owns body and closes it.
func NewStream(ctx context.Context, body io.ReadCloser, opts StreamOptions) *Stream {
	if opts.Classify == nil {
		opts.Classify = ClassifyInBand
	}
	s := &Stream{ctx: ctx, body: body, opts: opts}
	s.src.r = body
	s.sse = NewSSEReader(&s.src, opts.MaxLine)
	s.parser.MapToolID = opts.MapToolID
	return s
}

// BeforeRead makes the stream call fn before each read from the body (a
// read happens only once every buffered event was returned). The executor
// uses it to flush batched events to the client before waiting for more;
// see executor.ReadNotifier. Call it before Next, from Next's goroutine.
func (s *Stream) BeforeRead(fn func()) { s.src.before = fn }

// notifyReader calls before, when set, ahead of each read of r.
type notifyReader struct {
	r      io.Reader
	before func()
}

// Unhooked returns r itself, for a read that continues the one before.
func (n *notifyReader) Unhooked() io.Reader { return n.r }

func (n *notifyReader) Read(p []byte) (int, error) {
	if n.before != nil {
		n.before()
	}
	return n.r.Read(p)
}

// Next returns the next event; see providers.Stream.
func (s *Stream) Next() (*llm.StreamEvent, error) {
	for s.err == nil {
		data, err := s.sse.Next()
		if err != nil {
			s.fail(s.endError(err))
			break
		}
		if s.opts.Events != nil {
			switch act, evErr := s.opts.Events(s.sse.Event(), data); act {
			case EventSkip:
				continue
			case EventEnd:
				s.ended = true
				s.fail(s.endError(io.EOF))
				continue
			case EventFail:
				if evErr == nil {
					evErr = gwerr.New(gwerr.Upstream, "%s reported a failure mid-stream", s.opts.Provider)
				}
				s.fail(evErr)
				continue
			}
		}
		info, err := s.parser.Parse(data, &s.ev)
		if err != nil {
			s.fail(gwerr.Wrap(gwerr.Upstream, err, "%s sent a malformed stream chunk", s.opts.Provider))
			break
		}
		if info.Err != nil {
			s.fail(providers.WithUsage(s.opts.Classify(info.Err), s.ev.Usage))
			break
		}
		s.finished = s.finished || info.Finished
		if s.opts.NoDone && s.finished && s.ev.Usage != nil {
			s.ended = true
		}
		if len(s.ev.Deltas) == 0 && s.ev.Usage == nil {
			continue // nothing for the caller (an empty keep-alive chunk)
		}
		return &s.ev, nil
	}
	return nil, s.err
}

// fail records err as the stream's final result and releases the body.
func (s *Stream) fail(err error) {
	s.err = err
	defer s.sse.Release() // Next never reads again
	if err == io.EOF {
		// Drain what little is left so the connection can be reused.
		_, _ = io.CopyN(io.Discard, s.body, 4<<10)
	}
	_ = s.Close()
}

// endError classifies how the SSE body ended.
func (s *Stream) endError(err error) error {
	switch {
	case err == io.EOF && s.finished:
		return io.EOF
	case err == io.EOF && s.ctx.Err() != nil:
		// With the context done, the cut is ours (a deadline or a cancel,
		// seen as EOF when the connection closes cleanly, as TLS can): the
		// context check below classifies it.
	case err == io.EOF:
		return gwerr.New(gwerr.Upstream, "%s closed the stream without a finish reason", s.opts.Provider)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return gwerr.Wrap(gwerr.Upstream, err, "%s closed the connection mid-stream", s.opts.Provider)
	case errors.Is(err, ErrLineTooLong):
		return gwerr.Wrap(gwerr.Upstream, err, "%s sent an oversized stream line", s.opts.Provider)
	}
	if ctxErr := s.ctx.Err(); ctxErr != nil {
		return TransportError(s.ctx, ctxErr, s.opts.Provider)
	}
	if s.closed.Load() {
		return gwerr.Wrap(gwerr.Canceled, err, "%s stream closed", s.opts.Provider)
	}
	return TransportError(s.ctx, err, s.opts.Provider)
}

// Close releases the connection. It is safe to call more than once and
// concurrently with Next, whose blocked read it unblocks.
func (s *Stream) Close() error {
	s.once.Do(func() {
		s.closed.Store(true)
		_ = s.body.Close()
	})
	return nil
}
