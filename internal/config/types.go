// Package config loads, defaults and validates windrose's YAML
// configuration. Decoding is strict (unknown keys are errors), ${ENV}
// references expand, and every problem is reported at once with its path.
package config

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole gateway configuration.
type Config struct {
	Server Server  `yaml:"server"`
	Models []Model `yaml:"models"`
	// Prices overrides or extends config/prices.yaml's table.
	// Default: the built-in table only.
	Prices []PriceEntry `yaml:"prices"`
}

// Server holds listener and process settings.
type Server struct {
	// Listen is the address to serve on. Default: 127.0.0.1:8080.
	Listen string `yaml:"listen"`
	// MaxBodyBytes caps a request body ("4MiB", "512KiB" or bytes). Default: 4MiB.
	MaxBodyBytes ByteSize `yaml:"max_body_bytes"`
	// ShutdownGrace is how long in-flight requests may run after SIGTERM. Default: 30s.
	ShutdownGrace Duration `yaml:"shutdown_grace"`
	// RequestTimeout bounds a whole request, all attempts included. Default: 10m.
	RequestTimeout Duration `yaml:"request_timeout"`
	// PreferRegion orders deployments in this region or geo first inside
	// their priority tier (a sidecar's own region). Default: none.
	PreferRegion string `yaml:"prefer_region"`
	// APIKeys, when set, are the keys clients must send as
	// "Authorization: Bearer <key>". Default: none (no client auth; loopback use).
	APIKeys []Secret `yaml:"api_keys"`
	// LogBodies logs request and response bodies at debug level. Default: false.
	LogBodies bool `yaml:"log_bodies"`
	// LogLevel is debug, info, warn or error. Default: info.
	LogLevel string `yaml:"log_level"`
}

// Model is one model alias clients can ask for, and the deployments that
// serve it.
type Model struct {
	// Name is what clients send as "model".
	Name string `yaml:"name"`
	// Aliases are other names that resolve to this model.
	Aliases []string `yaml:"aliases"`
	// Strategy orders deployments inside a priority tier: weighted (default),
	// latency (lowest recent time to first token) or cost (cheapest first).
	Strategy string `yaml:"strategy"`
	// Regions limits every request for this model to these geos or regions
	// (data residency). Default: no limit.
	Regions []string `yaml:"regions"`
	// Attempts caps how many attempts one request makes. Default: 3.
	Attempts int `yaml:"attempts"`
	// AttemptTimeout bounds one non-streamed attempt. Default: 120s.
	AttemptTimeout Duration `yaml:"attempt_timeout"`
	// FirstTokenTimeout bounds the wait for a stream's first content. Default: 30s.
	FirstTokenTimeout Duration `yaml:"first_token_timeout"`
	// StallTimeout bounds the gap between two stream chunks. Default: 30s.
	StallTimeout Duration `yaml:"stall_timeout"`
	// Hedge starts a second attempt when the first is slow. Default: off.
	Hedge *Hedge `yaml:"hedge"`
	// Deployments serve this model.
	Deployments []Deployment `yaml:"deployments"`
}

// Hedge configures hedged requests.
type Hedge struct {
	// After is how long to wait for a first token before hedging. Zero means
	// the deployment's observed p95 time to first token.
	After Duration `yaml:"after"`
	// Budget is the largest share of requests (0..1) that may be hedged. Default: 0.1.
	Budget float64 `yaml:"budget"`
}

// Deployment is one provider endpoint serving a model: the unit of weight,
// health and metrics.
type Deployment struct {
	// Name is unique across the config.
	Name string `yaml:"name"`
	// Provider is the adapter kind: mistral, bedrock, azure, vertex, watsonx,
	// openrouter or openai.
	Provider string `yaml:"provider"`
	// Model is the provider's own model id.
	Model string `yaml:"model"`
	// Region is the provider's region id (mapped to a geo).
	Region string `yaml:"region"`
	// Geo overrides the geo derived from Region (eu, us, global, …).
	Geo string `yaml:"geo"`
	// Weight is the share inside its priority tier. Default: 1.
	Weight int `yaml:"weight"`
	// Priority is the tier; lower tiers are tried first. Default: 0.
	Priority int `yaml:"priority"`
	// BaseURL overrides the provider's endpoint.
	BaseURL string `yaml:"base_url"`
	// APIKey is the provider credential, where it takes one.
	APIKey Secret `yaml:"api_key"`
	// Price in USD per million tokens. Default: from the price table.
	Price *Price `yaml:"price"`
	// Options is the adapter's own block; the adapter decodes and validates it.
	Options yaml.Node `yaml:"options"`
}

// Price is USD per million tokens.
type Price struct {
	InputPerMTok  float64 `yaml:"input_per_mtok"`
	OutputPerMTok float64 `yaml:"output_per_mtok"`
}

// PriceEntry is one row of the price table.
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

// Duration is a time.Duration written as "30s", "2m".
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// ByteSize is a size in bytes written as 4MiB, 512KiB, 1MB or a plain number.
type ByteSize int64
