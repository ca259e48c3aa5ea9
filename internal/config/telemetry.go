package config

import (
	"net/url"
)

// Telemetry configures what windrose reports about itself beyond
// Prometheus metrics and logs.
type Telemetry struct {
	// Tracing exports OpenTelemetry traces. Default: off.
	Tracing Tracing `yaml:"tracing"`
}

// Tracing sends one span per client request and one per attempt to an
// OTLP/HTTP collector. Spans carry the GenAI semantic-convention
// attributes and windrose's routing, never a prompt, an answer or a key.
type Tracing struct {
	// Endpoint is the collector's OTLP/HTTP URL, e.g.
	// http://otel-collector:4318 (/v1/traces is added to a URL without a
	// path). Empty: tracing off. Default: empty.
	Endpoint string `yaml:"endpoint"`
	// SamplingRatio is the share of new traces sampled, 0 < r <= 1; an
	// incoming traceparent's sampled flag always wins. Default: 1.
	SamplingRatio float64 `yaml:"sampling_ratio"`
	// Headers are sent with every export (an auth token, usually
	// ${OTEL_TOKEN}). Default: none.
	Headers map[string]Secret `yaml:"headers"`
	// ServiceName is the service.name resource attribute. Default: windrose.
	ServiceName string `yaml:"service_name"`
}

// Ratio is SamplingRatio with its default.
func (t Tracing) Ratio() float64 {
	if t.SamplingRatio == 0 {
		return 1
	}
	return t.SamplingRatio
}

// Service is ServiceName with its default.
func (t Tracing) Service() string {
	if t.ServiceName == "" {
		return "windrose"
	}
	return t.ServiceName
}

// Enabled reports whether traces are exported.
func (t Tracing) Enabled() bool { return t.Endpoint != "" }

// TracesURL is Endpoint with the OTLP traces path when it has none.
func (t Tracing) TracesURL() string {
	u, err := url.Parse(t.Endpoint)
	if err != nil {
		return t.Endpoint
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String()
}

func validateTelemetry(p *problems, t *Telemetry) {
	tr := &t.Tracing
	if tr.SamplingRatio < 0 || tr.SamplingRatio > 1 {
		p.add("telemetry.tracing.sampling_ratio", "must be in (0, 1], got %v", tr.SamplingRatio)
	}
	if tr.Endpoint == "" {
		return
	}
	u, err := url.Parse(tr.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.add("telemetry.tracing.endpoint", "must be an http:// or https:// URL")
	}
}
