package bedrock_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
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

// setFaults replaces the emulator's fault set.
func setFaults(t *testing.T, root, js string) {
	t.Helper()
	resp, err := http.Post(root+"/_emulator/faults", "application/json", strings.NewReader(js))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("faults %s: %v %v", js, resp, err)
	}
	resp.Body.Close()
}

func ask() *llm.ChatRequest {
	return &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "Tell me a story about the sea"}}}
}

// TestEmulatorErrorKinds: every error the emulator answers in Bedrock's
// shape reaches the executor as the right kind, before the stream (Chat
// and ChatStream) and, for exception frames, inside it.
func TestEmulatorErrorKinds(t *testing.T) {
	tests := []struct {
		faults string
		kind   gwerr.Kind
		code   string
		inBand bool // the error comes from Stream.Next, after some events
	}{
		// A retired or unknown model is this deployment's fault.
		{faults: `{"error_kind":"model_retired"}`, kind: gwerr.ModelUnavailable},
		{faults: `{"error_kind":"invalid_model"}`, kind: gwerr.ModelUnavailable},
		{faults: `{"error_kind":"context_length"}`, kind: gwerr.InvalidRequest, code: gwerr.CodeContextLength},
		{faults: `{"error_kind":"rate_limit"}`, kind: gwerr.RateLimited},
		{faults: `{"error_kind":"capacity"}`, kind: gwerr.Overloaded},
		{faults: `{"error_kind":"server"}`, kind: gwerr.Upstream},
		{faults: `{"error_kind":"timeout"}`, kind: gwerr.Timeout},
		{faults: `{"error_kind":"auth"}`, kind: gwerr.Auth},
		{faults: `{"error_kind":"credits"}`, kind: gwerr.Auth},
		{faults: `{"status":424}`, kind: gwerr.Upstream},
		// Exception frames mid-stream.
		{faults: `{"in_band_error_after":3}`, kind: gwerr.Upstream, inBand: true},
		{faults: `{"in_band_error_after":3,"error_kind":"rate_limit"}`, kind: gwerr.RateLimited, inBand: true},
		{faults: `{"in_band_error_after":3,"error_kind":"capacity"}`, kind: gwerr.Overloaded, inBand: true},
	}
	for _, tt := range tests {
		t.Run(tt.faults, func(t *testing.T) {
			root := startEmulator(t)
			setFaults(t, root, tt.faults)
			p := staticAdapter(t, root, secretKey)
			var errs []error
			if !tt.inBand {
				_, err := p.Chat(context.Background(), ask())
				errs = append(errs, err)
			}
			s, err := p.ChatStream(context.Background(), ask())
			if err == nil {
				for err == nil {
					_, err = s.Next()
				}
				s.Close()
			}
			errs = append(errs, err)
			for _, err := range errs {
				ge := gwerr.As(err)
				if err == nil || ge.Kind != tt.kind || ge.Code != tt.code {
					t.Errorf("got %v (kind %v, code %q), want kind %v code %q", err, ge.Kind, ge.Code, tt.kind, tt.code)
				}
			}
		})
	}
}

// A guardrail intervention is a normal answer finished by content_filter.
func TestEmulatorContentFilter(t *testing.T) {
	root := startEmulator(t)
	setFaults(t, root, `{"error_kind":"content_filter"}`)
	p := staticAdapter(t, root, secretKey)
	resp, err := p.Chat(context.Background(), ask())
	if err != nil || resp.Choices[0].FinishReason != llm.FinishContentFilter {
		t.Fatalf("got %+v, %v", resp, err)
	}
}
