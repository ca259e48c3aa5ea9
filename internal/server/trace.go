package server

import (
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

// traced opens the request's server span, continuing the caller's trace
// when it sends a W3C traceparent. Off (no tracer), it costs nothing.
func (s *Server) traced(next http.Handler) http.Handler {
	if s.o.Tracer == nil {
		return next
	}
	prop := propagation.TraceContext{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := s.o.Tracer.Start(ctx, r.Method+" "+r.URL.Path, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
		defer span.End()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// traceFinish puts what the access log says on the request's span: the
// model, the deployment that answered, usage, the client key's configured
// name. Never the prompt, the answer or a key itself.
func traceFinish(r *http.Request, acc *access, status int) {
	span := trace.SpanFromContext(r.Context())
	if !span.IsRecording() {
		return
	}
	span.SetName("chat " + acc.model)
	span.SetAttributes(
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.request.model", acc.model),
		attribute.Bool("windrose.stream", acc.stream),
		attribute.Int("windrose.attempts", acc.res.Attempts),
		attribute.Int("http.response.status_code", status),
	)
	if acc.key != "" {
		span.SetAttributes(attribute.String("windrose.key", acc.key))
	}
	if t := acc.res.Target; t != nil {
		span.SetAttributes(
			attribute.String("gen_ai.response.model", t.Model),
			attribute.String("windrose.deployment", t.Name),
			attribute.String("windrose.provider", t.Provider),
			attribute.String("windrose.region", t.Region),
		)
	}
	if u := acc.usage; u != nil {
		span.SetAttributes(attribute.Int("gen_ai.usage.input_tokens", u.PromptTokens), attribute.Int("gen_ai.usage.output_tokens", u.CompletionTokens))
	}
	if acc.err != nil {
		kind := gwerr.As(acc.err).Kind.String()
		span.SetAttributes(attribute.String("error.type", kind))
		span.SetStatus(codes.Error, kind)
	}
}
