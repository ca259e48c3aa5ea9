package server

import (
	"context"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/windrose-gw/windrose/internal/bufpool"
	"github.com/windrose-gw/windrose/internal/executor"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/responsesapi"
	"github.com/windrose-gw/windrose/internal/router"
)

// responsesSink writes a committed stream as Responses API events. It
// commits exactly like the chat sink (headers name the deployment of the
// first content event) and flushes the same way.
type responsesSink struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	buf      []byte       // the events being written; nil between writes
	loan     bufpool.Loan // buf's (see sseSink.take)
	st       responsesapi.Stream
	target   *executor.Target
	batching bool
	flushErr error
	done     func(*responsesapi.Response) // called with the final response of a successful stream
	// writeTimeout bounds each write to the client
	// (server.stream_write_timeout), as on chat streams; timedOut says one
	// passed: the client stopped reading.
	writeTimeout time.Duration
	now          func() time.Time
	timedOut     bool
	dl           writeDeadline
}

// deadline arms the write deadline for the next write to the client.
func (s *responsesSink) deadline() {
	if s.dl.rc == nil {
		s.dl = writeDeadline{rc: s.rc, timeout: s.writeTimeout, now: s.now}
	}
	s.dl.arm()
}

// wrote notes a write error that is a passed write deadline.
func (s *responsesSink) wrote(err error) error {
	if err != nil && isTimeout(err) {
		s.timedOut = true
	}
	return err
}

func (s *responsesSink) Commit(t *executor.Target, attempts int) error {
	s.target = t
	h := s.w.Header()
	setRouteHeaders(h, t, attempts)
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
	s.deadline()
	sendHeaders(s.rc)
	return nil
}

// responseBufs lends the buffers Responses API events are encoded into,
// as chunkBufs does for chat streams.
var responseBufs = bufpool.New(2048)

func (s *responsesSink) drop() {
	s.loan.Return(responseBufs, s.buf)
	s.buf = nil
}

// start sends response.created and response.in_progress, naming the
// upstream model of the first event (else the deployment's model id).
func (s *responsesSink) start(ev *llm.StreamEvent) {
	if ev != nil && ev.Model != "" {
		s.st.Resp.Model = ev.Model
	} else if s.target != nil {
		s.st.Resp.Model = s.target.Model
	}
	s.buf = s.st.AppendStart(s.buf)
}

func (s *responsesSink) Event(ev *llm.StreamEvent) error {
	if s.flushErr != nil {
		return s.flushErr
	}
	s.buf = s.loan.Take(responseBufs)
	defer s.drop()
	if !s.st.Started() {
		s.start(ev)
	}
	s.buf = s.st.AppendEvent(s.buf, ev)
	if s.batching {
		s.deadline() // the buffered writer may write through
		_, err := s.w.Write(s.buf)
		return s.wrote(err)
	}
	return s.flush()
}

// Batch implements executor.BatchSink, as the chat sink does.
func (s *responsesSink) Batch() func() {
	s.batching = true
	return func() {
		if s.flushErr == nil {
			s.deadline()
			s.flushErr = s.wrote(s.rc.Flush())
		}
	}
}

func (s *responsesSink) flush() error {
	s.deadline()
	if _, err := s.w.Write(s.buf); err != nil {
		return s.wrote(err)
	}
	return s.wrote(s.rc.Flush())
}

// end closes a committed stream: response.completed or .incomplete on
// success; response.failed and an error event when it broke, so a client
// never takes a cut answer for a whole one.
func (s *responsesSink) end(usage *llm.Usage, err error) {
	s.buf = s.loan.Take(responseBufs)
	defer s.drop()
	if !s.st.Started() {
		s.start(nil)
	}
	switch {
	case err != nil && gwerr.KindOf(err) == gwerr.Canceled:
		return // nobody is listening
	case err != nil:
		s.buf = s.st.AppendFailed(s.buf, err)
	default:
		s.buf = s.st.AppendEnd(s.buf, usage)
		if s.done != nil {
			// Stored before the client reads response.completed, so a
			// GET or a chained request right after it finds the response.
			s.done(&s.st.Resp)
		}
	}
	_ = s.flush()
}

func (s *Server) responsesStream(ctx context.Context, w http.ResponseWriter, rt *executor.Route, x *exchange, rr router.Request, acc *access) {
	sink := &responsesSink{w: w, rc: http.NewResponseController(w),
		writeTimeout: s.o.StreamWriteTimeout, now: s.o.Now}
	sink.st.Resp = responsesapi.Response{ID: x.id, CreatedAt: x.created, Req: x.req, Store: x.stored}
	sink.done = func(out *responsesapi.Response) {
		s.save(ctx, x, responsesapi.AppendResponse(nil, out), out)
	}
	usage, res, err := s.o.Executor.Stream(ctx, rt, x.req.Chat, &rr, sink)
	acc.res, acc.usage, acc.err = res, usage, err
	if !res.Committed {
		setRouteHeaders(w.Header(), nil, res.Attempts)
		acc.status = writeError(w, err)
		return
	}
	acc.status = http.StatusOK
	if sink.timedOut {
		// The client's problem, never the provider's, as on chat streams.
		acc.err = gwerr.Wrap(gwerr.Canceled, err, "the client stopped reading the stream (server.stream_write_timeout %s)", s.o.StreamWriteTimeout)
		s.o.Logger.Warn("client stopped reading; stream cut", zap.String("request_id", RequestID(ctx)),
			zap.Duration("stream_write_timeout", s.o.StreamWriteTimeout))
		panic(http.ErrAbortHandler)
	}
	sink.end(usage, err)
}
