package all

import (
	"net/http"
	"testing"

	"go.uber.org/zap"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
)

// TestCapabilities pins what each adapter declares it can serve, from
// PROVIDERS.md and the providers' request schemas: routing plans a request
// only over deployments that have what it needs, so a wrong bit here is
// either a silent drop (declared but not mapped) or a needless 400.
func TestCapabilities(t *testing.T) {
	const (
		n, lp, lb, pred = llm.CapN, llm.CapLogprobs, llm.CapLogitBias, llm.CapPrediction
		js, img, tools  = llm.CapJSONSchema, llm.CapImages, llm.CapTools
		par             = llm.CapParallelToolCalls
	)
	cases := []struct {
		name string
		yaml string // the deployment
		want llm.Capability
	}{
		// A pass-through forwards every field as sent.
		{"openai", `{name: d, provider: openai, model: m, base_url: "http://127.0.0.1:1", api_key: k}`, n | lp | lb | pred | js | img | tools | par},
		// La Plateforme: n, prediction, parallel_tool_calls; no logprobs or logit_bias.
		{"mistral", `{name: d, provider: mistral, model: m, api_key: k}`, n | pred | js | img | tools | par},
		// Vertex's container: the same schema as La Plateforme for these.
		{"vertex", `{name: d, provider: vertex, model: m, region: europe-west4, api_key: k, options: {project: p}}`, n | pred | js | img | tools | par},
		// Azure's schema has no n, parallel_tool_calls or prediction.
		{"azure", `{name: d, provider: azure, model: m, region: swedencentral, base_url: "https://x.services.ai.azure.com", api_key: k}`, js | img | tools},
		// watsonx takes n; no parallel_tool_calls or prediction.
		{"watsonx", `{name: d, provider: watsonx, model: m, region: eu-de, api_key: k, options: {project_id: p}}`, n | js | img | tools},
		// Converse: images only where the model takes them.
		{"bedrock", `{name: d, provider: bedrock, model: m, region: eu-west-1}`, js | tools},
		{"bedrock vision", `{name: d, provider: bedrock, model: m, region: eu-west-1, options: {vision: true}}`, js | img | tools},
		// OpenRouter answers one choice whatever n says; the caller's
		// unmodelled fields are not forwarded.
		{"openrouter", `{name: d, provider: openrouter, model: m, api_key: k}`, js | img | tools | par},
	}
	reg := Registry()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte("models:\n  - name: m\n    deployments:\n      - "+tc.yaml+"\n"), func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			p, err := reg.Build(cfg.Models[0].Deployments[0], providers.Deps{HTTPClient: http.DefaultClient, Logger: zap.NewNop()})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := p.(providers.Capable); !ok {
				t.Fatal("the adapter declares no capabilities (providers.Capable)")
			}
			if got := providers.CapabilitiesOf(p); got != tc.want {
				t.Errorf("capabilities %08b, want %08b (missing %08b, extra %08b)", got, tc.want, tc.want&^got, got&^tc.want)
			}
		})
	}
}
