package gateway_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/executor"
	"github.com/windrose-gw/windrose/internal/gateway"
)

// hedgeConfig serves model name from a slow primary and a fast fallback,
// hedging at once.
func hedgeConfig(name, slow, fast string, attempts int, budget float64) string {
	return fmt.Sprintf(`models:
  - name: %s
    attempts: %d
    hedge: {after: 1ms, budget: %v}
    deployments:
      - {name: slow, provider: mistral, model: mistral-medium-2508, base_url: %q, api_key: emulator-key, priority: 0}
      - {name: fast, provider: mistral, model: mistral-medium-2508, base_url: %q, api_key: emulator-key, priority: 1}
`, name, attempts, budget, slow, fast)
}

func route(t *testing.T, gw *gateway.Gateway, model string) *executor.Route {
	t.Helper()
	rt, ok := gw.Server.Current().Catalog.Lookup(model)
	if !ok {
		t.Fatalf("model %q not served", model)
	}
	return rt
}

// TestReloadCarriesLiveState checks that a reload of the same model takes
// the new config values and keeps what the model accumulated: the request
// and hedge counts its hedge budget is a share of. A model under a new
// name starts afresh.
func TestReloadCarriesLiveState(t *testing.T) {
	// The primary waits long enough for the 1ms hedge to start every time.
	slowEmu, err := emulator.New("mistral", emukit.Options{Faults: emukit.Faults{FirstTokenDelay: emukit.Duration(time.Second)}})
	if err != nil {
		t.Fatal(err)
	}
	slow := httptest.NewServer(slowEmu)
	t.Cleanup(slow.Close)
	fast := upstreams(t, "fast")["fast"]

	gw, srv := startGateway(t, hedgeConfig("m", slow.URL, fast, 3, 1))
	for range 3 {
		if _, err := call(srv.URL, true); err != nil {
			t.Fatal(err)
		}
	}
	before := route(t, gw, "m")
	if r, h := before.Live.Requests(), before.Live.Hedges(); r != 3 || h != 3 {
		t.Fatalf("before the reload: %d requests, %d hedges; want 3, 3", r, h)
	}

	cfg, err := config.Parse([]byte(hedgeConfig("m", slow.URL, fast, 2, 0.5)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := gw.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	after := route(t, gw, "m")
	if after == before {
		t.Fatal("the reload kept the old route")
	}
	if after.Attempts != 2 || after.HedgeBudget != 0.5 {
		t.Errorf("after the reload: attempts %d, hedge budget %v; want the new 2, 0.5", after.Attempts, after.HedgeBudget)
	}
	if r, h := after.Live.Requests(), after.Live.Hedges(); r != 3 || h != 3 {
		t.Errorf("after the reload: %d requests, %d hedges; want the 3, 3 accumulated", r, h)
	}
	// The carried counts keep counting: budget 0.5 of 4 requests allows
	// 2 hedges, 3 were started, so this request runs unhedged.
	if _, err := call(srv.URL, true); err != nil {
		t.Fatal(err)
	}
	if r, h := after.Live.Requests(), after.Live.Hedges(); r != 4 || h != 3 {
		t.Errorf("after one more request: %d requests, %d hedges; want 4, 3", r, h)
	}

	renamed := strings.Replace(hedgeConfig("m", slow.URL, fast, 2, 0.5), "name: m\n", "name: m2\n", 1)
	if cfg, err = config.Parse([]byte(renamed), nil); err != nil {
		t.Fatal(err)
	}
	if err := gw.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if r := route(t, gw, "m2").Live.Requests(); r != 0 {
		t.Errorf("a new model starts with %d requests counted, want 0", r)
	}
}
