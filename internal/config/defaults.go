package config

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/windrose-gw/windrose/internal/region"
)

// Defaults. Field comments in types.go state the same values.
const (
	DefaultListen            = "127.0.0.1:8080"
	DefaultMaxBodyBytes      = ByteSize(4 << 20)
	DefaultShutdownGrace     = Duration(30 * time.Second)
	DefaultRequestTimeout    = Duration(10 * time.Minute)
	DefaultLogLevel          = "info"
	DefaultBodyReadTimeout   = Duration(30 * time.Second)
	DefaultIdleTimeout       = Duration(120 * time.Second)
	DefaultMaxHeaderBytes    = ByteSize(64 << 10)
	DefaultStreamWrite       = Duration(30 * time.Second)
	DefaultMaxInFlight       = 256
	DefaultStrategy          = "weighted"
	DefaultAttempts          = 3
	DefaultAttemptTimeout    = Duration(120 * time.Second)
	DefaultFirstTokenFloor   = Duration(3 * time.Second)
	DefaultFirstTokenCeiling = Duration(30 * time.Second)
	DefaultFirstTokenCold    = Duration(30 * time.Second)
	DefaultFirstTokenFactor  = 4.0
	DefaultFirstTokenPerK    = Duration(250 * time.Millisecond)
	DefaultFirstTokenSamples = 20
	DefaultStallTimeout      = Duration(30 * time.Second)
	DefaultHedgeBudget       = 0.1
	DefaultWeight            = 1
)

// DefaultFirstTokenTimeout is "auto": each deployment's bound follows its
// own observed time to first token.
var DefaultFirstTokenTimeout = FirstTokenTimeout{Auto: true}

// SetDefaults fills every zero-valued field that has a default, for configs
// built in Go. (Parse fills only keys absent from the file, so that an
// explicit "weight: 0" is reported instead of becoming 1.)
func (c *Config) SetDefaults() {
	applyDefaults(c, func(string) bool { return false })
}

// applyDefaults fills zero-valued fields whose key is not present in the
// document.
func applyDefaults(c *Config, present func(path string) bool) {
	s := &c.Server
	setZero(&s.Listen, DefaultListen, present("server.listen"))
	setZero(&s.MaxBodyBytes, DefaultMaxBodyBytes, present("server.max_body_bytes"))
	setZero(&s.ShutdownGrace, DefaultShutdownGrace, present("server.shutdown_grace"))
	setZero(&s.RequestTimeout, DefaultRequestTimeout, present("server.request_timeout"))
	setZero(&s.LogLevel, DefaultLogLevel, present("server.log_level"))
	setZero(&s.BodyReadTimeout, DefaultBodyReadTimeout, present("server.body_read_timeout"))
	setZero(&s.IdleTimeout, DefaultIdleTimeout, present("server.idle_timeout"))
	setZero(&s.MaxHeaderBytes, DefaultMaxHeaderBytes, present("server.max_header_bytes"))
	setZero(&s.StreamWriteTimeout, DefaultStreamWrite, present("server.stream_write_timeout"))
	setZero(&s.MaxInFlight, DefaultMaxInFlight, present("server.max_in_flight"))
	applyKeyDefaults(c, present)
	for i := range c.Models {
		m := &c.Models[i]
		p := modelPath(i)
		setZero(&m.Strategy, DefaultStrategy, present(p+".strategy"))
		setZero(&m.Attempts, DefaultAttempts, present(p+".attempts"))
		setZero(&m.AttemptTimeout, DefaultAttemptTimeout, present(p+".attempt_timeout"))
		setZero(&m.FirstTokenTimeout, DefaultFirstTokenTimeout, present(p+".first_token_timeout"))
		fa := &m.FirstTokenAuto
		setZero(&fa.Floor, DefaultFirstTokenFloor, present(p+".first_token_auto.floor"))
		setZero(&fa.Ceiling, DefaultFirstTokenCeiling, present(p+".first_token_auto.ceiling"))
		setZero(&fa.ColdStart, DefaultFirstTokenCold, present(p+".first_token_auto.cold_start"))
		setZero(&fa.Factor, DefaultFirstTokenFactor, present(p+".first_token_auto.factor"))
		setZero(&fa.PerKPromptTokens, DefaultFirstTokenPerK, present(p+".first_token_auto.per_1k_prompt_tokens"))
		setZero(&fa.MinSamples, DefaultFirstTokenSamples, present(p+".first_token_auto.min_samples"))
		setZero(&m.StallTimeout, DefaultStallTimeout, present(p+".stall_timeout"))
		if m.Resume.Mode == "" {
			m.Resume.Mode = "off"
		}
		setZero(&m.Resume.Max, 1, present(p+".resume.max"))
		if m.Hedge != nil {
			setZero(&m.Hedge.Budget, DefaultHedgeBudget, present(p+".hedge.budget"))
		}
		for j := range m.Deployments {
			dep := &m.Deployments[j]
			setZero(&dep.Weight, DefaultWeight, present(deploymentPath(i, j)+".weight"))
			if dep.Geo == "" {
				dep.Geo = deriveGeo(dep)
			}
		}
	}
}

// setZero sets *field to def when it is zero and was not written explicitly.
func setZero[T comparable](field *T, def T, explicit bool) {
	var zero T
	if *field == zero && !explicit {
		*field = def
	}
}

// deriveGeo places a deployment: a Bedrock inference profile in the model
// id wins (a "global." profile may run anywhere whatever the region), then
// the region. It returns "" when a non-empty region cannot be placed, or a
// region-bound provider has none; validation then asks for geo or region.
func deriveGeo(d *Deployment) string {
	if d.Provider == "bedrock" {
		if g, ok := region.BedrockProfileGeo(d.Model); ok {
			return g
		}
	}
	if d.Provider == "azure" {
		// The deployment type (Global Standard, Data Zone) decides where an
		// Azure deployment processes, not its resource's region.
		if g, ok := region.AzureDeploymentGeo(optionValue(&d.Options, "deployment_type"), d.Region); ok {
			if g == region.Unknown {
				return ""
			}
			return g
		}
	}
	g := region.Geo(d.Provider, d.Region)
	if g == region.Unknown && (d.Region != "" || regionRequired(d.Provider)) {
		return ""
	}
	return g
}

// optionValue returns the scalar value of key in an adapter's options
// mapping, "" when absent. The adapter validates the block itself.
func optionValue(n *yaml.Node, key string) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// regionRequired reports whether a provider kind needs a region to build
// its endpoint.
func regionRequired(provider string) bool {
	switch provider {
	case "bedrock", "vertex", "watsonx", "azure":
		return true
	}
	return false
}

func modelPath(i int) string { return fmt.Sprintf("models[%d]", i) }

func deploymentPath(i, j int) string { return fmt.Sprintf("models[%d].deployments[%d]", i, j) }
