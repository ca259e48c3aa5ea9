package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBuiltinPrices pins the shipped table's rows for Mistral Medium.
func TestBuiltinPrices(t *testing.T) {
	tbl, err := BuiltinPrices()
	if err != nil {
		t.Fatal(err)
	}
	medium := Price{InputPerMTok: 0.40, OutputPerMTok: 2.00}
	tests := []struct {
		provider, model string
		want            Price
		ok              bool
	}{
		{"mistral", "mistral-medium-2508", medium, true},
		{"mistral", "mistral-medium-2505", medium, true},
		{"openrouter", "mistralai/mistral-medium-3.1", medium, true},
		{"openrouter", "mistralai/mistral-medium-3", medium, true},
		{"azure", "mistral-medium-2505", medium, true},
		{"vertex", "mistral-medium-3", medium, true},
		// A pinned Vertex version falls back to the model's row.
		{"vertex", "mistral-medium-3@001", medium, true},
		// watsonx: IBM's resource-unit rate converted to USD per 1M tokens.
		{"watsonx", "mistralai/mistral-medium-2505", Price{InputPerMTok: 3.00, OutputPerMTok: 10.00}, true},
		// Medium 3.5 on the Mistral API, and the moving name that means it there.
		{"mistral", "mistral-medium-3-5", Price{InputPerMTok: 1.50, OutputPerMTok: 7.50}, true},
		{"mistral", "mistral-medium-3", Price{InputPerMTok: 1.50, OutputPerMTok: 7.50}, true},
		// On Vertex the same string is still Medium 3.
		{"vertex", "mistral-medium-3", Price{InputPerMTok: 0.40, OutputPerMTok: 2.00}, true},
		// The same id at another provider is not the same price.
		{"bedrock", "mistral-medium-2508", Price{}, false},
		// Bedrock's substitute for Medium, Mistral Large 3.
		{"bedrock", "mistral.mistral-large-3-675b-instruct", Price{InputPerMTok: 0.50, OutputPerMTok: 1.50}, true},
	}
	for _, tt := range tests {
		t.Run(tt.provider+"/"+tt.model, func(t *testing.T) {
			got, ok := tbl.Lookup(tt.provider, tt.model)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if tbl.Len() != 11 {
		t.Errorf("Len() = %d, want 11", tbl.Len())
	}
}

func TestLoadPricesErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown field", "prices:\n  - {provider: mistral, model: m, input: 1}\n", `prices[0].input: unknown field (line 2)`},
		{"negative", "prices:\n  - {provider: mistral, model: m, input_per_mtok: -1}\n", "prices[0].input_per_mtok: must be >= 0 (line 2)"},
		{"no model", "prices:\n  - {provider: mistral}\n", "prices[0].model: must not be empty (line 2)"},
		{"not yaml", "prices: [", "invalid YAML: line 1: did not find expected node content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadPrices([]byte(tt.in))
			if diff := cmp.Diff(tt.want, errString(err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestPriceFor checks precedence: deployment, then config rows, then table.
func TestPriceFor(t *testing.T) {
	tbl, err := LoadPrices([]byte("prices:\n  - {provider: mistral, model: a, input_per_mtok: 1, output_per_mtok: 1}\n  - {provider: mistral, model: b, input_per_mtok: 1, output_per_mtok: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := &Config{Prices: []PriceEntry{{Provider: "mistral", Model: "b", InputPerMTok: 2, OutputPerMTok: 2}}}
	own := &Price{InputPerMTok: 3, OutputPerMTok: 3}
	tests := []struct {
		name string
		d    Deployment
		want Price
		ok   bool
	}{
		{"table", Deployment{Provider: "mistral", Model: "a"}, Price{1, 1}, true},
		{"config row beats table", Deployment{Provider: "mistral", Model: "b"}, Price{2, 2}, true},
		{"own price beats all", Deployment{Provider: "mistral", Model: "b", Price: own}, Price{3, 3}, true},
		// An explicit zero price is a real price (a free tier), not unknown.
		{"own zero", Deployment{Provider: "mistral", Model: "z", Price: &Price{}}, Price{}, true},
		{"unknown", Deployment{Provider: "mistral", Model: "z"}, Price{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := c.PriceFor(&tt.d, tbl)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// The zero table is usable.
	if _, ok := (PriceTable{}).Lookup("mistral", "a"); ok {
		t.Error("zero table found a price")
	}
}
