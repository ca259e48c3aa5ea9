package telemetry

import "github.com/prometheus/client_golang/prometheus"

// KeyMetrics count per named client key. They are families of their own,
// not a key label on the per-deployment series: keys × deployments ×
// regions would multiply the series count, while key × model stays small.
type KeyMetrics struct {
	Requests    *prometheus.CounterVec // key, model, code
	Tokens      *prometheus.CounterVec // key, model, type
	Cost        *prometheus.CounterVec // key, model
	Refusals    *prometheus.CounterVec // key, reason
	StateErrors prometheus.Counter
}

// NewKeyMetrics creates the per-key metrics and registers them on reg.
func NewKeyMetrics(reg prometheus.Registerer) *KeyMetrics {
	m := &KeyMetrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_key_requests_total", Help: "Client requests by configured key name, model alias and HTTP status.",
		}, []string{"key", "model", "code"}),
		Tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_key_tokens_total", Help: "Tokens by configured key name (type=input|output), every attempt included.",
		}, []string{"key", "model", "type"}),
		Cost: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_key_cost_usd_total", Help: "Cost in USD by configured key name, counted like windrose_cost_usd_total.",
		}, []string{"key", "model"}),
		Refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_key_refusals_total", Help: "Requests refused by a key's limits (reason=requests|tokens|budget|model|state).",
		}, []string{"key", "reason"}),
		StateErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "windrose_state_errors_total", Help: "Failed round trips to the shared state backend (Redis).",
		}),
	}
	reg.MustRegister(m.Requests, m.Tokens, m.Cost, m.Refusals, m.StateErrors)
	return m
}
