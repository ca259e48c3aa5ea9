package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/keys"
	"github.com/windrose-gw/windrose/internal/openaiapi"
)

// reqInfo is what the middleware learn about a request, kept in one
// context value: the request is copied (WithContext) once, by requestID,
// instead of once per fact; auth fills in the rest before it calls on. A
// stream holds these copies for as long as it lasts.
type reqInfo struct {
	id   string
	snap *Snapshot // the config snapshot the request holds (auth)
	key  *keys.Key // the client key it authenticated with (auth); nil without
}

type infoCtx struct{}

// infoOf returns the request's reqInfo, nil outside requestID.
func infoOf(ctx context.Context) *reqInfo {
	info, _ := ctx.Value(infoCtx{}).(*reqInfo)
	return info
}

// requestID takes the client's X-Request-Id when it is sane, else makes one,
// and echoes it on the response.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !saneID(id) {
			id = newID()
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), infoCtx{}, &reqInfo{id: id})))
	})
}

// RequestID returns the request id of ctx.
func RequestID(ctx context.Context) string {
	if info := infoOf(ctx); info != nil {
		return info.id
	}
	return ""
}

func saneID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// recoverer catches a panic on the handler's goroutine and logs it with
// the request id and stack. Before the response started (no WriteHeader
// or Write yet) the client gets a 500 in OpenAI's envelope. After that a
// JSON body would corrupt what was sent: a stream (text/event-stream) gets
// the SSE error event, flushed, and then any started response is aborted
// by re-panicking with http.ErrAbortHandler, which net/http turns into a
// closed connection without logging it again, so the client sees an
// incomplete response. A handler's own http.ErrAbortHandler passes through
// unlogged. A panic in an attempt a hedged model runs on its own goroutine
// is recovered by the executor and arrives here as an Internal error.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &startedWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.o.Logger.Error("panic", zap.String("request_id", RequestID(r.Context())), zap.Any("panic", v), zap.Stack("stack"))
			err := gwerr.New(gwerr.Internal, "internal error")
			if !sw.started {
				writeError(w, err)
				return
			}
			if strings.HasPrefix(w.Header().Get("Content-Type"), "text/event-stream") {
				_, _ = w.Write(openaiapi.AppendStreamError(nil, err))
				_ = http.NewResponseController(w).Flush()
			}
			panic(http.ErrAbortHandler)
		}()
		next.ServeHTTP(sw, r)
	})
}

// startedWriter records whether the response has started (headers sent).
type startedWriter struct {
	http.ResponseWriter
	started bool
}

func (w *startedWriter) WriteHeader(code int) {
	if code >= 200 {
		w.started = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *startedWriter) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's Flush and
// deadlines.
func (w *startedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
