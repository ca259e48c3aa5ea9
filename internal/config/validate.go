package config

import (
	"crypto/sha256"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/windrose-gw/windrose/internal/region"
)

// Validate checks a config whose defaults are applied (see SetDefaults)
// against every rule Parse enforces, accepting the given provider kinds
// (empty means DefaultProviders). It returns every problem joined, each a
// *FieldError with its path (no line: the config did not come from a file).
func Validate(c *Config, knownProviders []string) error {
	if len(knownProviders) == 0 {
		knownProviders = DefaultProviders()
	}
	return joinErrors(validate(c, knownProviders))
}

// problems collects validation errors.
type problems []*FieldError

func (p *problems) add(path, format string, args ...any) {
	*p = append(*p, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// validate returns every problem in c, in field order.
func validate(c *Config, providers []string) []*FieldError {
	var p problems
	known := placeNames(c)
	validateServer(&p, &c.Server, known)
	if len(c.Models) == 0 {
		p.add("models", "at least one model is required")
	}
	validateNames(&p, c.Models)
	deployments := map[string]string{} // name → path of first use
	for i := range c.Models {
		validateModel(&p, &c.Models[i], i, known)
		for j := range c.Models[i].Deployments {
			dp := deploymentPath(i, j)
			d := &c.Models[i].Deployments[j]
			if first, dup := deployments[d.Name]; dup && d.Name != "" {
				p.add(dp+".name", "%q is already used by %s", d.Name, first)
			} else {
				deployments[d.Name] = dp + ".name"
			}
			validateDeployment(&p, d, dp, providers)
		}
	}
	validatePriceEntries(&p, "prices", c.Prices, providers)
	models := map[string]bool{}
	for _, m := range c.Models {
		models[strings.ToLower(m.Name)] = true
		for _, a := range m.Aliases {
			models[strings.ToLower(a)] = true
		}
	}
	validateKeys(&p, c, models, known, sha256.Sum256)
	validateTelemetry(&p, &c.Telemetry)
	if msg := ClientAuthProblem(c); msg != "" {
		p.add("server.listen", "%s", msg)
	}
	return p
}

func validateServer(p *problems, s *Server, known func(string) bool) {
	if !validHostPort(s.Listen) {
		p.add("server.listen", "must be host:port, e.g. 127.0.0.1:8080")
	}
	if s.AdminListen != "" && !validHostPort(s.AdminListen) {
		p.add("server.admin_listen", "must be host:port, e.g. 0.0.0.0:9090")
	} else if s.AdminListen != "" && s.AdminListen == s.Listen {
		p.add("server.admin_listen", "must differ from server.listen (leave it unset to serve admin endpoints on listen)")
	}
	if s.MaxBodyBytes <= 0 {
		p.add("server.max_body_bytes", "must be > 0")
	}
	positive(p, "server.shutdown_grace", s.ShutdownGrace)
	positive(p, "server.request_timeout", s.RequestTimeout)
	positive(p, "server.body_read_timeout", s.BodyReadTimeout)
	positive(p, "server.idle_timeout", s.IdleTimeout)
	positive(p, "server.stream_write_timeout", s.StreamWriteTimeout)
	if s.MaxHeaderBytes <= 0 {
		p.add("server.max_header_bytes", "must be > 0")
	}
	if s.MaxInFlight <= 0 {
		p.add("server.max_in_flight", "must be > 0")
	}
	if s.DrainDelay < 0 {
		p.add("server.drain_delay", "must be >= 0")
	}
	if s.PreferRegion != "" && !known(s.PreferRegion) {
		p.add("server.prefer_region", "unknown geo or region %q (want a geo such as eu, us, global, or a region id)", s.PreferRegion)
	}
	for i, k := range s.APIKeys {
		if strings.TrimSpace(k.Value()) == "" {
			p.add(fmt.Sprintf("server.api_keys[%d]", i), "must not be empty")
		} else if _, ok := KeyHash(k, sha256.Sum256); !ok {
			p.add(fmt.Sprintf("server.api_keys[%d]", i), "a sha256: key must be followed by 64 hex digits")
		}
	}
	for i, k := range s.AdminKeys {
		if _, ok := KeyHash(k, sha256.Sum256); !ok || strings.TrimSpace(k.Value()) == "" {
			p.add(fmt.Sprintf("server.admin_keys[%d]", i), "must be a key or sha256:<64 hex digits>")
		}
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, s.LogLevel) {
		p.add("server.log_level", "must be one of debug, info, warn, error")
	}
	validateBreaker(p, &s.Breaker)
	validateUpstream(p, &s.Upstream)
}

// validateBreaker checks the breaker block; zero fields mean defaults.
func validateBreaker(p *problems, b *Breaker) {
	if b.ConsecutiveFailures < 0 {
		p.add("server.breaker.consecutive_failures", "must be >= 0")
	}
	if b.FailureRate < 0 || b.FailureRate > 1 {
		p.add("server.breaker.failure_rate", "must be between 0 and 1")
	}
	if b.MinRequests < 0 {
		p.add("server.breaker.min_requests", "must be >= 0")
	}
	if b.Window < 0 {
		p.add("server.breaker.window", "must be >= 0")
	}
	if b.OpenFor < 0 {
		p.add("server.breaker.open_for", "must be >= 0")
	}
	if b.HalfOpenProbes < 0 {
		p.add("server.breaker.half_open_probes", "must be >= 0")
	}
}

// validHostPort accepts "host:port" and ":port" with a port in 0..65535.
func validHostPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

// validateNames checks that model names and aliases are non-empty and that
// no name or alias is used twice across all models.
func validateNames(p *problems, models []Model) {
	used := map[string]string{} // name or alias → path of first use
	claim := func(name, path string) {
		if name == "" {
			p.add(path, "must not be empty")
			return
		}
		if first, dup := used[name]; dup {
			p.add(path, "%q is already used by %s", name, first)
			return
		}
		used[name] = path
	}
	// Names first, so an alias colliding with a later model's name is
	// reported at the alias.
	for i, m := range models {
		claim(m.Name, modelPath(i)+".name")
	}
	for i, m := range models {
		for j, a := range m.Aliases {
			claim(a, fmt.Sprintf("%s.aliases[%d]", modelPath(i), j))
		}
	}
}

func validateModel(p *problems, m *Model, i int, known func(string) bool) {
	mp := modelPath(i)
	if !slices.Contains([]string{"weighted", "latency", "cost"}, m.Strategy) {
		p.add(mp+".strategy", "must be one of weighted, latency, cost")
	}
	for j, r := range m.Regions {
		if !known(r) {
			p.add(fmt.Sprintf("%s.regions[%d]", mp, j), "unknown geo or region %q (want a geo such as eu, us, global, or a region id)", r)
		}
	}
	if m.Attempts <= 0 {
		p.add(mp+".attempts", "must be > 0")
	}
	positive(p, mp+".attempt_timeout", m.AttemptTimeout)
	if !m.FirstTokenTimeout.Auto {
		positive(p, mp+".first_token_timeout", m.FirstTokenTimeout.Fixed)
	}
	validateFirstTokenAuto(p, &m.FirstTokenAuto, mp+".first_token_auto")
	positive(p, mp+".stall_timeout", m.StallTimeout)
	if h := m.Hedge; h != nil {
		if h.After < 0 {
			p.add(mp+".hedge.after", "must be >= 0")
		}
		if !(h.Budget > 0 && h.Budget <= 1) {
			p.add(mp+".hedge.budget", "must be in (0, 1]")
		}
	}
	switch m.Resume.Mode {
	case "off", "prefix", "prefix_or_replay":
	default:
		p.add(mp+".resume.mode", "unknown mode %q (want off, prefix or prefix_or_replay)", m.Resume.Mode)
	}
	if m.Resume.Max < 0 {
		p.add(mp+".resume.max", "must be >= 0")
	}
	if len(m.Deployments) == 0 {
		p.add(mp+".deployments", "at least one deployment is required")
	}
}

func validateDeployment(p *problems, d *Deployment, dp string, providers []string) {
	if d.Name == "" {
		p.add(dp+".name", "must not be empty")
	}
	if !slices.Contains(providers, d.Provider) {
		p.add(dp+".provider", "unknown provider %q (want one of %s)", d.Provider, strings.Join(providers, ", "))
	}
	if strings.TrimSpace(d.Model) == "" {
		p.add(dp+".model", "must not be empty")
	}
	if d.Weight <= 0 {
		p.add(dp+".weight", "must be > 0")
	}
	if d.Priority < 0 {
		p.add(dp+".priority", "must be >= 0")
	}
	if d.ContextWindow < 0 {
		p.add(dp+".context_window", "must be >= 0 (tokens)")
	}
	if d.BaseURL != "" && !validBaseURL(d.BaseURL) {
		p.add(dp+".base_url", "must be an absolute http or https URL")
	}
	switch {
	case d.Region == "" && regionRequired(d.Provider):
		p.add(dp+".region", "required for provider %s", d.Provider)
	case d.Geo == "" && d.Region != "":
		p.add(dp+".region", "cannot tell where %q is; set geo to one of %s", d.Region, geoList())
	case d.Geo != "" && !region.Known(d.Geo):
		p.add(dp+".geo", "unknown geo %q (want one of %s)", d.Geo, geoList())
	}
	if d.Price != nil {
		nonNegative(p, dp+".price.input_per_mtok", d.Price.InputPerMTok)
		nonNegative(p, dp+".price.output_per_mtok", d.Price.OutputPerMTok)
	}
}

// validBaseURL accepts absolute http(s) URLs with a host.
func validBaseURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// validatePriceEntries checks rows of a price table.
func validatePriceEntries(p *problems, path string, rows []PriceEntry, providers []string) {
	seen := map[priceKey]string{}
	for i, r := range rows {
		rp := fmt.Sprintf("%s[%d]", path, i)
		if !slices.Contains(providers, r.Provider) {
			p.add(rp+".provider", "unknown provider %q (want one of %s)", r.Provider, strings.Join(providers, ", "))
		}
		if r.Model == "" {
			p.add(rp+".model", "must not be empty")
		}
		nonNegative(p, rp+".input_per_mtok", r.InputPerMTok)
		nonNegative(p, rp+".output_per_mtok", r.OutputPerMTok)
		k := priceKey{r.Provider, r.Model}
		if first, dup := seen[k]; dup {
			p.add(rp, "%s %s is already priced by %s", r.Provider, r.Model, first)
		} else {
			seen[k] = rp
		}
	}
}

func validateFirstTokenAuto(p *problems, a *FirstTokenAuto, ap string) {
	positive(p, ap+".floor", a.Floor)
	positive(p, ap+".ceiling", a.Ceiling)
	positive(p, ap+".cold_start", a.ColdStart)
	if a.PerKPromptTokens < 0 {
		p.add(ap+".per_1k_prompt_tokens", "must be >= 0")
	}
	if a.Ceiling < a.Floor {
		p.add(ap+".ceiling", "must be >= floor (%s)", a.Floor)
	}
	if !(a.Factor >= 1) {
		p.add(ap+".factor", "must be >= 1")
	}
	if a.MinSamples <= 0 {
		p.add(ap+".min_samples", "must be > 0")
	}
}

func positive(p *problems, path string, d Duration) {
	if d <= 0 {
		p.add(path, "must be > 0")
	}
}

func nonNegative(p *problems, path string, v float64) {
	if v < 0 || v != v { // v != v catches NaN
		p.add(path, "must be >= 0")
	}
}

// geoList lists the geo labels a config may name.
func geoList() string { return strings.Join(region.Geos(), ", ") }

// placeNames returns a test for what a region rule may name: a geo label
// that names a place, a region id of the built-in tables, or a region some
// deployment in c uses (so a region no table knows still works when its
// deployment sets geo). Matching is case-insensitive.
func placeNames(c *Config) func(string) bool {
	used := map[string]bool{}
	for _, m := range c.Models {
		for _, d := range m.Deployments {
			used[strings.ToLower(d.Region)] = true
		}
	}
	return func(s string) bool {
		s = strings.ToLower(strings.TrimSpace(s))
		return s != "" && (used[s] || region.KnownRegion(s))
	}
}
