package executor

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
)

// hedgeTimer arms the hedge for the attempt just started, if the model
// hedges. The wait is the configured one or the primary's observed p95 time
// to first token; with neither known there is no hedge.
func (w *walk) hedgeTimer() (<-chan time.Time, func()) {
	if w.rt.HedgeBudget <= 0 || len(w.plan.Attempts) < 2 || len(w.inflight) != 1 {
		return nil, func() {}
	}
	after := w.rt.HedgeAfter
	if after <= 0 {
		after = w.e.health.P95TTFT(w.inflight[0].t.Name)
	}
	if after <= 0 {
		return nil, func() {}
	}
	t := time.NewTimer(after)
	return t.C, func() { t.Stop() }
}

// maybeHedge starts a second attempt beside a slow first one, within the
// model's hedge budget (a share of its requests).
func (w *walk) maybeHedge() {
	if len(w.inflight) != 1 {
		return
	}
	budget := w.rt.HedgeBudget * float64(w.rt.Live.requests.Load())
	if float64(w.rt.Live.hedges.Load()+1) > budget {
		w.e.metrics.Hedges.WithLabelValues(w.rt.Model.Name, "over_budget").Inc()
		return
	}
	if w.startNext(true) {
		w.rt.Live.hedges.Add(1)
		w.e.metrics.Hedges.WithLabelValues(w.rt.Model.Name, "started").Inc()
	}
}

// failed meters a failed attempt and updates the deployment's health. It
// returns the failure's kind, with a timeout of ours told apart from a
// client that hung up.
func (e *Executor) failed(rt *Route, a *attempt) gwerr.Kind {
	a.err = classify(a)
	a.cancel(nil)
	if a.stream != nil {
		a.stream.Close()
	}
	a.upEnd()
	ge := gwerr.As(a.err)
	a.endSpan("failed", ge.Kind.String(), providers.UsageOf(a.err))
	m := a.t.Metrics
	m.Duration.Observe(e.now().Sub(a.start).Seconds())
	m.Outcome(ge.Kind.String())
	if !a.pinned {
		e.health.Failure(a.t.Name, ge.Kind)
	}
	if ge.RetryAfter > 0 && (ge.Kind == gwerr.RateLimited || ge.Kind == gwerr.Overloaded) {
		e.health.Cooldown(a.t.Name, ge.RetryAfter)
		m.Cooldowns.Inc()
	}
	if u := providers.UsageOf(a.err); u != nil {
		e.account(a.ctx, a.t, u)
	}
	if ce := e.log.Check(zap.DebugLevel, "attempt failed"); ce != nil {
		ce.Write(attemptFields(a)...) // fields built only when debug is on
	}
	if ge.Kind == gwerr.ModelUnavailable && a.t.unavailLogged.CompareAndSwap(false, true) {
		// Once per deployment until it serves again: a catalogue change
		// needs a human, and one line per request would drown the log.
		e.log.Error("deployment cannot serve its model; its breaker stays open for long",
			zap.String("deployment", a.t.Name), zap.String("provider", a.t.Provider),
			zap.String("provider_model", a.t.Model), zap.Int("status", ge.Status), zap.String("error", ge.Message))
	}
	return ge.Kind
}

// lost cleans up an attempt abandoned because another one won or the
// client left. Its breaker slot is released without a verdict.
func (e *Executor) lost(rt *Route, a *attempt) {
	if a.stream != nil {
		a.stream.Close()
	}
	a.upEnd()
	a.cancel(nil)
	a.t.Metrics.Outcome("canceled")
	if !a.pinned {
		e.health.Release(a.t.Name)
	}
	result := "canceled"
	if a.winResult == "" && (a.hedge || errors.Is(context.Cause(a.ctx), errLost)) {
		result = "hedge_lost"
	}
	e.metrics.Attempts.WithLabelValues(rt.Model.Name, a.t.Name, result).Inc()
	a.endSpan(result, "", nil)
	if a.resp != nil && a.resp.Usage != nil {
		e.account(a.ctx, a.t, a.resp.Usage)
	} else if u := providers.UsageOf(a.err); u != nil {
		e.account(a.ctx, a.t, u)
	}
}

// classify rewrites an error caused by one of our own deadlines into a
// Timeout, so it is retried rather than taken for a client cancel.
func classify(a *attempt) error {
	switch cause := context.Cause(a.ctx); {
	case errors.Is(cause, errAttemptTimeout):
		return gwerr.Wrap(gwerr.Timeout, a.err, "deployment %q did not answer in time", a.t.Name)
	case errors.Is(cause, errFirstToken):
		return gwerr.Wrap(gwerr.Timeout, a.err, "deployment %q sent no first token in time", a.t.Name)
	case errors.Is(cause, errStall):
		return gwerr.Wrap(gwerr.Timeout, a.err, "deployment %q stalled mid-stream", a.t.Name)
	case errors.Is(cause, context.DeadlineExceeded):
		return gwerr.Wrap(gwerr.Timeout, a.err, "deployment %q had not finished when the request timed out", a.t.Name)
	}
	return a.err
}

// account meters the provider's own usage numbers and their cost: the
// provider's reported cost where it gives one, else tokens times the price.
func (e *Executor) account(ctx context.Context, t *Target, u *llm.Usage) {
	m := t.Metrics
	m.InputTokens.Add(float64(u.PromptTokens))
	m.OutputTokens.Add(float64(u.CompletionTokens))
	var cost float64
	priced := true
	switch {
	case u.HasCost:
		cost = u.Cost
		m.Cost.Add(cost)
	case t.HasPrice:
		cost = (float64(u.PromptTokens)*t.Price.InputPerMTok + float64(u.CompletionTokens)*t.Price.OutputPerMTok) / 1e6
		m.Cost.Add(cost)
	default:
		priced = false
		m.CostUnknown.Inc()
	}
	if rm := meterFrom(ctx); rm != nil {
		rm.add(u, cost, priced)
	}
}

// succeeded meters a successful attempt.
func (e *Executor) succeeded(a *attempt, u *llm.Usage) {
	m := a.t.Metrics
	m.Duration.Observe(e.now().Sub(a.start).Seconds())
	m.Outcome("success")
	latency := a.ttft
	if latency == 0 {
		latency = e.now().Sub(a.start)
	}
	if !a.pinned {
		e.health.Success(a.t.Name, latency)
	}
	a.t.unavailLogged.Store(false)
	e.checkModel(a)
	a.endSpan("success", "", u)
	if u == nil {
		m.UsageMissing.Inc()
		return
	}
	e.account(a.ctx, a.t, u)
}

// checkModel counts and logs (once per deployment) an answer whose model id
// differs from the configured one: an alias moved under the deployment.
func (e *Executor) checkModel(a *attempt) {
	if a.model == "" || a.model == a.t.Model {
		return
	}
	a.t.Metrics.ModelMismatch.Inc()
	if a.t.mismatchLogged.CompareAndSwap(false, true) {
		e.log.Warn("provider answered with a different model than configured",
			zap.String("deployment", a.t.Name), zap.String("provider", a.t.Provider),
			zap.String("configured_model", a.t.Model), zap.String("answered_model", a.model))
	}
}
