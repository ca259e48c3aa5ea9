package executor

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/telemetry"
)

// startSpan opens the attempt's span under the request's, when tracing is
// on. It names the deployment, never the prompt or a credential.
func (e *Executor) startSpan(ctx context.Context, t *Target, hedge bool) (context.Context, trace.Span) {
	if e.tracer == nil {
		return ctx, nil
	}
	return e.startSpanOn(ctx, t, hedge)
}

// startSpanOn is startSpan with tracing on. It is kept out of startSpan
// (noinline): the attributes make a 0.7 KB frame, and with tracing off a
// streamed request's handler goroutine then stays within an 8 KiB stack
// (BENCHMARKS.md, memory per stream).
//
//go:noinline
func (e *Executor) startSpanOn(ctx context.Context, t *Target, hedge bool) (context.Context, trace.Span) {
	return e.tracer.Start(ctx, "chat "+t.Model, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.system", telemetry.GenAISystem(t.Provider)),
		attribute.String("gen_ai.request.model", t.Model),
		attribute.String("windrose.provider", t.Provider),
		attribute.String("windrose.deployment", t.Name),
		attribute.String("windrose.region", t.Region),
		attribute.Bool("windrose.hedge", hedge),
	))
}

// endSpan ends the attempt's span once with its result ("success",
// "failed", "canceled", "hedge_lost"), and for a failure its error kind.
func (a *attempt) endSpan(result, errKind string, u *llm.Usage) {
	if a.span == nil || !a.spanDone.CompareAndSwap(false, true) {
		return
	}
	s := a.span
	s.SetAttributes(attribute.String("windrose.attempt.result", result))
	if a.model != "" {
		s.SetAttributes(attribute.String("gen_ai.response.model", a.model))
	}
	if a.finish != "" {
		s.SetAttributes(attribute.StringSlice("gen_ai.response.finish_reasons", []string{a.finish}))
	}
	if u != nil {
		s.SetAttributes(attribute.Int("gen_ai.usage.input_tokens", u.PromptTokens), attribute.Int("gen_ai.usage.output_tokens", u.CompletionTokens))
	}
	if errKind != "" {
		s.SetAttributes(attribute.String("error.type", errKind))
		s.SetStatus(codes.Error, errKind)
	}
	s.End()
}

// failoverEvent notes on the request's span that the walk moved on from
// a's deployment, and why.
func (w *walk) failoverEvent(a *attempt, reason string) {
	if w.e.tracer == nil {
		return
	}
	trace.SpanFromContext(w.ctx).AddEvent("windrose.failover", trace.WithAttributes(
		attribute.String("windrose.deployment", a.t.Name), attribute.String("windrose.failover_reason", reason)))
}
