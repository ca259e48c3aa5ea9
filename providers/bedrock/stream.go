package bedrock

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// events is what Stream reads: the SDK's ConverseStreamEventStream, or a
// fake in tests.
type events interface {
	Events() <-chan types.ConverseStreamOutput
	Close() error
	Err() error
}

// Stream is a providers.Stream over a ConverseStream answer (PROVIDERS.md
// §2.6). The SDK decodes the event-stream frames (and checks their CRCs);
// Stream turns the union events into neutral events with the same shape
// as the OpenAI-dialect adapters': content deltas, tool-call deltas with
// index, id and name on the first fragment of each call, one finish and
// the usage from the final metadata event.
//
// messageStart yields the role; contentBlockStop carries nothing a client
// needs and produces no event. The stream
// ends with io.EOF only after both messageStop and metadata; any other end
// is an error.
type Stream struct {
	ctx    context.Context
	es     events
	model  string
	ids    *mistralwire.IDMap
	now    func() time.Time
	secret string

	ev     llm.StreamEvent
	usage  llm.Usage
	blocks []blockCall // contentBlockIndex → tool-call index
	calls  int         // tool calls started so far

	stopped, ended bool  // messageStop, metadata seen
	err            error // sticky
	before         func()
	closed         atomic.Bool
	once           sync.Once
}

type blockCall struct {
	block int32
	call  int
}

func newStream(ctx context.Context, es events, model string, ids *mistralwire.IDMap, now func() time.Time, secret string) *Stream {
	s := &Stream{ctx: ctx, es: es, model: model, ids: ids, now: now, secret: secret}
	s.ev.Deltas = make([]llm.Delta, 1)
	return s
}

// BeforeRead makes the stream call fn before it waits for the next event
// (executor.ReadNotifier): fn runs only when no decoded event is ready.
func (s *Stream) BeforeRead(fn func()) { s.before = fn }

// Next returns the next event; see providers.Stream.
func (s *Stream) Next() (*llm.StreamEvent, error) {
	ch := s.es.Events()
	for s.err == nil {
		var out types.ConverseStreamOutput
		var ok bool
		select {
		case out, ok = <-ch:
		default:
			if s.before != nil {
				s.before()
			}
			out, ok = <-ch
		}
		if !ok {
			s.fail(s.endError())
			break
		}
		if s.translate(out) {
			return &s.ev, nil
		}
	}
	return nil, s.err
}

// reset prepares the reused event for one delta.
func (s *Stream) reset() *llm.Delta {
	s.ev.Reset()
	s.ev.Model = s.model
	s.ev.Deltas = s.ev.Deltas[:1]
	return &s.ev.Deltas[0]
}

// translate fills s.ev from one union event; it reports whether the event
// carries anything for the caller.
func (s *Stream) translate(out types.ConverseStreamOutput) bool {
	switch e := out.(type) {
	case *types.ConverseStreamOutputMemberMessageStart:
		// The role, as the OpenAI-dialect adapters yield it first.
		s.reset().Role = llm.RoleAssistant
		return true
	case *types.ConverseStreamOutputMemberContentBlockStart:
		tu, ok := e.Value.Start.(*types.ContentBlockStartMemberToolUse)
		if !ok {
			return false
		}
		d := s.reset()
		idx := s.startCall(aws.ToInt32(e.Value.ContentBlockIndex))
		d.ToolCalls = append(d.ToolCalls, llm.ToolCallDelta{Index: idx,
			ID: s.ids.Restore(aws.ToString(tu.Value.ToolUseId)), Name: aws.ToString(tu.Value.Name)})
		return true
	case *types.ConverseStreamOutputMemberContentBlockDelta:
		return s.delta(&e.Value)
	case *types.ConverseStreamOutputMemberMessageStop:
		finish, err := finishReason(e.Value.StopReason)
		if err != nil {
			s.fail(err)
			return false
		}
		s.stopped = true
		s.reset().FinishReason = finish
		return true
	case *types.ConverseStreamOutputMemberMetadata:
		s.ended = true
		if e.Value.Usage == nil {
			return false
		}
		s.reset()
		fillUsage(&s.usage, e.Value.Usage)
		s.ev.Deltas = s.ev.Deltas[:0]
		s.ev.Usage = &s.usage
		return true
	}
	// contentBlockStop and union members newer than the SDK.
	return false
}

func (s *Stream) delta(e *types.ContentBlockDeltaEvent) bool {
	switch d := e.Delta.(type) {
	case *types.ContentBlockDeltaMemberText:
		if d.Value == "" {
			return false
		}
		s.reset().Content = append(s.ev.Deltas[0].Content, d.Value...)
		return true
	case *types.ContentBlockDeltaMemberToolUse:
		in := aws.ToString(d.Value.Input)
		if in == "" {
			return false
		}
		delta := s.reset()
		idx := s.callOf(aws.ToInt32(e.ContentBlockIndex))
		delta.ToolCalls = append(delta.ToolCalls, llm.ToolCallDelta{Index: idx})
		tc := &delta.ToolCalls[0]
		tc.Arguments = append(tc.Arguments[:0], in...)
		return true
	}
	// Reasoning and citation deltas have no chat-completions field.
	return false
}

// startCall numbers a new tool call for a content block.
func (s *Stream) startCall(block int32) int {
	idx := s.calls
	s.calls++
	s.blocks = append(s.blocks, blockCall{block: block, call: idx})
	return idx
}

// callOf finds the tool call of a content block; a delta for a block that
// never started is given a call of its own.
func (s *Stream) callOf(block int32) int {
	for i := len(s.blocks) - 1; i >= 0; i-- {
		if s.blocks[i].block == block {
			return s.blocks[i].call
		}
	}
	return s.startCall(block)
}

// endError classifies how the event stream ended.
func (s *Stream) endError() error {
	err := s.es.Err()
	switch {
	case err == nil && s.stopped && s.ended:
		return io.EOF
	case s.ctx.Err() != nil:
		return oaicompat.TransportError(s.ctx, s.ctx.Err(), Kind)
	case s.closed.Load():
		return gwerr.New(gwerr.Canceled, "bedrock stream closed")
	case err == nil && !s.stopped:
		return gwerr.New(gwerr.Upstream, "bedrock stream ended before messageStop")
	case err == nil:
		return gwerr.New(gwerr.Upstream, "bedrock stream ended without its metadata event")
	}
	return streamError(s.ctx, err, s.now(), s.secret)
}

// streamError classifies a failure inside a 200 stream: an exception frame
// (the SDK's typed error) by the error table, anything else (a cut
// connection, a frame that fails its CRC) as Upstream.
func streamError(ctx context.Context, err error, now time.Time, secret string) *gwerr.Error {
	e := classify(ctx, err, now, secret)
	if e.Kind == gwerr.Internal || e.Kind == gwerr.Canceled && ctx.Err() == nil {
		e.Kind = gwerr.Upstream
		e.Message = "bedrock sent a broken event stream"
	}
	return e
}

func (s *Stream) fail(err error) {
	s.err = err
	_ = s.Close()
}

// Close releases the connection. It is safe to call more than once and
// concurrently with Next, whose wait it ends.
func (s *Stream) Close() error {
	s.once.Do(func() {
		s.closed.Store(true)
		_ = s.es.Close()
	})
	return nil
}

var _ events = (*bedrockruntime.ConverseStreamEventStream)(nil)
