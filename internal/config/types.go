// Package config loads, defaults and validates windrose's YAML
// configuration. Decoding is strict (unknown keys are errors), ${ENV}
// references expand, and every problem is reported at once with its path.
//
// The doc comments on the fields below are the reference documentation of
// the file format: each states its default. Entry points are Load / Parse
// (built-in provider kinds) and LoadWith / ParseWith (Options).
package config

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole gateway configuration.
type Config struct {
	Server Server  `yaml:"server"`
	Models []Model `yaml:"models"`
	// Prices adds rows to, or overrides rows of, the built-in price table
	// (config/prices.yaml). A deployment's own Price still wins.
	// Default: the built-in table only.
	Prices []PriceEntry `yaml:"prices"`
	// Keys are named client keys with policies and limits (see Key). They
	// add to server.api_keys, which stay unnamed keys without limits.
	// Default: none.
	Keys []Key `yaml:"keys"`
	// State is where key counters and spend live. Default: memory.
	State State `yaml:"state"`
	// Telemetry configures tracing. Default: off.
	Telemetry Telemetry `yaml:"telemetry,omitempty"`
}

// Server holds listener and process settings.
type Server struct {
	// Listen is the host:port to serve on (":8080" for every interface).
	// Default: 127.0.0.1:8080.
	Listen string `yaml:"listen"`
	// AdminListen, when set, is a second host:port that serves /metrics,
	// /healthz, /readyz and GET /v1/windrose/status, and /metrics and the
	// status endpoint are then no longer served on listen: a sidecar can
	// keep the API on loopback and expose only this port to the kubelet
	// and Prometheus. Must differ from listen. Default: none (everything on
	// listen).
	AdminListen string `yaml:"admin_listen,omitempty"`
	// MaxBodyBytes caps a request body: a plain number of bytes or a size
	// with unit B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of
	// 1024), e.g. "4MiB". Must be > 0. Default: 4MiB.
	MaxBodyBytes ByteSize `yaml:"max_body_bytes"`
	// ShutdownGrace is how long in-flight requests may run after SIGTERM, as
	// a Go duration ("30s", "1m"). Must be > 0. Default: 30s.
	ShutdownGrace Duration `yaml:"shutdown_grace"`
	// DrainDelay is how long, after SIGTERM, windrose keeps accepting
	// requests while /readyz answers 503, so load balancers stop sending
	// traffic before the listener closes; shutdown_grace starts after it.
	// Default: 0s (a Kubernetes preStop sleep does the same job).
	DrainDelay Duration `yaml:"drain_delay"`
	// RequestTimeout bounds a whole request, all attempts included. Must be
	// > 0. Default: 10m.
	RequestTimeout Duration `yaml:"request_timeout"`
	// PreferRegion orders deployments in this region or geo first inside
	// their priority tier (a sidecar's own region). Must be a geo label or a
	// region id windrose knows or a deployment uses. Default: none.
	PreferRegion string `yaml:"prefer_region"`
	// APIKeys, when set, are the keys clients must send as
	// "Authorization: Bearer <key>". Usually ${ENV} references; an entry
	// that expands to "" is an error. Default: none (no client auth; loopback use).
	APIKeys []Secret `yaml:"api_keys"`
	// AllowUnauthenticated lets windrose serve /v1 with no client keys on
	// a non-loopback listen address (a pod-private sidecar behind a
	// NetworkPolicy). Without it such a config is refused. Default: false.
	AllowUnauthenticated bool `yaml:"allow_unauthenticated"`
	// AdminKeys may read every key's standing at GET /v1/windrose/keys
	// (plaintext via ${ENV}, or sha256:<hex>). Default: none (no admin view).
	AdminKeys []Secret `yaml:"admin_keys"`
	// BodyReadTimeout bounds reading one request's body, so a client that
	// trickles a large body cannot hold a goroutine and a buffer forever
	// (408 past it). Must be > 0. Default: 30s.
	BodyReadTimeout Duration `yaml:"body_read_timeout"`
	// IdleTimeout closes a keep-alive connection idle this long. Must be
	// > 0. Default: 120s.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// MaxHeaderBytes caps the request line and headers (a size like
	// max_body_bytes). Must be > 0. Default: 64KiB.
	MaxHeaderBytes ByteSize `yaml:"max_header_bytes"`
	// StreamWriteTimeout bounds each write of a stream to the client: a
	// client that stops reading is cut, its upstream attempt canceled, and
	// it counts as a client problem, never against the provider. Must be
	// > 0. Default: 30s.
	StreamWriteTimeout Duration `yaml:"stream_write_timeout"`
	// MaxInFlight caps the /v1 requests served at once; the ones beyond it
	// get 503 "overloaded" with Retry-After: 1 instead of queueing. Must be
	// > 0. Default: 256 (a sidecar's share).
	MaxInFlight int `yaml:"max_in_flight"`
	// AllowPinning lets clients pin one deployment with the
	// X-Windrose-Deployment header (a debugging tool: no failover). Pinned
	// requests still honour Retry-After cooldowns and never take part in a
	// breaker's probes. Default: true on a loopback listen address (and in
	// windrose demo), false otherwise.
	AllowPinning *bool `yaml:"allow_pinning"`
	// LogBodies logs request and response bodies at debug level. Default: false.
	LogBodies bool `yaml:"log_bodies"`
	// LogLevel is debug, info, warn or error. Default: info.
	LogLevel string `yaml:"log_level"`
	// Breaker tunes the per-deployment circuit breakers. Default: see Breaker.
	Breaker Breaker `yaml:"breaker"`
	// Upstream tunes the HTTP client adapters call providers with.
	// Default: see Upstream.
	Upstream Upstream `yaml:"upstream"`
}

// Breaker tunes the circuit breaker every deployment has. Zero fields take
// the defaults.
type Breaker struct {
	// ConsecutiveFailures opens the breaker after this many failures in a
	// row. Default: 5.
	ConsecutiveFailures int `yaml:"consecutive_failures"`
	// FailureRate opens it when this share (0..1) of the requests in Window
	// failed... Default: 0.5.
	FailureRate float64 `yaml:"failure_rate"`
	// MinRequests ...with at least this many requests in Window. Default: 20.
	MinRequests int `yaml:"min_requests"`
	// Window is the span the failure rate is measured over. Default: 30s.
	Window Duration `yaml:"window"`
	// OpenFor is how long an open breaker waits before a half-open probe:
	// the longest a recovered deployment waits for traffic. Default: 10s.
	OpenFor Duration `yaml:"open_for"`
	// HalfOpenProbes is how many successful probes close it. Default: 1.
	HalfOpenProbes int `yaml:"half_open_probes"`
	// ModelUnavailableOpenFor is how long a deployment that answered "model
	// unavailable" (retired, not found, not deployed) stays out of rotation
	// before a probe: its breaker opens at once, for this long.
	// Default: 10m.
	ModelUnavailableOpenFor Duration `yaml:"model_unavailable_open_for"`
}

// Model is one model alias clients can ask for, and the deployments that
// serve it.
type Model struct {
	// Name is what clients send as "model". Required; unique across all
	// model names and aliases.
	Name string `yaml:"name"`
	// Aliases are other names that resolve to this model. Each is unique
	// across all model names and aliases. Default: none.
	Aliases []string `yaml:"aliases"`
	// Strategy orders deployments inside a priority tier: weighted (default),
	// latency (lowest recent time to first token) or cost (cheapest first).
	Strategy string `yaml:"strategy"`
	// Regions limits every request for this model to deployments whose geo
	// (eu, us, uk, ca, sa, apac, jp, au, me, af, global) or exact region id
	// is listed (data residency). It filters; it never falls back out of
	// region. "global" deployments match only an explicit "global" entry.
	// Default: no limit.
	Regions []string `yaml:"regions"`
	// Attempts caps how many attempts one request makes. Must be > 0. Default: 3.
	Attempts int `yaml:"attempts"`
	// AttemptTimeout bounds one non-streamed attempt. Must be > 0. Default: 120s.
	AttemptTimeout Duration `yaml:"attempt_timeout"`
	// FirstTokenTimeout bounds the wait for a stream's first content: "auto"
	// (a per-deployment bound from that deployment's own observed time to
	// first token, tuned by FirstTokenAuto) or a fixed Go duration (> 0).
	// Default: auto.
	FirstTokenTimeout FirstTokenTimeout `yaml:"first_token_timeout"`
	// FirstTokenAuto tunes first_token_timeout: auto. Default: see
	// FirstTokenAuto.
	FirstTokenAuto FirstTokenAuto `yaml:"first_token_auto"`
	// StallTimeout bounds the gap between two stream chunks. Must be > 0.
	// Default: 30s.
	StallTimeout Duration `yaml:"stall_timeout"`
	// Hedge starts a second attempt when the first is slow. Default: off.
	Hedge *Hedge `yaml:"hedge"`
	// Resume heals a stream that broke after the client got text, on
	// another deployment (see Resume). Default: off.
	Resume Resume `yaml:"resume"`
	// Deployments serve this model. At least one is required.
	Deployments []Deployment `yaml:"deployments"`
}

// FirstTokenTimeout is "auto" or a fixed duration.
type FirstTokenTimeout struct {
	Auto  bool
	Fixed Duration // when not Auto
}

// FirstTokenAuto tunes the adaptive first-token bound of each deployment:
// Factor times its observed p99 time to first token, at least Floor, plus
// PerKPromptTokens for every 1000 (estimated) prompt tokens, at most
// Ceiling; ColdStart (plus the prompt allowance) until it has MinSamples
// observations. Zero fields take the defaults.
type FirstTokenAuto struct {
	// Floor is the smallest bound. Default: 3s.
	Floor Duration `yaml:"floor"`
	// Ceiling is the largest bound, prompt allowance included. Default: 30s.
	Ceiling Duration `yaml:"ceiling"`
	// ColdStart is the bound before MinSamples observations. Default: 30s.
	ColdStart Duration `yaml:"cold_start"`
	// Factor multiplies the observed p99. Must be >= 1 when set. Default: 4.
	Factor float64 `yaml:"factor"`
	// PerKPromptTokens is added per 1000 prompt tokens (estimated as
	// bytes/4): a long prompt takes longer to prefill. Default: 250ms.
	PerKPromptTokens Duration `yaml:"per_1k_prompt_tokens"`
	// MinSamples is how many observed first tokens make the history
	// trustworthy. Default: 20.
	MinSamples int `yaml:"min_samples"`
}

// Hedge configures hedged requests.
type Hedge struct {
	// After is how long to wait for a first token before hedging. Zero means
	// the deployment's observed p95 time to first token. Must be >= 0.
	// Default: 0.
	After Duration `yaml:"after"`
	// Budget is the largest share of requests that may be hedged, in (0, 1].
	// Default: 0.1 (when hedge is set).
	Budget float64 `yaml:"budget"`
}

// Deployment is one provider endpoint serving a model: the unit of weight,
// health and metrics.
type Deployment struct {
	// Name is unique across the config (all models). Required. It labels
	// metrics and the X-Windrose-Deployment header.
	Name string `yaml:"name"`
	// Provider is the adapter kind: mistral, bedrock, azure, vertex, watsonx,
	// openrouter or openai (a generic OpenAI-compatible endpoint). Required.
	Provider string `yaml:"provider"`
	// Model is the provider's own model id (for Azure, the deployment name).
	// Required. A Bedrock inference-profile prefix ("eu.", "us.", "global.")
	// decides the geo.
	Model string `yaml:"model"`
	// Region is the provider's region id, mapped to a geo by
	// internal/region: an AWS region for bedrock, a Google Cloud location for
	// vertex, an Azure region (or "global") for azure, an IBM Cloud region
	// for watsonx. Required for bedrock, vertex, watsonx and azure; optional
	// for mistral (always eu), openrouter (empty is global) and openai.
	// Default: none.
	Region string `yaml:"region"`
	// Geo overrides the geo derived from Region: one of eu, us, uk, ca, sa,
	// apac, jp, au, me, af, global, unknown. Required when Region is set but
	// not a region windrose knows. Default: derived from Region (openai with
	// no region: unknown).
	Geo string `yaml:"geo"`
	// Weight is the share inside its priority tier. Must be > 0. Default: 1.
	Weight int `yaml:"weight"`
	// Priority is the tier; lower tiers are tried first, the next tier is
	// failover. Must be >= 0. Default: 0.
	Priority int `yaml:"priority"`
	// BaseURL overrides the provider's endpoint (emulators, proxies, private
	// links). Must be an absolute http(s) URL. Default: the provider's own.
	BaseURL string `yaml:"base_url"`
	// APIKey is the provider credential, where it takes one; write it as a
	// ${ENV} reference. Default: none (the provider's native credential
	// chain, where it has one).
	APIKey Secret `yaml:"api_key"`
	// ModelVersion is free text naming the model version this deployment
	// serves ("3.1", "3", "3.5"): sent back as X-Windrose-Model-Version, a
	// label on windrose_tokens_total and in the access log, so failover to
	// another version is visible. Default: none.
	ModelVersion string `yaml:"model_version"`
	// ContextWindow is the deployment's context window in tokens. After a
	// context-length error windrose tries only deployments with a larger
	// declared window. Must be >= 0. Default: 0 (undeclared).
	ContextWindow int `yaml:"context_window"`
	// Price in USD per million tokens; wins over the price tables.
	// Default: the config's prices list, then config/prices.yaml; none
	// means cost is reported as unknown.
	Price *Price `yaml:"price"`
	// Options is the adapter's own block (Bedrock auth chain, Vertex project,
	// watsonx project_id, Azure auth mode…). ${ENV} references in it are
	// expanded; the adapter decodes and validates it with DecodeOptions.
	// Default: none.
	Options yaml.Node `yaml:"options"`
}

// Price is USD per million tokens. Both fields must be >= 0.
type Price struct {
	InputPerMTok  float64 `yaml:"input_per_mtok"`
	OutputPerMTok float64 `yaml:"output_per_mtok"`
}

// PriceEntry is one row of a price table: the provider kind, its own model
// id, and USD per million tokens (>= 0). A provider and model pair appears
// once.
type PriceEntry struct {
	Provider      string  `yaml:"provider"`
	Model         string  `yaml:"model"`
	InputPerMTok  float64 `yaml:"input_per_mtok"`
	OutputPerMTok float64 `yaml:"output_per_mtok"`
}

// Secret is a credential. It never prints: String and MarshalYAML redact it.
type Secret string

// String redacts the secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// MarshalYAML redacts the secret.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// Value returns the secret itself, for the one place that sends it.
func (s Secret) Value() string { return string(s) }

// Duration is a time.Duration written as a Go duration string: "30s", "2m",
// "1h30m". A bare number is rejected.
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// ByteSize is a size in bytes written as 4MiB, 512KiB, 1MB or a plain number.
type ByteSize int64

// Resume configures how a broken stream is resumed on another deployment.
type Resume struct {
	// Mode is off, prefix (continue on a deployment whose adapter supports
	// an assistant prefix) or prefix_or_replay (else resend the request and
	// continue only if the new answer repeats the sent text byte for byte).
	// Default: off.
	Mode string `yaml:"mode"`
	// Max caps resumes per request (each also counts against attempts).
	// Must be >= 0. Default: 1.
	Max int `yaml:"max"`
}
