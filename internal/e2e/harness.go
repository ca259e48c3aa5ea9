// Package e2e runs windrose end to end, in process: real provider emulators
// on loopback httptest servers, the real gateway in front of them, and real
// OpenAI clients talking to it. Start is the harness the end-to-end and
// chaos suites share.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	configfiles "github.com/windrose-gw/windrose/config"
	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/gateway"
	"github.com/windrose-gw/windrose/internal/upstream"
	"github.com/windrose-gw/windrose/providers/all"
)

// APIKey is the credential every emulator started by Start accepts unless
// WithEmulator says otherwise. Configs may write it literally or as
// ${EMU_API_KEY}.
const APIKey = emukit.DefaultAPIKey

// emulatorRef matches the placeholders Start serves: ${EMU_<NAME>_URL},
// and for an emulator with its own API listener (Vertex's gRPC over TLS)
// ${EMU_<NAME>_ENDPOINT} and ${EMU_<NAME>_CA_FILE}.
var emulatorRef = regexp.MustCompile(`\$\{EMU_([A-Z0-9_]+?)_(?:URL|ENDPOINT|CA_FILE)\}`)

// basePath is the part of a provider's base URL after the emulator's root,
// as its adapter expects it: OpenRouter's API lives under /api.
var basePath = map[string]string{"openrouter": "/api"}

// Option tunes Start.
type Option func(*options)

type options struct {
	emulators map[string]emukit.Options
	env       map[string]string
	logger    *zap.Logger
	gateway   func(*gateway.Options)
}

// WithEmulator sets the options of the emulator instance name (the
// lower-cased placeholder name, such as "mistral" or "mistral_b"). Default:
// emukit's defaults.
func WithEmulator(name string, o emukit.Options) Option {
	return func(s *options) { s.emulators[name] = o }
}

// WithEnv adds a variable the config's ${VAR} references may use. The
// harness never reads the process environment, so runs are hermetic.
func WithEnv(key, value string) Option {
	return func(s *options) { s.env[key] = value }
}

// WithLogger gives the gateway a logger. Default: none (zap.NewNop).
func WithLogger(l *zap.Logger) Option {
	return func(s *options) { s.logger = l }
}

// WithGatewayOptions edits the gateway options just before gateway.New, for
// injecting a clock, rand or breaker settings.
func WithGatewayOptions(edit func(*gateway.Options)) Option {
	return func(s *options) { s.gateway = edit }
}

// Env is one running gateway with its emulators.
type Env struct {
	// URL is the gateway's base URL, without a trailing slash.
	URL string
	// Gateway is the in-process gateway (its Registry, Health, Server).
	Gateway *gateway.Gateway
	// Config is the parsed config the gateway was built from.
	Config *config.Config
	emus   map[string]*Emu
}

// Emu is one running emulator instance.
type Emu struct {
	// Name is the instance name: "mistral" for ${EMU_MISTRAL_URL},
	// "mistral_b" for ${EMU_MISTRAL_B_URL}.
	Name string
	// Provider is the emulated provider kind.
	Provider string
	// URL is the emulator's root, where /_emulator/ lives.
	URL string
	// BaseURL is what ${EMU_<NAME>_URL} expands to: the root plus the path
	// the provider's adapter expects.
	BaseURL string
	// Endpoint (host:port) and CAFile are the API listener and the file
	// with the certificate to trust, for an emulator with its own API
	// listener (Vertex); empty otherwise.
	Endpoint, CAFile string
	client           *http.Client
}

// Start starts every emulator the YAML references as ${EMU_<NAME>_URL},
// parses cfgYAML with those URLs, builds the gateway with a fresh metrics
// registry and the shipped price table, and serves it on loopback. NAME is
// a provider kind, optionally followed by _SUFFIX for a second instance of
// the same provider. Everything stops when the test ends.
func Start(t testing.TB, cfgYAML string, opts ...Option) *Env {
	t.Helper()
	o := options{emulators: map[string]emukit.Options{}, env: map[string]string{"EMU_API_KEY": APIKey}}
	for _, opt := range opts {
		opt(&o)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	env := &Env{emus: map[string]*Emu{}}
	for _, m := range emulatorRef.FindAllStringSubmatch(cfgYAML, -1) {
		name := strings.ToLower(m[1])
		if env.emus[name] != nil {
			continue
		}
		e := startEmulator(t, name, o.emulators[name], client)
		env.emus[name] = e
		o.env["EMU_"+m[1]+"_URL"] = e.BaseURL
		if e.Endpoint != "" {
			o.env["EMU_"+m[1]+"_ENDPOINT"], o.env["EMU_"+m[1]+"_CA_FILE"] = e.Endpoint, e.CAFile
		}
	}
	for name := range o.emulators {
		if env.emus[name] == nil {
			t.Fatalf("e2e: WithEmulator(%q): the config references no ${EMU_%s_URL}", name, strings.ToUpper(name))
		}
	}
	cfg, err := config.Parse([]byte(cfgYAML), func(k string) string { return o.env[k] })
	if err != nil {
		t.Fatalf("e2e: config: %v", err)
	}
	env.Config = cfg
	env.Gateway = buildGateway(t, cfg, &o)
	srv := httptest.NewServer(env.Gateway.Server)
	t.Cleanup(srv.Close)
	env.URL = srv.URL
	return env
}

// buildGateway builds the gateway with its own upstream HTTP client (from
// the config's server.upstream, as serve does), closed at cleanup so no keep-alive connection outlives the test.
func buildGateway(t testing.TB, cfg *config.Config, o *options) *gateway.Gateway {
	t.Helper()
	prices, err := config.LoadPrices(configfiles.Prices)
	if err != nil {
		t.Fatalf("e2e: config/prices.yaml: %v", err)
	}
	up, err := upstream.NewClient(cfg.Server.Upstream)
	if err != nil {
		t.Fatalf("e2e: %v", err)
	}
	t.Cleanup(up.CloseIdleConnections)
	gopts := gateway.Options{
		Providers: all.Registry(), Prices: prices, Logger: o.logger,
		Registry: prometheus.NewRegistry(), HTTPClient: up,
	}
	if o.gateway != nil {
		o.gateway(&gopts)
	}
	gw, err := gateway.New(cfg, gopts)
	if err != nil {
		t.Fatalf("e2e: gateway.New: %v", err)
	}
	t.Cleanup(func() { _ = gw.Close() })
	return gw
}

// startEmulator serves the emulator instance name on a loopback httptest
// server. The provider is the longest known kind that name is, or starts
// with followed by "_".
func startEmulator(t testing.TB, name string, eo emukit.Options, client *http.Client) *Emu {
	t.Helper()
	provider := ""
	for _, p := range emulator.Names() {
		if (name == p || strings.HasPrefix(name, p+"_")) && len(p) > len(provider) {
			provider = p
		}
	}
	if provider == "" {
		t.Fatalf("e2e: ${EMU_%s_URL}: no emulator for %q (have %s)",
			strings.ToUpper(name), name, strings.Join(emulator.Names(), ", "))
	}
	h, err := emulator.New(provider, eo)
	if err != nil {
		t.Fatalf("e2e: emulator %s: %v", name, err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &Emu{Name: name, Provider: provider, URL: srv.URL, BaseURL: srv.URL + basePath[provider], client: client}
	startAPI(t, e, h)
	return e
}

// startAPI serves the API of an emulator that has its own listener
// (emulator.APIServer) and writes the certificate to trust.
func startAPI(t testing.TB, e *Emu, h http.Handler) {
	t.Helper()
	addr, caPEM, ok, err := emulator.StartAPI(h, "127.0.0.1:0")
	if err != nil {
		t.Fatalf("e2e: emulator %s API: %v", e.Name, err)
	}
	if !ok {
		return
	}
	t.Cleanup(h.(emulator.APIServer).Close)
	e.Endpoint, e.CAFile = addr, filepath.Join(t.TempDir(), e.Name+"-ca.pem")
	if err := os.WriteFile(e.CAFile, caPEM, 0o600); err != nil {
		t.Fatalf("e2e: emulator %s: %v", e.Name, err)
	}
}

// Emu returns the emulator instance name. A name the config never
// referenced is a mistake in the test itself, so it panics with the names
// that exist rather than returning nil to fail later.
func (env *Env) Emu(name string) *Emu {
	e, ok := env.emus[name]
	if !ok {
		panic(fmt.Sprintf("e2e: no emulator %q (have %s)", name, strings.Join(env.EmuNames(), ", ")))
	}
	return e
}

// EmuNames returns the running emulator instance names, sorted.
func (env *Env) EmuNames() []string {
	names := make([]string, 0, len(env.emus))
	for n := range env.emus {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// SetFaults replaces the emulator's whole fault set with the JSON object
// faults ("{}" clears it). A rejected fault set fails the test.
func (e *Emu) SetFaults(t testing.TB, faults string) {
	t.Helper()
	e.call(t, http.MethodPost, "/_emulator/faults", faults)
}

// ClearFaults removes every fault.
func (e *Emu) ClearFaults(t testing.TB) {
	t.Helper()
	e.SetFaults(t, "{}")
}

// Stats returns the emulator's GET /_emulator/stats body: "requests",
// "failed" and more. JSON numbers decode as float64.
func (e *Emu) Stats(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.call(t, http.MethodGet, "/_emulator/stats", ""), &m); err != nil {
		t.Fatalf("e2e: emulator %s stats: %v", e.Name, err)
	}
	return m
}

// Requests returns the number of API requests the emulator has received.
func (e *Emu) Requests(t testing.TB) int {
	t.Helper()
	n, ok := e.Stats(t)["requests"].(float64)
	if !ok {
		t.Fatalf("e2e: emulator %s stats have no numeric \"requests\"", e.Name)
	}
	return int(n)
}

func (e *Emu) call(t testing.TB, method, path, body string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatalf("e2e: %s %s: %v", method, path, err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatalf("e2e: emulator %s: %s %s: %v", e.Name, method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("e2e: emulator %s: %s %s: reading body: %v", e.Name, method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("e2e: emulator %s: %s %s %s: %d %s", e.Name, method, path, body, resp.StatusCode, bytes.TrimSpace(b))
	}
	return b
}
