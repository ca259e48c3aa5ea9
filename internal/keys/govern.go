package keys

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/windrose-gw/windrose/internal/executor"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/state"
	"github.com/windrose-gw/windrose/internal/telemetry"
)

// Governor admits and settles requests of limited keys.
type Governor struct {
	store   state.Store
	metrics *telemetry.KeyMetrics
	now     func() time.Time
	log     *zap.Logger
}

// NewGovernor returns a governor over store.
func NewGovernor(store state.Store, m *telemetry.KeyMetrics, now func() time.Time, log *zap.Logger) *Governor {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Governor{store: store, metrics: m, now: now, log: log}
}

// Store is the governor's state backend.
func (g *Governor) Store() state.Store { return g.store }

// Ticket is one admitted request of a key.
type Ticket struct {
	key      *Key
	model    string
	decision state.Decision
	Meter    executor.Meter
}

// Estimate is the token reservation for a request: its output cap (or the
// key's default) plus prompt bytes / 4.
func (k *Key) Estimate(maxTokens *int, bodyBytes int) int64 {
	out := k.EstimateOutput
	if maxTokens != nil && *maxTokens > 0 {
		out = int64(*maxTokens)
	}
	return out + int64(bodyBytes/4)
}

// Admit checks k's limits for one request of model. A refusal is a
// RateLimited error (code rate_limit_exceeded or budget_exceeded, with
// Retry-After); a fail_closed state outage is Unavailable. A key without
// limits is admitted without touching the store.
func (g *Governor) Admit(ctx context.Context, k *Key, model string, estimate int64) (*Ticket, error) {
	t := &Ticket{key: k, model: model}
	if !k.Limited() {
		return t, nil
	}
	now := g.now()
	d, err := g.store.Admit(ctx, state.Admission{Key: k.Name, Limits: k.Limits, Tokens: estimate, Now: now})
	if err != nil {
		g.metrics.Refusals.WithLabelValues(k.Name, "state").Inc()
		if errors.Is(err, state.ErrUnavailable) {
			e := gwerr.Wrap(gwerr.Unavailable, err, "the shared limit store is unavailable and this gateway is set to fail closed; retry shortly")
			e.Code, e.RetryAfter = "state_unavailable", time.Second
			return nil, e
		}
		return nil, gwerr.Wrap(gwerr.Internal, err, "checking the key's limits failed")
	}
	t.decision = d
	if d.OK() {
		return t, nil
	}
	e := &gwerr.Error{Kind: gwerr.RateLimited, RetryAfter: d.RetryAfter}
	switch d.Reason {
	case state.Budget:
		e.Code = "budget_exceeded"
		e.Message = "key " + strconv.Quote(k.Name) + " has spent its " + k.Limits.Period.String() + "ly budget of $" +
			strconv.FormatFloat(k.Limits.BudgetUSD, 'f', -1, 64) + "; it resets at " + d.BudgetReset.Format(time.RFC3339)
		g.metrics.Refusals.WithLabelValues(k.Name, "budget").Inc()
	case state.RequestRate:
		e.Code = "rate_limit_exceeded"
		e.Message = "key " + strconv.Quote(k.Name) + " is over its limit of " + strconv.FormatInt(k.Limits.RequestsPerMinute, 10) + " requests per minute"
		g.metrics.Refusals.WithLabelValues(k.Name, "requests").Inc()
	default:
		e.Code = "rate_limit_exceeded"
		e.Message = "key " + strconv.Quote(k.Name) + " is over its limit of " + strconv.FormatInt(k.Limits.TokensPerMinute, 10) + " tokens per minute"
		g.metrics.Refusals.WithLabelValues(k.Name, "tokens").Inc()
	}
	return t, e
}

// Headers sets OpenAI's x-ratelimit-* headers and windrose's budget header
// for the key's limits (nothing for a key without limits).
func (t *Ticket) Headers(h http.Header) {
	if t == nil {
		return
	}
	l, d := t.key.Limits, t.decision
	if l.RequestsPerMinute > 0 {
		h.Set("x-ratelimit-limit-requests", strconv.FormatInt(l.RequestsPerMinute, 10))
		h.Set("x-ratelimit-remaining-requests", strconv.FormatInt(d.RemainingRequests, 10))
		h.Set("x-ratelimit-reset-requests", resetText(d.ResetRequests))
	}
	if l.TokensPerMinute > 0 {
		h.Set("x-ratelimit-limit-tokens", strconv.FormatInt(l.TokensPerMinute, 10))
		h.Set("x-ratelimit-remaining-tokens", strconv.FormatInt(d.RemainingTokens, 10))
		h.Set("x-ratelimit-reset-tokens", resetText(d.ResetTokens))
	}
	if l.BudgetUSD > 0 {
		h.Set("x-windrose-budget-remaining-usd", strconv.FormatFloat(max(l.BudgetUSD-d.SpentUSD, 0), 'f', 6, 64))
	}
}

// resetText writes a wait the way OpenAI does ("1s", "6m0s", "20ms").
func resetText(d time.Duration) string {
	if d < time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	}
	return d.Round(time.Millisecond).String()
}

// Settle ends the request: the tokens and cost of every attempt go to the
// key's metrics and, for a limited key, to its counters, refunding or
// charging the difference to the reservation. status is the HTTP status
// the client got.
func (g *Governor) Settle(t *Ticket, status int) {
	if t == nil {
		return
	}
	in, out, usd, _ := t.Meter.Totals()
	name := t.key.Name
	g.metrics.Requests.WithLabelValues(name, t.model, strconv.Itoa(status)).Inc()
	if in > 0 {
		g.metrics.Tokens.WithLabelValues(name, t.model, "input").Add(float64(in))
	}
	if out > 0 {
		g.metrics.Tokens.WithLabelValues(name, t.model, "output").Add(float64(out))
	}
	if usd > 0 {
		g.metrics.Cost.WithLabelValues(name, t.model).Add(usd)
	}
	if !t.key.Limited() || !t.decision.OK() {
		return
	}
	// Settle even when the client is gone: the tokens were spent.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := g.store.Settle(ctx, state.Settlement{Key: name, Limits: t.key.Limits, Reserved: t.decision.Reserved,
		Tokens: in + out, CostUSD: usd, Now: g.now()})
	if err != nil {
		g.log.Warn("settling a key's usage failed", zap.String("key", name), zap.Error(err))
	}
}
