package config

import (
	"encoding/hex"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"
)

// Key is one named client key: who may call windrose, for which models and
// regions, how fast and for how much.
type Key struct {
	// Name labels the key in logs, metrics and traces: 1 to 64 characters
	// of [a-zA-Z0-9_.-], unique. Required.
	Name string `yaml:"name"`
	// Key is the secret clients send as "Authorization: Bearer <key>":
	// usually a ${ENV} reference, or "sha256:<64 hex digits>" (the SHA-256
	// of the key), so the plaintext never sits in a ConfigMap. Required.
	Key Secret `yaml:"key"`
	// Models limits the key to these model names or aliases. Default: all.
	Models []string `yaml:"models"`
	// Regions is the key's residency policy (geos or region ids); it
	// intersects with the model's rule and the request's header. Default:
	// no policy.
	Regions []string `yaml:"regions"`
	// Rate limits requests and tokens per minute. Default: none.
	Rate *Rate `yaml:"rate"`
	// Budget caps spend per calendar period. Default: none.
	Budget *Budget `yaml:"budget"`
	// Metadata is free text for humans (owner, cost centre). Never a label.
	Metadata map[string]string `yaml:"metadata"`
}

// Rate is a key's rate limit. Zero fields are no limit.
type Rate struct {
	// RequestsPerMinute must be >= 0. Default: 0 (no limit).
	RequestsPerMinute int64 `yaml:"requests_per_minute"`
	// TokensPerMinute (input plus output) must be >= 0, at most 60000000.
	// A request reserves max_tokens (or EstimateOutputTokens) plus prompt
	// bytes / 4 when it starts and settles with the real usage when it
	// ends. Default: 0 (no limit).
	TokensPerMinute int64 `yaml:"tokens_per_minute"`
	// EstimateOutputTokens is the reservation for a request that sets no
	// max_tokens. Must be >= 0. Default: 1024.
	EstimateOutputTokens int64 `yaml:"estimate_output_tokens"`
}

// Budget is a key's spend cap in USD, counted like windrose_cost_usd_total.
type Budget struct {
	// USD must be > 0. Required.
	USD float64 `yaml:"usd"`
	// Period is day, week (ISO, from Monday) or month, in UTC. Default: month.
	Period string `yaml:"period"`
}

// State chooses where key counters and spend live.
type State struct {
	// Backend is memory (one process; spend is lost on restart) or redis
	// (shared by every replica). Default: memory.
	Backend string `yaml:"backend"`
	// URL is the Redis URL (redis://[user:pass@]host:port/db or rediss://),
	// usually ${REDIS_URL}. Required for redis.
	URL Secret `yaml:"url"`
	// Timeout bounds each Redis round trip. Must be > 0. Default: 50ms.
	Timeout Duration `yaml:"timeout"`
	// OnError is fail_open (count locally while Redis is unreachable, then
	// reconcile spend) or fail_closed (503). Default: fail_open.
	OnError string `yaml:"on_error"`
	// Prefix namespaces windrose's Redis keys. Default: "windrose:".
	Prefix string `yaml:"prefix"`
}

// Defaults of keys and state.
const (
	DefaultEstimateOutputTokens = 1024
	DefaultBudgetPeriod         = "month"
	DefaultStateBackend         = "memory"
	DefaultStateTimeout         = Duration(50 * time.Millisecond)
	DefaultStateOnError         = "fail_open"
	MaxTokensPerMinute          = 60_000_000
)

var keyName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)

// KeyHash returns the SHA-256 of a key entry as given: decoded from
// "sha256:<hex>", or hashed from the plaintext. ok is false for a
// malformed hash.
func KeyHash(s Secret, sum func([]byte) [32]byte) (h [32]byte, ok bool) {
	v := s.Value()
	if hexed, isHash := strings.CutPrefix(v, "sha256:"); isHash {
		b, err := hex.DecodeString(hexed)
		if err != nil || len(b) != 32 {
			return h, false
		}
		copy(h[:], b)
		return h, true
	}
	return sum([]byte(v)), true
}

func applyKeyDefaults(c *Config, present func(string) bool) {
	setZero(&c.State.Backend, DefaultStateBackend, present("state.backend"))
	setZero(&c.State.Timeout, DefaultStateTimeout, present("state.timeout"))
	setZero(&c.State.OnError, DefaultStateOnError, present("state.on_error"))
	setZero(&c.State.Prefix, "windrose:", present("state.prefix"))
	for i := range c.Keys {
		k := &c.Keys[i]
		p := fmt.Sprintf("keys[%d]", i)
		if k.Rate != nil {
			setZero(&k.Rate.EstimateOutputTokens, DefaultEstimateOutputTokens, present(p+".rate.estimate_output_tokens"))
		}
		if k.Budget != nil {
			setZero(&k.Budget.Period, DefaultBudgetPeriod, present(p+".budget.period"))
		}
	}
}

func validateKeys(p *problems, c *Config, modelNames map[string]bool, known func(string) bool, sum func([]byte) [32]byte) {
	names := map[string]string{}
	hashes := map[[32]byte]string{}
	for i := range c.Server.APIKeys {
		if h, ok := KeyHash(c.Server.APIKeys[i], sum); ok {
			hashes[h] = fmt.Sprintf("server.api_keys[%d]", i)
		}
	}
	for i := range c.Keys {
		k := &c.Keys[i]
		kp := fmt.Sprintf("keys[%d]", i)
		switch first, dup := names[k.Name]; {
		case !keyName.MatchString(k.Name):
			p.add(kp+".name", "must be 1 to 64 characters of a-z, A-Z, 0-9, _ . - (it is a metric label)")
		case dup:
			p.add(kp+".name", "%q is already used by %s", k.Name, first)
		default:
			names[k.Name] = kp
		}
		if strings.TrimSpace(k.Key.Value()) == "" {
			p.add(kp+".key", "required (a ${ENV} reference or sha256:<hex>)")
		} else if h, ok := KeyHash(k.Key, sum); !ok {
			p.add(kp+".key", "a sha256: key must be followed by 64 hex digits")
		} else if first, dup := hashes[h]; dup {
			p.add(kp+".key", "the same key is already used by %s", first)
		} else {
			hashes[h] = kp
		}
		for j, m := range k.Models {
			if !modelNames[strings.ToLower(m)] {
				p.add(fmt.Sprintf("%s.models[%d]", kp, j), "unknown model or alias %q", m)
			}
		}
		for j, r := range k.Regions {
			if !known(r) {
				p.add(fmt.Sprintf("%s.regions[%d]", kp, j), "unknown geo or region %q", r)
			}
		}
		if r := k.Rate; r != nil {
			if r.RequestsPerMinute < 0 {
				p.add(kp+".rate.requests_per_minute", "must be >= 0")
			}
			if r.TokensPerMinute < 0 || r.TokensPerMinute > MaxTokensPerMinute {
				p.add(kp+".rate.tokens_per_minute", "must be between 0 and %d", MaxTokensPerMinute)
			}
			if r.EstimateOutputTokens < 0 {
				p.add(kp+".rate.estimate_output_tokens", "must be >= 0")
			}
		}
		if b := k.Budget; b != nil {
			if !(b.USD > 0) {
				p.add(kp+".budget.usd", "must be > 0")
			}
			if b.Period != "day" && b.Period != "week" && b.Period != "month" {
				p.add(kp+".budget.period", "must be day, week or month")
			}
		}
	}
	s := &c.State
	switch s.Backend {
	case "memory":
	case "redis":
		if strings.TrimSpace(s.URL.Value()) == "" {
			p.add("state.url", "required for the redis backend")
		}
	default:
		p.add("state.backend", "must be memory or redis")
	}
	if s.Timeout <= 0 {
		p.add("state.timeout", "must be > 0")
	}
	if s.OnError != "fail_open" && s.OnError != "fail_closed" {
		p.add("state.on_error", "must be fail_open or fail_closed")
	}
}

// ClientAuthProblem explains why c may not serve: a listen address other
// than loopback with no client key and no explicit allow_unauthenticated
// would let anyone who reaches the port spend the provider keys. Empty when
// c is fine.
func ClientAuthProblem(c *Config) string {
	s := &c.Server
	if _, _, err := net.SplitHostPort(s.Listen); err != nil {
		return "" // reported as a malformed listen address
	}
	if len(s.APIKeys) > 0 || len(c.Keys) > 0 || s.AllowUnauthenticated || loopback(s.Listen) {
		return ""
	}
	return fmt.Sprintf("listening on %q (not loopback) without client auth would let anyone who reaches it spend your provider keys: "+
		"set keys (or server.api_keys), or server.allow_unauthenticated: true for a pod-private sidecar behind a NetworkPolicy", s.Listen)
}

// PinningAllowed reports whether clients may pin a deployment with
// X-Windrose-Deployment: server.allow_pinning when set, else only on a
// loopback listen address.
func (s *Server) PinningAllowed() bool {
	if s.AllowPinning != nil {
		return *s.AllowPinning
	}
	return loopback(s.Listen)
}

// loopback reports whether a host:port listens on loopback only.
func loopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
