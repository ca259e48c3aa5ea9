package server

import (
	"bytes"
	"net/http"

	"go.uber.org/zap"

	"github.com/windrose-gw/windrose/internal/openaiapi"
)

// reply serves a non-streamed chat request, writing the answer into a
// pooled buffer (the body is not pooled: the decoded request aliases it).
// It is kept out of chat (noinline): chat's
// frame stays on the stack for the whole of a stream, and this path's
// locals would make it larger (BENCHMARKS.md, memory per stream).
//
//go:noinline
func (s *Server) reply(w http.ResponseWriter, r *http.Request, c *chatCall, acc *access) {
	resp, res, err := s.o.Executor.Chat(c.ctx, c.rt, c.req, c.rr)
	acc.res = res
	if err != nil {
		setRouteHeaders(w.Header(), nil, res.Attempts)
		acc.err, acc.status = err, writeError(w, err)
		return
	}
	acc.usage = resp.Usage
	setRouteHeaders(w.Header(), res.Target, res.Attempts)
	w.Header().Set("Content-Type", "application/json")
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); bufPool.Put(buf) }()
	out := openaiapi.AppendResponse(buf.Bytes()[:0], resp)
	if s.o.LogBodies {
		s.o.Logger.Debug("response body", zap.String("request_id", RequestID(r.Context())), zap.ByteString("body", out))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	acc.status = http.StatusOK
}
