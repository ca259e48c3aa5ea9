package config

import (
	"strings"
	"testing"
)

// TestTracingConfig checks telemetry.tracing's validation and defaults.
func TestTracingConfig(t *testing.T) {
	const models = "models: [{name: m, deployments: [{name: d, provider: mistral, model: x, api_key: k}]}]\n"
	cases := []struct {
		name, yaml string
		problem    string // "" = valid
		url        string
	}{
		// Off by default.
		{"absent", "", "", ""},
		// A bare collector address gets the OTLP traces path.
		{"bare endpoint", "telemetry: {tracing: {endpoint: 'http://c:4318'}}\n", "", "http://c:4318/v1/traces"},
		// A full URL is used as given.
		{"full endpoint", "telemetry: {tracing: {endpoint: 'https://c/otlp/v1/traces', sampling_ratio: 0.5}}\n", "", "https://c/otlp/v1/traces"},
		// A ratio outside (0, 1] is refused.
		{"bad ratio", "telemetry: {tracing: {endpoint: 'http://c:4318', sampling_ratio: 2}}\n", "telemetry.tracing.sampling_ratio", ""},
		// Not an http(s) URL.
		{"bad endpoint", "telemetry: {tracing: {endpoint: 'c:4318'}}\n", "telemetry.tracing.endpoint", ""},
		// Strict decoding reaches the block.
		{"misspelt", "telemetry: {tracing: {endpiont: 'http://c'}}\n", "endpiont", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml+models), nil)
			if tc.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tc.problem) {
					t.Fatalf("err = %v, want one naming %s", err, tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tr := c.Telemetry.Tracing
			if tr.Enabled() != (tc.url != "") || tc.url != "" && tr.TracesURL() != tc.url {
				t.Errorf("enabled %v, url %q; want %q", tr.Enabled(), tr.TracesURL(), tc.url)
			}
			if tr.Service() != "windrose" || tr.Ratio() <= 0 {
				t.Errorf("defaults: service %q ratio %v", tr.Service(), tr.Ratio())
			}
		})
	}
}
