package azure_test

import (
	"net/http/httptest"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/azure"
	"github.com/windrose-gw/windrose/providers/providertest"
)

const emulatorKey = "conformance-key"

// optionsNode renders an options block as the YAML node config would hold.
func optionsNode(t *testing.T, src string) yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Content) == 0 {
		return yaml.Node{}
	}
	return *doc.Content[0]
}

// The suite runs once per endpoint style against the same emulator, with
// key auth (api-key on the Foundry routes, Bearer key on serverless).
func TestConformance(t *testing.T) {
	for _, style := range []string{azure.StyleModels, azure.StyleOpenAI, azure.StyleServerless} {
		providertest.Run(t, providertest.Harness{
			Name: "azure-" + style,
			Emulator: func(t *testing.T) string {
				h, err := emulator.New("azure", emukit.Options{APIKey: emulatorKey})
				if err != nil {
					t.Fatal(err)
				}
				srv := httptest.NewServer(h)
				t.Cleanup(srv.Close)
				return srv.URL
			},
			New: func(t *testing.T, root, key string) providers.Provider {
				p, err := azure.New(config.Deployment{Name: "az", Provider: azure.Kind, Model: "mistral-medium-2505",
					Region: "swedencentral", BaseURL: root, APIKey: config.Secret(key),
					Options: optionsNode(t, "endpoint: "+style)}, providers.Deps{})
				if err != nil {
					t.Fatal(err)
				}
				return p
			},
			APIKey: emulatorKey,
			Caps:   providertest.Capabilities{Tools: true, JSONMode: true, StreamUsage: true, InBandErrors: true},
		})
	}
}
