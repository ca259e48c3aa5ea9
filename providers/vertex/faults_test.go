package vertex

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/gwerr"
)

// The emulator's Vertex-shaped answers, through the real client, land in
// the kinds the executor acts on, for Chat and ChatStream alike.
func TestEmulatedFaults(t *testing.T) {
	tests := []struct {
		name, faults string
		kind         gwerr.Kind
		code         string
		retryAfter   time.Duration
	}{
		// A retired model at this deployment: fail over, never the client's 400.
		{"model retired", `{"error_kind":"model_retired"}`, gwerr.ModelUnavailable, "", 0},
		// The container's "Invalid model": the deployment's model id is wrong.
		{"invalid model", `{"error_kind":"invalid_model"}`, gwerr.ModelUnavailable, "model_not_found", 0},
		// Quota without RetryInfo: the default cooldown.
		{"quota", `{"status":429}`, gwerr.RateLimited, "", DefaultRateLimitCooldown},
		// Shared capacity: overloaded.
		{"capacity", `{"error_kind":"capacity"}`, gwerr.Overloaded, "", 0},
		// The service account lacks the permission.
		{"permission", `{"status":403}`, gwerr.Auth, "", 0},
		// Billing closed: the account is unusable.
		{"billing", `{"error_kind":"credits"}`, gwerr.Auth, "", 0},
		// Vertex's own deadline.
		{"deadline", `{"status":504}`, gwerr.Timeout, "", 0},
		// A 502 reaches us as UNAVAILABLE.
		{"bad gateway", `{"status":502}`, gwerr.Overloaded, "", 0},
		// A reset before any byte.
		{"cut before data", `{"cut_after":0}`, gwerr.Overloaded, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startEmulator(t, emukit.Options{})
			resp, err := http.Post(e.root+"/_emulator/faults", "application/json", bytes.NewBufferString(tt.faults))
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("faults: %v %v", resp, err)
			}
			resp.Body.Close()
			a := e.adapter(t, emulatorToken)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, chatErr := a.Chat(ctx, hello())
			_, streamErr := a.ChatStream(ctx, hello())
			for name, err := range map[string]error{"chat": chatErr, "stream": streamErr} {
				ge := gwerr.As(err)
				if ge.Kind != tt.kind || ge.Code != tt.code || ge.RetryAfter != tt.retryAfter {
					t.Errorf("%s: %v (kind %v code %q retry %v), want %v %q %v", name, err, ge.Kind, ge.Code, ge.RetryAfter, tt.kind, tt.code, tt.retryAfter)
				}
			}
		})
	}
}

// A deployment in a region the model is not served in is the deployment's
// fault.
func TestRegionNotServable(t *testing.T) {
	e := startEmulator(t, emukit.Options{})
	d := e.deployment(t, emulatorToken)
	d.Region = "asia-east1"
	a, err := newAdapter(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := a.Chat(ctx, hello()); gwerr.KindOf(err) != gwerr.ModelUnavailable {
		t.Errorf("got %v, want ModelUnavailable", err)
	}
}
