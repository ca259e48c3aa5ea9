package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// chaosWindowPair is chaosPair with each deployment's context_window line
// filled in by the case (PRIMARY_WINDOW, FALLBACK_WINDOW).
const chaosWindowPair = `
models:
  - name: chaos
    attempts: 3
    attempt_timeout: 2s
    first_token_timeout: 2s
    stall_timeout: 2s
    deployments:
      - name: primary
        provider: mistral
        model: mistral-medium-2508
        priority: 0
        base_url: ${EMU_MISTRAL_URL}
        api_key: ${EMU_API_KEY}
        PRIMARY_WINDOW
      - name: fallback
        provider: openrouter
        model: mistralai/mistral-medium-3.1
        priority: 1
        base_url: ${EMU_OPENROUTER_URL}
        api_key: ${EMU_API_KEY}
        FALLBACK_WINDOW
`

// TestChaosContextWindow: a context-length error moves on only to a
// deployment whose declared context_window is larger than the failing one's
// (any declared window when the failing one declares none); otherwise the
// 400 comes back at once. The same request never goes to the same
// deployment twice. The primary's emulator holds 32 tokens; the prompt is
// far longer.
func TestChaosContextWindow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		primary, backup  string // context_window lines
		status           int
		calls            map[string]int
		wantDeploymentOK string
	}{
		// A larger declared window one tier down serves the long prompt.
		{name: "larger window fails over", primary: "context_window: 32", backup: "context_window: 131072",
			status: http.StatusOK, calls: map[string]int{"mistral": 1, "openrouter": 1}, wantDeploymentOK: "fallback"},
		// A smaller window would fail the same way: 400 at once.
		{name: "smaller window stops", primary: "context_window: 32", backup: "context_window: 16",
			status: http.StatusBadRequest, calls: map[string]int{"mistral": 1, "openrouter": 0}},
		// An equal window is no better.
		{name: "equal window stops", primary: "context_window: 32", backup: "context_window: 32",
			status: http.StatusBadRequest, calls: map[string]int{"mistral": 1, "openrouter": 0}},
		// The failing deployment declares nothing: only a declared window
		// is worth trying.
		{name: "undeclared to declared fails over", primary: "", backup: "context_window: 131072",
			status: http.StatusOK, calls: map[string]int{"mistral": 1, "openrouter": 1}, wantDeploymentOK: "fallback"},
		// The failing deployment declares a window and the other declares
		// none: nothing says it is larger, so stop.
		{name: "declared to undeclared stops", primary: "context_window: 32", backup: "",
			status: http.StatusBadRequest, calls: map[string]int{"mistral": 1, "openrouter": 0}},
	} {
		for _, stream := range []bool{false, true} {
			t.Run(tc.name+map[bool]string{false: "/chat", true: "/stream"}[stream], func(t *testing.T) {
				t.Parallel()
				cfg := strings.NewReplacer("PRIMARY_WINDOW", tc.primary, "FALLBACK_WINDOW", tc.backup).Replace(chaosWindowPair)
				env := Start(t, cfg, WithEmulator("mistral", emukit.Options{ContextTokens: 32}))
				r := chaosPost(t, env, chaosCall{stream: stream, prompt: strings.Repeat("word ", 60)})
				if r.status != tc.status {
					t.Fatalf("status %d, want %d; body %s", r.status, tc.status, r.body)
				}
				if tc.status == http.StatusOK && r.header.Get("X-Windrose-Deployment") != tc.wantDeploymentOK {
					t.Errorf("served by %q, want %q", r.header.Get("X-Windrose-Deployment"), tc.wantDeploymentOK)
				}
				if tc.status != http.StatusOK && r.err.code() != "context_length_exceeded" {
					t.Errorf("error %+v, want code context_length_exceeded", r.err)
				}
				if diff := cmp.Diff(tc.calls, chaosCalls(t, env, "mistral", "openrouter")); diff != "" {
					t.Errorf("upstream calls (-want +got):\n%s", diff)
				}
			})
		}
	}
}
