package bedrock_test

import (
	"net/http/httptest"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/bedrock"
	"github.com/windrose-gw/windrose/providers/providertest"
)

// The emulator's key pair: access key id and secret ("AKID:SECRET").
const (
	accessKeyID = "AKIACONFORMANCE00001"
	secretKey   = "conformance-secret"
	emulatorKey = accessKeyID + ":" + secretKey
	region      = "eu-west-1"
	model       = "mistral.mistral-large-3-675b-instruct"
)

// startEmulator serves the Bedrock emulator on loopback for one test.
func startEmulator(t *testing.T) string {
	t.Helper()
	h, err := emulator.New("bedrock", emukit.Options{APIKey: emulatorKey})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// options builds a deployment's options block from YAML.
func options(t *testing.T, src string) yaml.Node {
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

// staticAdapter builds an adapter signing with secret (SigV4, static keys).
func staticAdapter(t *testing.T, root, secret string) providers.Provider {
	t.Helper()
	p, err := bedrock.New(config.Deployment{Name: "b", Provider: bedrock.Kind, Model: model, Region: region, BaseURL: root,
		Options: options(t, "access_key_id: "+accessKeyID+"\nsecret_access_key: "+secret)}, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConformance(t *testing.T) {
	caps := providertest.Capabilities{Tools: true, JSONMode: true, StreamUsage: true, InBandErrors: true, AuthStatus: 403}
	// SigV4 with static keys: the harness's key is the secret.
	providertest.Run(t, providertest.Harness{
		Name:     "bedrock_sigv4",
		Emulator: startEmulator,
		New:      func(t *testing.T, root, key string) providers.Provider { return staticAdapter(t, root, key) },
		APIKey:   secretKey,
		Caps:     caps,
	})
	// A Bedrock API key, sent as a bearer token.
	providertest.Run(t, providertest.Harness{
		Name:     "bedrock_api_key",
		Emulator: startEmulator,
		New: func(t *testing.T, root, key string) providers.Provider {
			p, err := bedrock.New(config.Deployment{Name: "b", Provider: bedrock.Kind, Model: model, Region: region,
				BaseURL: root, APIKey: config.Secret(key)}, providers.Deps{})
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
		APIKey: emulatorKey,
		Caps:   caps,
	})
}
