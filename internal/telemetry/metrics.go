// Package telemetry holds windrose's Prometheus metrics and logger
// construction. Everything is built on an injected Registerer: no global
// state, so tests can run in parallel and assert exact values.
package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Buckets for LLM latencies: tens of milliseconds to minutes.
var (
	durationBuckets = []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300}
	ttftBuckets     = []float64{0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.75, 1.5, 3, 6, 12, 30, 60}
	// The gateway's own time: tens of microseconds to a fraction of a second.
	overheadBuckets = []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25}
)

// Metrics is every metric windrose exports. Label sets are bounded: model
// alias, provider, deployment, region, outcome — never a request id or key.
type Metrics struct {
	Requests         *prometheus.CounterVec   // model, code, stream, api
	RequestDuration  *prometheus.HistogramVec // model, stream, api
	Upstream         *prometheus.CounterVec   // provider, deployment, region, outcome
	UpstreamDuration *prometheus.HistogramVec // provider, deployment, region
	TTFT             *prometheus.HistogramVec // provider, deployment, region
	Tokens           *prometheus.CounterVec   // provider, deployment, region, model, model_version, type
	Cost             *prometheus.CounterVec   // provider, deployment, region, model
	UsageMissing     *prometheus.CounterVec   // provider, deployment, region
	CostUnknown      *prometheus.CounterVec   // provider, deployment, region, model
	Attempts         *prometheus.CounterVec   // model, deployment, result
	Failovers        *prometheus.CounterVec   // model, reason
	DeploymentState  *prometheus.GaugeVec     // provider, deployment, region
	Cooldowns        *prometheus.CounterVec   // deployment
	RegionRejections *prometheus.CounterVec   // model, rule
	Hedges           *prometheus.CounterVec   // model, result
	ModelMismatch    *prometheus.CounterVec   // deployment
	// Overhead is the time a request spent inside windrose, not waiting on
	// a provider: the number that shows the gateway is not the bottleneck.
	Overhead         prometheus.Histogram
	UpstreamInFlight *prometheus.GaugeVec   // deployment
	ConfigReloads    *prometheus.CounterVec // result: success | error
	ConfigLastReload prometheus.Gauge       // unix time of the last good load
	InFlight         *prometheus.GaugeVec   // model: client requests being served (server.max_in_flight caps their sum)
	StreamResumes    *prometheus.CounterVec // model, deployment, result
}

// NewMetrics creates the metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	dep := []string{"provider", "deployment", "region"}
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_requests_total", Help: "Client requests by model alias, HTTP status, streaming and inbound API (chat or responses).",
		}, []string{"model", "code", "stream", "api"}),
		RequestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "windrose_request_duration_seconds", Help: "Client request duration, to the last byte.",
			Buckets: durationBuckets,
		}, []string{"model", "stream", "api"}),
		Upstream: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_upstream_requests_total", Help: "Attempts sent to a deployment, by outcome (success or error kind).",
		}, append(dep, "outcome")),
		UpstreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "windrose_upstream_duration_seconds", Help: "Duration of one upstream attempt, to its last byte.",
			Buckets: durationBuckets,
		}, dep),
		TTFT: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "windrose_upstream_ttft_seconds", Help: "Time from sending an attempt to its first content.",
			Buckets: ttftBuckets,
		}, dep),
		Tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_tokens_total", Help: "Tokens as reported by the provider (type=input|output), failed and losing attempts included; model_version is the deployment's declared version.",
		}, append(dep, "model", "model_version", "type")),
		Cost: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_cost_usd_total", Help: "Cost in USD: the provider's own figure where it reports one, else tokens times the price table.",
		}, append(dep, "model")),
		UsageMissing: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_usage_missing_total", Help: "Successful attempts whose provider reported no token usage (tokens and cost not counted).",
		}, dep),
		CostUnknown: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_cost_unknown_total", Help: "Attempts with usage but no price (neither provider-reported nor in the price table).",
		}, append(dep, "model")),
		Attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_attempts_total", Help: "Attempts per deployment by result: success, retried, failed_over, failed, hedge_won, hedge_lost, canceled.",
		}, []string{"model", "deployment", "result"}),
		Failovers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_failovers_total", Help: "Moves from one deployment to the next, by the failed attempt's error kind.",
		}, []string{"model", "reason"}),
		DeploymentState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "windrose_deployment_state", Help: "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
		}, dep),
		Cooldowns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_cooldowns_total", Help: "Times a deployment was put in cooldown by a Retry-After.",
		}, []string{"deployment"}),
		RegionRejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_region_rejections_total", Help: "Requests refused because no deployment satisfied a region rule.",
		}, []string{"model", "rule"}),
		Hedges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_hedges_total", Help: "Hedged second attempts started, by result.",
		}, []string{"model", "result"}),
		ModelMismatch: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_model_mismatch_total", Help: "Answers whose model id differs from the deployment's configured one (an alias moved).",
		}, []string{"deployment"}),
		Overhead: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "windrose_overhead_seconds", Help: "Time spent inside windrose per request, excluding time waiting on providers.",
			Buckets: overheadBuckets,
		}),
		UpstreamInFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "windrose_upstream_in_flight", Help: "Attempts to a deployment in progress (streams until they end).",
		}, []string{"deployment"}),
		ConfigReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_config_reloads_total", Help: "Config reloads (SIGHUP or file change) by result; an error keeps the old config serving.",
		}, []string{"result"}),
		ConfigLastReload: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "windrose_config_last_reload_success_timestamp_seconds", Help: "Unix time of the last successful config load (start-up included).",
		}),
		InFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "windrose_in_flight", Help: "Client requests being served now, by model alias (server.max_in_flight caps the total).",
		}, []string{"model"}),
		StreamResumes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "windrose_stream_resumes_total",
			Help: "Broken streams resumed on another deployment, by result: resumed (prefix), replayed, diverged, refused (prefix rejected), failed.",
		}, []string{"model", "deployment", "result"}),
	}
	m.ConfigReloads.WithLabelValues("success")
	m.ConfigReloads.WithLabelValues("error")
	reg.MustRegister(m.Overhead, m.UpstreamInFlight, m.ConfigReloads, m.ConfigLastReload, m.InFlight, m.StreamResumes)
	reg.MustRegister(m.Requests, m.RequestDuration, m.Upstream, m.UpstreamDuration, m.TTFT,
		m.Tokens, m.Cost, m.UsageMissing, m.CostUnknown, m.Attempts, m.Failovers,
		m.DeploymentState, m.Cooldowns, m.RegionRejections, m.Hedges, m.ModelMismatch)
	return m
}

// Deployment holds one deployment's pre-resolved metric children, so the hot
// path does no label hashing.
type Deployment struct {
	Duration      prometheus.Observer
	TTFT          prometheus.Observer
	InputTokens   prometheus.Counter
	OutputTokens  prometheus.Counter
	Cost          prometheus.Counter
	UsageMissing  prometheus.Counter
	CostUnknown   prometheus.Counter
	State         prometheus.Gauge
	Cooldowns     prometheus.Counter
	ModelMismatch prometheus.Counter
	InFlight      prometheus.Gauge // windrose_upstream_in_flight

	upstream *prometheus.CounterVec
	labels   [3]string
}

// ForDeployment resolves the children for one deployment serving model alias.
func (m *Metrics) ForDeployment(provider, deployment, region, model string) *Deployment {
	return m.ForVersion(provider, deployment, region, model, "")
}

// ForVersion is ForDeployment for a deployment that declares the model
// version it serves (the model_version label of windrose_tokens_total).
func (m *Metrics) ForVersion(provider, deployment, region, model, version string) *Deployment {
	l := []string{provider, deployment, region}
	return &Deployment{
		ModelMismatch: m.ModelMismatch.WithLabelValues(deployment),
		Duration:      m.UpstreamDuration.WithLabelValues(l...),
		TTFT:          m.TTFT.WithLabelValues(l...),
		InputTokens:   m.Tokens.WithLabelValues(provider, deployment, region, model, version, "input"),
		OutputTokens:  m.Tokens.WithLabelValues(provider, deployment, region, model, version, "output"),
		Cost:          m.Cost.WithLabelValues(provider, deployment, region, model),
		UsageMissing:  m.UsageMissing.WithLabelValues(l...),
		CostUnknown:   m.CostUnknown.WithLabelValues(provider, deployment, region, model),
		State:         m.DeploymentState.WithLabelValues(l...),
		Cooldowns:     m.Cooldowns.WithLabelValues(deployment),
		InFlight:      m.UpstreamInFlight.WithLabelValues(deployment),
		upstream:      m.Upstream,
		labels:        [3]string{provider, deployment, region},
	}
}

// Outcome counts one attempt's outcome ("success" or an error kind's label).
func (d *Deployment) Outcome(outcome string) {
	d.upstream.WithLabelValues(d.labels[0], d.labels[1], d.labels[2], outcome).Inc()
}
