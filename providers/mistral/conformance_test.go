package mistral_test

import (
	"net/http/httptest"
	"testing"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/mistral"
	"github.com/windrose-gw/windrose/providers/providertest"
)

const emulatorKey = "conformance-key"

// startEmulator serves the named emulator on loopback for one test.
func startEmulator(t *testing.T, name string) string {
	t.Helper()
	h, err := emulator.New(name, emukit.Options{APIKey: emulatorKey})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Name:     mistral.Kind,
		Emulator: func(t *testing.T) string { return startEmulator(t, "mistral") },
		New: func(t *testing.T, root, key string) providers.Provider {
			p, err := mistral.New(config.Deployment{Name: "m", Provider: mistral.Kind, Model: "mistral-medium-2508",
				BaseURL: root, APIKey: config.Secret(key)}, providers.Deps{})
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
		APIKey: emulatorKey,
		// Mistral reports a failed generation in-band as finish_reason
		// "error"; the emulator's in_band_error_after sends that.
		Caps: providertest.Capabilities{Tools: true, JSONMode: true, StreamUsage: true, InBandErrors: true, InBandUsage: true},
	})
}
