package gateway_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/gateway"
	"github.com/windrose-gw/windrose/internal/health"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/all"
	"github.com/windrose-gw/windrose/providers/mistral"
)

// TestBreakerFromConfig checks server.breaker reaches the breakers: with
// consecutive_failures 1, one 500 opens the deployment's breaker.
func TestBreakerFromConfig(t *testing.T) {
	emu, err := emulator.New("mistral", emukit.Options{Faults: emukit.Faults{Status: 500}})
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(emu)
	defer up.Close()
	cfg, err := config.Parse([]byte(fmt.Sprintf(`server: {breaker: {consecutive_failures: 1, open_for: 1m}}
models:
  - name: m
    attempts: 1
    deployments: [{name: d, provider: mistral, model: mistral-medium-2508, base_url: %q, api_key: emulator-key}]
`, up.URL)), nil)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(cfg, gateway.Options{Providers: all.Registry()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Server)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}
	if s := gw.Health.State("d"); s != health.Open {
		t.Fatalf("breaker %v after one failure with consecutive_failures 1, want open", s)
	}
}

// TestUnknownProviderKind: a config that validates (bedrock is a known
// kind) but names an adapter the registry lacks fails to build, naming it.
func TestUnknownProviderKind(t *testing.T) {
	cfg, err := config.Parse([]byte(`models:
  - name: m
    deployments: [{name: d, provider: bedrock, model: x, region: eu-west-1, api_key: k}]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := providers.NewRegistry()
	reg.Register(mistral.Kind, mistral.New)
	_, err = gateway.New(cfg, gateway.Options{Providers: reg})
	if err == nil || !strings.Contains(err.Error(), `unknown provider "bedrock"`) {
		t.Fatalf("err = %v", err)
	}
}
