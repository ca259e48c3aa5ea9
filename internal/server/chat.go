package server

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"go.uber.org/zap"

	"github.com/windrose-gw/windrose/internal/executor"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/keys"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/openaiapi"
	"github.com/windrose-gw/windrose/internal/router"
)

var bufPool = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 8<<10)) }}

// access is what one request's access-log line and metrics say.
type access struct {
	api      string // "chat" (the zero value) or "responses"
	model    string
	stream   bool
	status   int
	res      executor.Result
	usage    *llm.Usage
	err      error
	bodySize int
	ticket   *keys.Ticket
	key      string
}

// chatCompletions serves POST /v1/chat/completions. Its frame, and those
// of stream and the executor below it, stay on the stack for the whole of
// a stream, so it only holds what the access log needs and the admitted
// call; decoding, routing and admission run in openChat, whose frame is
// gone by then (BENCHMARKS.md, memory per stream).
func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	start := s.o.Now()
	acc := access{model: "unknown"}
	defer func() { s.finish(r, start, &acc) }()
	var c chatCall
	if !s.openChat(w, r, &acc, &c) {
		return
	}
	defer c.untrack()
	if c.req.Stream {
		s.stream(w, &c, &acc)
		return
	}
	s.reply(w, r, &c, &acc)
}

// chatCall is an admitted chat request, ready to run.
type chatCall struct {
	ctx     context.Context // with the key's meter (the executor keeps the request deadline)
	rt      *executor.Route
	req     *llm.ChatRequest // nil once stream handed it to the executor
	rr      router.Request
	untrack func() // ends the request's windrose_in_flight count
}

// openChat reads, decodes, routes and admits a chat request into c. When it
// cannot, it has answered the client with the error (in acc) and returns
// false.
//
//go:noinline
func (s *Server) openChat(w http.ResponseWriter, r *http.Request, acc *access, c *chatCall) bool {
	lift := s.bodyDeadline(w)
	body, err := readOwned(w, r, s.o.MaxBodyBytes)
	if err != nil {
		acc.err, acc.status = err, writeError(w, err)
		return false
	}
	lift()
	acc.bodySize = len(body)
	// The request's strings alias body, the one copy of it this request
	// holds: re-encoding for retries, failover, hedges and resumes reads
	// them from there for as long as any attempt needs them.
	req, err := openaiapi.DecodeOwned(body)
	if err != nil {
		acc.err, acc.status = err, writeError(w, err)
		return false
	}
	if s.o.LogBodies {
		s.o.Logger.Debug("request body", zap.String("request_id", RequestID(r.Context())), zap.ByteString("body", body))
	}
	acc.stream = req.Stream
	rt, ok := s.snapOf(r.Context()).Catalog.Lookup(req.Model)
	if !ok {
		acc.err = unknownModel(req.Model)
		acc.status = writeError(w, acc.err)
		return false
	}
	acc.model = rt.Model.Name
	rr := routing(r, s.o.PreferRegion)
	ctx := r.Context()
	if k := KeyOf(ctx); k != nil {
		acc.key = k.Name
	}
	if err := s.checkPin(rr); err != nil {
		acc.err, acc.status = err, writeError(w, err)
		return false
	}
	untrack := s.track(rt.Model.Name)
	ctx, acc.ticket, err = s.admit(ctx, w, rt.Model.Name, req.Model, req, acc.bodySize, &rr)
	if err != nil {
		untrack()
		acc.err, acc.status = err, writeError(w, err)
		return false
	}
	*c = chatCall{ctx: ctx, rt: rt, req: req, rr: rr, untrack: untrack}
	return true
}

func tooLarge(limit int64) error {
	e := gwerr.New(gwerr.TooLarge, "request body is larger than the limit of %d bytes", limit)
	e.Code = "request_too_large"
	return e
}

// setRouteHeaders names the deployment that answered. The values are
// shared, built once (Target.HeaderValues, attemptValues): a Set per
// header allocated its value slice on every response, and a stream holds
// them for as long as it lasts.
func setRouteHeaders(h http.Header, t *executor.Target, attempts int) {
	if t != nil {
		v := t.HeaderValues()
		h["X-Windrose-Provider"] = v.Provider
		h["X-Windrose-Deployment"] = v.Deployment
		h["X-Windrose-Region"] = v.Region
		if v.ModelVersion != nil {
			h["X-Windrose-Model-Version"] = v.ModelVersion
		}
	}
	if attempts >= 0 && attempts < len(attemptValues) {
		h["X-Windrose-Attempts"] = attemptValues[attempts]
		return
	}
	h.Set("X-Windrose-Attempts", strconv.Itoa(attempts))
}

// attemptValues are the X-Windrose-Attempts values of the usual counts.
var attemptValues = func() (v [16][]string) {
	for i := range v {
		v[i] = []string{strconv.Itoa(i)}
	}
	return v
}()

// splitList splits a comma-separated header value into trimmed, lower-cased
// entries.
func splitList(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	parts := strings.Split(v, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// finish writes the access-log line and the request metrics.
func (s *Server) finish(r *http.Request, start time.Time, acc *access) {
	d := s.o.Now().Sub(start)
	status := acc.status
	if acc.err != nil && gwerr.KindOf(acc.err) == gwerr.Canceled {
		status = gwerr.StatusClientClosed
	}
	if s.o.Governor != nil {
		s.o.Governor.Settle(acc.ticket, status)
	}
	stream := strconv.FormatBool(acc.stream)
	api := acc.api
	if api == "" {
		api = "chat"
	}
	s.o.Metrics.Requests.WithLabelValues(acc.model, strconv.Itoa(status), stream, api).Inc()
	s.o.Metrics.RequestDuration.WithLabelValues(acc.model, stream, api).Observe(d.Seconds())
	s.o.Metrics.Overhead.Observe(max(d-acc.res.Upstream, 0).Seconds())
	traceFinish(r, acc, status)
	// One allocation at the size the longest line needs: growing the slice
	// by append was most of a request's log cost.
	fields := make([]zap.Field, 0, 20)
	fields = append(fields,
		zap.String("request_id", RequestID(r.Context())),
		zap.String("api", api),
		zap.String("model", acc.model),
		zap.String("key", acc.key),
		zap.Bool("stream", acc.stream),
		zap.Int("status", status),
		zap.Int("attempts", acc.res.Attempts),
		zap.Duration("duration", d),
	)
	if len(acc.res.Broken) > 0 {
		// A stream that broke with resume on: the deployments it broke on,
		// and each "deployment:result" tried after a break.
		fields = append(fields, zap.Strings("broken", acc.res.Broken), zap.Strings("resumes", acc.res.Resumes))
	}
	if t := acc.res.Target; t != nil {
		fields = append(fields, zap.String("deployment", t.Name), zap.String("provider", t.Provider))
		if t.ModelVersion != "" {
			fields = append(fields, zap.String("model_version", t.ModelVersion))
		}
	}
	if u := acc.usage; u != nil {
		fields = append(fields, zap.Int("prompt_tokens", u.PromptTokens), zap.Int("completion_tokens", u.CompletionTokens))
	}
	if acc.err != nil {
		ge := gwerr.As(acc.err)
		fields = append(fields, zap.String("error_kind", ge.Kind.String()), zap.String("error", ge.Message))
	}
	s.o.Logger.Info("access", fields...)
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openaiapi.AppendModels(nil, s.snapOf(r.Context()).Catalog.Names(), s.created, "windrose"))
}

// model answers GET /v1/models/{id} in OpenAI's shape: the model object,
// or a 404 model_not_found.
func (s *Server) model(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "*")
	name, ok := s.snapOf(r.Context()).Catalog.Name(id)
	if !ok {
		writeError(w, unknownModel(id))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openaiapi.AppendModel(nil, name, s.created, "windrose"))
}
