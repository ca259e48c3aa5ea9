package gateway_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/gateway"
	"github.com/windrose-gw/windrose/providers"
)

// closingProvider is an adapter that holds a connection.
type closingProvider struct {
	providers.Provider
	closed *int
}

func (c closingProvider) Close() error { *c.closed++; return nil }

// Close releases every adapter that holds its own connection (Vertex's
// gRPC client), once.
func TestGatewayClosesAdapters(t *testing.T) {
	closed := 0
	reg := providers.NewRegistry()
	reg.Register("openai", func(config.Deployment, providers.Deps) (providers.Provider, error) {
		return closingProvider{closed: &closed}, nil
	})
	cfg, err := config.Parse([]byte(`
models:
  - name: m
    deployments:
      - {name: a, provider: openai, model: x, geo: eu, base_url: "http://127.0.0.1:1"}
      - {name: b, provider: openai, model: x, geo: eu, base_url: "http://127.0.0.1:1"}
`), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, gateway.Options{Providers: reg, Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil || closed != 2 {
		t.Errorf("Close: %v, closed %d adapters, want 2", err, closed)
	}
}
