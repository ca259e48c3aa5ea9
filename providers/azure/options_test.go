package azure

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/providers"
)

func node(t testing.TB, src string) yaml.Node {
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

// Each endpoint style builds its documented URL, with the api-version
// default of its generation or the configured one.
func TestChatURL(t *testing.T) {
	tests := []struct {
		name, base, opts, want string
	}{
		// Foundry Models inference, the default style.
		{"models default", "https://res.services.ai.azure.com", "", "https://res.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview"},
		// The resource name alone is enough.
		{"models by resource", "", "resource: res", "https://res.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview"},
		// Azure OpenAI-style route: the deployment in the path.
		{"openai", "https://res.services.ai.azure.com/", "endpoint: openai", "https://res.services.ai.azure.com/openai/deployments/mistral-medium-2505/chat/completions?api-version=2024-10-21"},
		// A configured api-version wins.
		{"openai version", "https://res.openai.azure.com", "{endpoint: openai, api_version: 2025-01-01-preview}", "https://res.openai.azure.com/openai/deployments/mistral-medium-2505/chat/completions?api-version=2025-01-01-preview"},
		// Serverless: no api-version unless asked for.
		{"serverless", "https://ep.swedencentral.models.ai.azure.com", "endpoint: serverless", "https://ep.swedencentral.models.ai.azure.com/chat/completions"},
		{"serverless version", "https://ep.swedencentral.models.ai.azure.com", "{endpoint: serverless, api_version: 2024-05-01-preview}", "https://ep.swedencentral.models.ai.azure.com/chat/completions?api-version=2024-05-01-preview"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := validate(config.Deployment{Model: "mistral-medium-2505", BaseURL: tt.base, APIKey: "k", Options: node(t, tt.opts)})
			if err != nil {
				t.Fatal(err)
			}
			if s.url != tt.want {
				t.Errorf("url = %s, want %s", s.url, tt.want)
			}
		})
	}
}

// Bad options are refused at construction with an error naming the field,
// and construction makes no network call (nothing listens on base_url).
func TestNewValidation(t *testing.T) {
	const base = "https://res.services.ai.azure.com"
	tests := []struct {
		name, base, opts, key, want string
	}{
		// An unknown key is named with its path.
		{"unknown key", base, "endpoit: models", "k", "options.endpoit"},
		// A wrong type is named too.
		{"wrong type", base, "mistral_tool_ids: sometimes", "k", "options.mistral_tool_ids"},
		{"bad style", base, "endpoint: classic", "k", "options.endpoint"},
		{"bad extra parameters", base, "extra_parameters: allow", "k", "options.extra_parameters"},
		// Forwarding fields makes sense only when Azure passes them on.
		{"forward without pass-through", base, "forward_fields: [safe_prompt]", "k", "options.forward_fields"},
		{"bad deployment type", base, "deployment_type: zonal", "k", "options.deployment_type"},
		// Two credentials are one too many.
		{"key and entra", base, "entra: {credential: default}", "k", "options.entra"},
		{"bad credential", base, "entra: {credential: password}", "", "options.entra.credential"},
		// A client secret credential needs all three fields.
		{"client secret incomplete", base, "entra: {credential: client_secret, tenant_id: t}", "", "options.entra.client_id"},
		{"secret without client_secret credential", base, "entra: {client_secret: s}", "", "options.entra.client_secret"},
		// azidentity accepts only an https authority.
		{"http authority", base, "entra: {authority_host: 'http://login.example'}", "", "options.entra.authority_host"},
		// Where to send: base_url or resource, exactly one.
		{"no base", "", "", "k", "base_url"},
		{"base and resource", base, "resource: res", "k", "options.resource"},
		{"bad resource", "", "resource: 'res.evil.com/x'", "k", "options.resource"},
		{"serverless needs base", "", "{endpoint: serverless, resource: res}", "k", "base_url"},
		{"query in base", base + "?api-version=x", "", "k", "base_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(config.Deployment{Name: "az", Provider: Kind, Model: "mistral-medium-2505", BaseURL: tt.base,
				APIKey: config.Secret(tt.key), Options: node(t, tt.opts)}, providers.Deps{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error naming %s", err, tt.want)
			}
		})
	}
	// A model is required.
	if _, err := New(config.Deployment{Name: "az", Provider: Kind, BaseURL: base, APIKey: "k"}, providers.Deps{}); err == nil || !strings.Contains(err.Error(), "model") {
		t.Errorf("no model: %v", err)
	}
	// Every credential kind builds offline.
	for _, cred := range []string{"", "entra: {credential: default}", "entra: {credential: managed_identity, client_id: c}",
		"entra: {credential: client_secret, tenant_id: t, client_id: c, client_secret: s}",
		"entra: {credential: workload_identity, tenant_id: t, client_id: c, token_file: /nonexistent}"} {
		if _, err := New(config.Deployment{Name: "az", Provider: Kind, Model: "m", BaseURL: base, Options: node(t, cred)}, providers.Deps{}); err != nil {
			t.Errorf("%q: %v", cred, err)
		}
	}
}

// Credentials go over plain HTTP only to loopback (an emulator or a
// sidecar), never across a network.
func TestLoopback(t *testing.T) {
	for u, want := range map[string]bool{
		"http://127.0.0.1:8080/models": true, "http://localhost:1/x": true, "http://[::1]:9/x": true,
		"http://10.0.0.1/x": false, "http://res.services.ai.azure.com/x": false, "::bad": false,
	} {
		if got := loopback(u); got != want {
			t.Errorf("loopback(%q) = %v, want %v", u, got, want)
		}
	}
}
