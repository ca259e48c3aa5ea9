package watsonx_test

import (
	"net/http/httptest"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/providertest"
	"github.com/windrose-gw/windrose/providers/watsonx"
)

const emulatorKey = "conformance-iam-key"

// startEmulator serves the named emulator on loopback for one test.
func startEmulator(t *testing.T) string {
	t.Helper()
	h, err := emulator.New("watsonx", emukit.Options{APIKey: emulatorKey})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// optionsNode parses a YAML options block.
func optionsNode(t testing.TB, src string) yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return *doc.Content[0]
}

// newAdapter builds the adapter with both its IAM and chat hosts at root.
func newAdapter(t testing.TB, root, key string) providers.Provider {
	t.Helper()
	p, err := watsonx.New(config.Deployment{Name: "w", Provider: watsonx.Kind, Model: "mistralai/mistral-medium-2505",
		Region: "eu-de", BaseURL: root, APIKey: config.Secret(key),
		Options: optionsNode(t, "project_id: 7d3b6f2e-0000-4000-8000-000000000001\niam_url: "+root)}, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Name:     watsonx.Kind,
		Emulator: startEmulator,
		New:      func(t *testing.T, root, key string) providers.Provider { return newAdapter(t, root, key) },
		APIKey:   emulatorKey,
		// watsonx reports a mid-stream failure as `event: error`; the
		// emulator's in_band_error_after sends one. IAM answers an unknown
		// API key with 400 BXNIM0415E.
		Caps: providertest.Capabilities{Tools: true, JSONMode: true, StreamUsage: true, InBandErrors: true,
			AuthStatus: 400},
	})
}
