package gateway_test

import (
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/gateway"
	"github.com/windrose-gw/windrose/providers/all"
)

// CheckAdapters reports every adapter problem at once, each with its path,
// so `windrose validate` fails on what `serve` would fail on.
func TestCheckAdapters(t *testing.T) {
	const yml = `
models:
  - name: m
    deployments:
      - name: good
        provider: mistral
        model: mistral-medium-3-5
        api_key: k
      - name: typo
        provider: mistral
        model: mistral-medium-3-5
        api_key: k
        options: { safe_promt: true }
      - name: typo-too
        provider: openrouter
        model: mistralai/mistral-medium-3.1
        api_key: k
        options: { titel: x }
`
	cfg, err := config.Parse([]byte(yml), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	err = gateway.CheckAdapters(cfg, all.Registry())
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"models[0].deployments[1].options.safe_promt", "models[0].deployments[2].options.titel"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "deployments[0]") {
		t.Errorf("the good deployment is reported:\n%v", err)
	}
}

// Every adapter names a misspelt option with its full path, offline.
func TestCheckAdaptersOptionTypos(t *testing.T) {
	tests := []struct{ provider, extra string }{
		{"mistral", ""},
		{"openrouter", ""},
		{"openai", "base_url: http://127.0.0.1:1"},
		{"bedrock", "region: eu-west-1"},
		{"azure", "region: swedencentral\n        base_url: https://x.services.ai.azure.com"},
		{"vertex", "region: europe-west4"},
		{"watsonx", "region: eu-de"},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			yml := `
models:
  - name: m
    deployments:
      - name: d
        provider: ` + tt.provider + `
        model: some-model
        api_key: k
        ` + tt.extra + `
        options: { frobnicate: true }
`
			cfg, err := config.Parse([]byte(yml), func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			err = gateway.CheckAdapters(cfg, all.Registry())
			if err == nil || !strings.Contains(err.Error(), "models[0].deployments[0].options.frobnicate") {
				t.Fatalf("err = %v, want the path of the bad option", err)
			}
		})
	}
}
