package server

import (
	"context"

	"go.uber.org/zap"
	"net/http"
	"time"

	"github.com/windrose-gw/windrose/internal/bufpool"
	"github.com/windrose-gw/windrose/internal/executor"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/openaiapi"
)

// sseSink writes a committed stream to the client in OpenAI's chunk format,
// flushing every event (or, batching, before each read from the provider).
// One buffer is reused for every chunk.
type sseSink struct {
	w         http.ResponseWriter
	rc        *http.ResponseController
	buf       []byte       // the chunks being written; nil between writes (see take)
	loan      bufpool.Loan // buf's
	hdr       openaiapi.ChunkHeader
	target    *executor.Target
	usageNull bool // include_usage asked: OpenAI sends "usage":null on every chunk
	started   bool
	announced uint64 // choice indexes (< 64) whose role chunk went out
	now       func() time.Time
	reqID     string
	batching  bool  // Batch was called: Event writes, the stream's reads flush
	flushErr  error // a batched flush failed: the client is gone
	// finish is reused to send finish reasons in their own chunk.
	finish llm.StreamEvent
	// writeTimeout bounds each write to the client
	// (server.stream_write_timeout); timedOut says one passed: the client
	// stopped reading.
	writeTimeout time.Duration
	timedOut     bool
	dl           writeDeadline
}

// sseHeaders are a stream's fixed response header values, shared by every
// stream (see setRouteHeaders).
var sseHeaders = struct{ contentType, cacheControl, accelBuffering []string }{
	[]string{"text/event-stream"}, []string{"no-cache"}, []string{"no"},
}

// chunkBufs lends the buffers chunks are encoded into: a stream holds one
// only while it writes, and a slow stream waits for its provider nearly
// all of its life.
var chunkBufs = bufpool.New(1024)

// take gives s an empty buffer to encode into.
func (s *sseSink) take() { s.buf = s.loan.Take(chunkBufs) }

// drop hands the buffer back once its bytes are written (net/http has
// copied them).
func (s *sseSink) drop() {
	s.loan.Return(chunkBufs, s.buf)
	s.buf = nil
}

// deadline arms the write deadline for the next write to the client.
func (s *sseSink) deadline() {
	if s.dl.rc == nil {
		s.dl = writeDeadline{rc: s.rc, timeout: s.writeTimeout, now: s.now}
	}
	s.dl.arm()
}

// wrote notes a write error that is a passed write deadline.
func (s *sseSink) wrote(err error) error {
	if err != nil && isTimeout(err) {
		s.timedOut = true
	}
	return err
}

func (s *sseSink) Commit(t *executor.Target, attempts int) error {
	s.target = t
	h := s.w.Header()
	setRouteHeaders(h, t, attempts)
	h["Content-Type"] = sseHeaders.contentType
	h["Cache-Control"] = sseHeaders.cacheControl
	h["X-Accel-Buffering"] = sseHeaders.accelBuffering
	s.w.WriteHeader(http.StatusOK)
	s.deadline()
	sendHeaders(s.rc)
	return nil
}

func (s *sseSink) Event(ev *llm.StreamEvent) error {
	if s.flushErr != nil {
		return s.flushErr
	}
	s.take()
	defer s.drop()
	if !s.started {
		s.start(ev)
	}
	for i := range ev.Deltas {
		s.announce(ev.Deltas[i].Index)
	}
	s.buf = s.appendEvent(s.buf, ev)
	if s.batching {
		s.deadline() // the buffered writer may write through
		_, err := s.w.Write(s.buf)
		return s.wrote(err)
	}
	return s.flush()
}

// Batch implements executor.BatchSink: events are written as they come and
// flushed when the provider's stream is about to read again, so a burst of
// chunks costs one write to the client instead of one each.
func (s *sseSink) Batch() func() {
	s.batching = true
	return func() {
		if s.flushErr == nil {
			s.deadline()
			s.flushErr = s.wrote(s.rc.Flush())
		}
	}
}

// Seam implements executor.Seamer: an SSE comment marks, for humans, where
// the stream continues on another deployment; SSE parsers ignore it.
func (s *sseSink) Seam(deployment string) error {
	s.take()
	defer s.drop()
	s.buf = append(s.buf, ": resumed on "...)
	s.buf = append(s.buf, deployment...)
	s.buf = append(s.buf, "\n\n"...)
	if s.batching {
		_, err := s.w.Write(s.buf)
		return err
	}
	return s.flush()
}

// announce sends the role chunk of choice i before its first delta, as
// OpenAI does: one chunk with the role and empty content per choice.
func (s *sseSink) announce(i int) {
	if i >= 64 || i < 0 || s.announced&(1<<i) != 0 {
		return
	}
	s.announced |= 1 << i
	role := llm.StreamEvent{Deltas: []llm.Delta{{Index: i, Role: llm.RoleAssistant}}}
	s.buf = s.appendChunk(s.buf, &role)
}

// start fixes the chunk header for the whole stream from the first event.
func (s *sseSink) start(ev *llm.StreamEvent) {
	s.started = true
	s.hdr = openaiapi.ChunkHeader{ID: ev.ID, Created: ev.Created, Model: ev.Model}
	if s.hdr.ID == "" {
		s.hdr.ID = "chatcmpl-" + s.reqID
	}
	if s.hdr.Created == 0 {
		s.hdr.Created = s.now().Unix()
	}
	if s.hdr.Model == "" && s.target != nil {
		s.hdr.Model = s.target.Model
	}
}

// appendEvent appends ev as OpenAI sends it: a finish reason travels in a
// chunk of its own with an empty delta, after the last content or tool-call
// delta, never beside them. (A provider such as Mistral may send a whole
// tool call and its finish reason in one chunk; the openai SDKs' stream
// helpers close a tool call only when a later chunk arrives.)
func (s *sseSink) appendEvent(dst []byte, ev *llm.StreamEvent) []byte {
	split := false
	for i := range ev.Deltas {
		d := &ev.Deltas[i]
		if d.FinishReason != "" && (len(d.Content) > 0 || len(d.ToolCalls) > 0) {
			split = true
		}
	}
	if !split {
		return s.appendChunk(dst, ev)
	}
	s.finish.Deltas = s.finish.Deltas[:0]
	for i := range ev.Deltas {
		d := &ev.Deltas[i]
		if d.FinishReason != "" {
			s.finish.Deltas = append(s.finish.Deltas, llm.Delta{Index: d.Index, FinishReason: d.FinishReason})
			d.FinishReason = ""
		}
	}
	dst = s.appendChunk(dst, ev)
	return s.appendChunk(dst, &s.finish)
}

func (s *sseSink) appendChunk(dst []byte, ev *llm.StreamEvent) []byte {
	if s.usageNull {
		return openaiapi.AppendChunkUsageNull(dst, s.hdr, ev)
	}
	return openaiapi.AppendChunk(dst, s.hdr, ev)
}

func (s *sseSink) flush() error {
	s.deadline()
	if _, err := s.w.Write(s.buf); err != nil {
		return s.wrote(err)
	}
	return s.wrote(s.rc.Flush())
}

// end closes a committed stream: usage and [DONE] on success, an in-band
// error event and no [DONE] on failure, so no client mistakes a broken
// answer for a complete one. It reports whether the stream failed; the
// handler then aborts the connection, so that SSE parsers that ignore the
// error event still see an incomplete response.
func (s *sseSink) end(usage *llm.Usage, err error) (failed bool) {
	s.take()
	defer s.drop()
	if !s.started && err == nil {
		s.start(&llm.StreamEvent{})
		s.announce(0)
	}
	switch {
	case err != nil:
		if gwerr.KindOf(err) == gwerr.Canceled {
			return true
		}
		s.buf = openaiapi.AppendStreamError(s.buf, err)
		failed = true
	default:
		if s.usageNull && usage != nil {
			s.buf = openaiapi.AppendUsageChunk(s.buf, s.hdr, usage)
		}
		s.buf = openaiapi.AppendDone(s.buf)
	}
	if s.batching && !failed {
		// The handler returns next and net/http flushes then, together
		// with the chunked-encoding terminator: one write instead of two.
		s.deadline()
		_, _ = s.w.Write(s.buf)
		return false
	}
	_ = s.flush()
	return failed
}

func (s *Server) stream(w http.ResponseWriter, c *chatCall, acc *access) {
	ctx := c.ctx
	// chatCompletions' frame holds c for the whole stream, and with it the
	// decoded request and the body its strings alias: the whole
	// conversation. Only the executor may still need them (to open the
	// stream, and to resume it when resume is on), so it gets the one
	// reference and lets go of it once committed unless it can resume.
	req := c.req
	c.req = nil
	sink := &sseSink{
		w: w, rc: http.NewResponseController(w),
		usageNull: req.IncludeUsage, now: s.o.Now, reqID: RequestID(ctx), writeTimeout: s.o.StreamWriteTimeout,
	}
	usage, res, err := s.o.Executor.Stream(ctx, c.rt, req, &c.rr, sink)
	acc.res, acc.usage, acc.err = res, usage, err
	if !res.Committed {
		setRouteHeaders(w.Header(), nil, res.Attempts)
		acc.status = writeError(w, err)
		return
	}
	acc.status = http.StatusOK
	if sink.timedOut {
		s.stoppedReading(ctx, acc, err)
	}
	if sink.end(usage, err) {
		// The access log and metrics are written by deferred calls, which
		// run as this unwinds; net/http drops the connection silently.
		panic(http.ErrAbortHandler)
	}
}

// stoppedReading ends a stream whose client stopped reading: the client's
// problem, never the provider's (the executor canceled the attempt without
// a verdict on the deployment). It is kept out of stream (noinline): stream's
// frame stays on the stack for the whole stream (BENCHMARKS.md, memory per
// stream).
//
//go:noinline
func (s *Server) stoppedReading(ctx context.Context, acc *access, err error) {
	acc.err = gwerr.Wrap(gwerr.Canceled, err, "the client stopped reading the stream (server.stream_write_timeout %s)", s.o.StreamWriteTimeout)
	s.o.Logger.Warn("client stopped reading; stream cut", zap.String("request_id", RequestID(ctx)),
		zap.Duration("stream_write_timeout", s.o.StreamWriteTimeout))
	panic(http.ErrAbortHandler)
}
