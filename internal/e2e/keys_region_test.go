package e2e

import (
	"strings"
	"testing"
)

// keyRegionConfig serves "mixed" from a global OpenRouter deployment
// (tried first) and an EU Mistral one, and "global-only" from OpenRouter
// alone; key team-eu is forced to the EU by its policy, key any is not.
const keyRegionConfig = `
models:
  - name: mixed
    deployments:
      - {name: openrouter, provider: openrouter, model: mistralai/mistral-medium-3.1, base_url: "${EMU_OPENROUTER_URL}", api_key: "${EMU_API_KEY}"}
      - {name: mistral, provider: mistral, model: mistral-medium-2508, region: eu-west, base_url: "${EMU_MISTRAL_URL}", api_key: "${EMU_API_KEY}", priority: 1}
  - name: global-only
    deployments:
      - {name: openrouter-only, provider: openrouter, model: mistralai/mistral-medium-3.1, base_url: "${EMU_OPENROUTER_URL}", api_key: "${EMU_API_KEY}"}
keys:
  - {name: team-eu, key: eu-secret, regions: [eu]}
  - {name: any, key: any-secret}
`

// TestKeyRegionPolicy checks a key's region policy end to end, from the
// key's config through the server's admission into the router: the EU key
// never reaches the non-EU deployment (not as its first tier, not pinned;
// TestKeyRegionPolicyFailsClosed covers failover), and where no EU deployment exists it is refused
// fail-closed with region_unavailable, never served elsewhere.
func TestKeyRegionPolicy(t *testing.T) {
	env := Start(t, keyRegionConfig)
	or := env.Emu("openrouter")

	// Control: without a policy the first tier, OpenRouter, answers.
	if r := callKey(t, env.URL, "any-secret", "mixed"); r.status != 200 || r.header.Get("X-Windrose-Deployment") != "openrouter" {
		t.Fatalf("unrestricted key: %d %s, deployment %q", r.status, r.body, r.header.Get("X-Windrose-Deployment"))
	}
	seen := or.Requests(t)

	// The EU key skips the global first tier for the EU deployment.
	if r := callKey(t, env.URL, "eu-secret", "mixed"); r.status != 200 || r.header.Get("X-Windrose-Deployment") != "mistral" {
		t.Fatalf("EU key: %d %s, deployment %q", r.status, r.body, r.header.Get("X-Windrose-Deployment"))
	}
	refusals := []struct {
		name, model string
		header      []string
	}{
		// No EU deployment at all: refused, not served globally.
		{"no EU deployment", "global-only", nil},
		// A pin does not lift the policy.
		{"pinned to the global deployment", "mixed", []string{"X-Windrose-Deployment", "openrouter"}},
	}
	for _, tt := range refusals {
		r := callKey(t, env.URL, "eu-secret", tt.model, tt.header...)
		if r.status != 503 || !strings.Contains(r.body, `"code":"region_unavailable"`) || !strings.Contains(r.body, "API key policy") {
			t.Errorf("EU key, %s: %d %s; want 503 region_unavailable naming the key policy", tt.name, r.status, r.body)
		}
	}
	if n := or.Requests(t); n != seen {
		t.Errorf("the non-EU deployment saw %d requests from the EU key, want 0", n-seen)
	}
	if got := env.Metric(t, "windrose_region_rejections_total", map[string]string{"rule": "policy"}); got != 2 {
		t.Errorf("region rejections by policy = %v, want 2", got)
	}
}
