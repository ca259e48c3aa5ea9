package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// TestDecodeOptions checks the adapters' strict options decoder.
func TestDecodeOptions(t *testing.T) {
	type opts struct {
		Project string            `yaml:"project"`
		Timeout time.Duration     `yaml:"timeout"`
		Headers map[string]string `yaml:"headers"`
		Retries *int              `yaml:"retries"`
	}
	node := func(s string) yaml.Node {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
			t.Fatal(err)
		}
		return *doc.Content[0]
	}
	three := 3
	tests := []struct {
		name string
		in   yaml.Node
		want opts
		err  string
	}{
		{"all fields", node("project: p\ntimeout: 5s\nheaders: {X-A: b}\nretries: 3"),
			opts{Project: "p", Timeout: 5 * time.Second, Headers: map[string]string{"X-A": "b"}, Retries: &three}, ""},
		// No options block at all is fine.
		{"zero node", yaml.Node{}, opts{}, ""},
		{"unknown key", node("project: p\nprojct: q"), opts{}, `options.projct: unknown field (did you mean "project"?) (line 2)`},
		{"wrong type", node("timeout: soon"), opts{}, "options.timeout: must be a duration such as 30s (line 1)"},
		{"not a mapping", node("[a, b]"), opts{}, "options: must be a mapping (line 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got opts
			err := DecodeOptions(tt.in, &got)
			if diff := cmp.Diff(tt.err, errString(err)); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if err == nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
	if err := DecodeOptions(node("a: 1"), opts{}); err == nil {
		t.Error("DecodeOptions accepted a non-pointer")
	}
}

// TestOptionsFromConfig checks that a deployment's options survive loading
// with env expanded and line numbers intact, so adapters report real lines.
func TestOptionsFromConfig(t *testing.T) {
	c, err := Parse([]byte(`models:
  - name: m
    deployments:
      - name: d
        provider: vertex
        model: mistral-medium-3
        region: europe-west4
        options:
          project: ${P}
          typo: 1
`), func(string) string { return "proj-1" })
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		Project string `yaml:"project"`
	}
	err = DecodeOptions(c.Models[0].Deployments[0].Options, &o)
	if diff := cmp.Diff("options.typo: unknown field (line 10)", errString(err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
