package server_test

import (
	"net/http/httptest"
	"testing"
)

// TestAdminListener: with server.admin_listen set, /metrics and the status
// endpoint move to the admin handler and the API listener answers 404 for
// them (a sidecar's API stays on loopback while the kubelet and Prometheus
// reach only the admin port); the probes answer on both. Without it,
// everything is on the one listener, as before.
func TestAdminListener(t *testing.T) {
	t.Run("separate", func(t *testing.T) {
		gw, base, _ := start(t, ", admin_listen: '127.0.0.1:0'")
		if gw.Server.Admin() == nil {
			t.Fatal("no admin handler with admin_listen set")
		}
		admin := httptest.NewServer(gw.Server.Admin())
		t.Cleanup(admin.Close)
		for path, want := range map[string][2]int{ // path → {API, admin}
			"/metrics":            {404, 200},
			"/v1/windrose/status": {404, 200},
			"/healthz":            {200, 200},
			"/readyz":             {200, 200},
			"/v1/models":          {200, 404},
		} {
			if resp, b := do(t, "GET", base+path, "", nil); resp.StatusCode != want[0] {
				t.Errorf("API %s = %d, want %d: %s", path, resp.StatusCode, want[0], b)
			}
			if resp, b := do(t, "GET", admin.URL+path, "", nil); resp.StatusCode != want[1] {
				t.Errorf("admin %s = %d, want %d: %s", path, resp.StatusCode, want[1], b)
			}
		}
		// Draining shows on the admin port's readiness probe too.
		gw.Server.SetReady(false)
		if resp, _ := do(t, "GET", admin.URL+"/readyz", "", nil); resp.StatusCode != 503 {
			t.Errorf("admin /readyz = %d while draining, want 503", resp.StatusCode)
		}
	})
	t.Run("same listener", func(t *testing.T) {
		gw, base, _ := start(t, "")
		if gw.Server.Admin() != nil {
			t.Fatal("an admin handler without admin_listen")
		}
		for _, path := range []string{"/metrics", "/v1/windrose/status", "/healthz", "/readyz", "/v1/models"} {
			if resp, b := do(t, "GET", base+path, "", nil); resp.StatusCode != 200 {
				t.Errorf("%s = %d, want 200: %s", path, resp.StatusCode, b)
			}
		}
	})
}
