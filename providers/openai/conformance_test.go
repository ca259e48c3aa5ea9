package openai_test

import (
	"net/http/httptest"
	"testing"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/openai"
	"github.com/windrose-gw/windrose/providers/providertest"
)

const emulatorKey = "conformance-key"

// The generic kind runs against the OpenRouter emulator, which speaks the
// OpenAI dialect (base URL .../api/v1).
func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Name: openai.Kind,
		Emulator: func(t *testing.T) string {
			h, err := emulator.New("openrouter", emukit.Options{APIKey: emulatorKey})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			return srv.URL
		},
		New: func(t *testing.T, root, key string) providers.Provider {
			p, err := openai.New(config.Deployment{Name: "oa", Provider: openai.Kind, Model: "mistralai/mistral-medium-3.1",
				BaseURL: root + "/api/v1", APIKey: config.Secret(key)}, providers.Deps{})
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
		APIKey: emulatorKey,
		Caps: providertest.Capabilities{Tools: true, JSONMode: true, StreamUsage: true, InBandErrors: true,
			EmulatorWithoutN: true},
	})
}
