package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/health"
)

// TestChaosReadyWhileProvidersFail: /readyz is about this process only. With
// every deployment's breaker open, or every deployment cooling down after a
// Retry-After, the replica stays in its Service and clients get
// OpenAI-format 503/429 answers; upstream health shows in the status view.
func TestChaosReadyWhileProvidersFail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		faults  string
		status  int    // what a client gets once every deployment is out
		state   string // the breakers in the status view
		kind    string // last_error_kind in the status view
		cooling bool
	}{
		// A provider outage everywhere: breakers open, 503 to clients.
		{name: "all breakers open", faults: `{"status":500}`, status: http.StatusServiceUnavailable, state: "open", kind: "upstream"},
		// Everyone asked to wait: 429 with Retry-After (the breakers may
		// be open too; the cooldown is what the client is told).
		{name: "all cooling down", faults: `{"status":429,"retry_after":30}`, status: http.StatusTooManyRequests, state: "open", kind: "rate_limited", cooling: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := Start(t, chaosPair, chaosGateway(nil, health.BreakerConfig{ConsecutiveFailures: 1, OpenFor: time.Hour}, 3))
			env.Emu("mistral").SetFaults(t, tc.faults)
			env.Emu("openrouter").SetFaults(t, tc.faults)
			chaosPost(t, env, chaosCall{}) // takes both deployments out
			r := chaosPost(t, env, chaosCall{})
			if r.status != tc.status || r.err == nil {
				t.Fatalf("status %d (%s), want %d in OpenAI's envelope", r.status, r.body, tc.status)
			}
			if tc.cooling && r.header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
			resp, err := http.Get(env.URL + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("/readyz = %d with every provider failing; want 200 (readiness is about the process)", resp.StatusCode)
			}
			st := chaosGetStatus(t, env)
			for _, dep := range []string{"primary", "fallback"} {
				d := st[dep]
				if d["state"] != tc.state || d["last_error_kind"] != tc.kind || (d["cooldown_remaining_seconds"].(float64) > 0) != tc.cooling {
					t.Errorf("%s status %v: want state %s, last_error_kind %s, cooling %v", dep, d, tc.state, tc.kind, tc.cooling)
				}
			}
		})
	}
}

// TestChaosReadyWhileDraining: draining is the one thing that takes a
// replica out of rotation.
func TestChaosReadyWhileDraining(t *testing.T) {
	t.Parallel()
	env := Start(t, chaosPair)
	env.Gateway.Server.SetReady(false)
	resp, err := http.Get(env.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz while draining = %d, want 503", resp.StatusCode)
	}
}
