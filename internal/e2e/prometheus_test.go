package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPrometheusScrape runs a real Prometheus server (Debian's package,
// installed by .ci/run) against the gateway and checks the numbers it
// stores: what an operator's dashboard would show, not what our registry
// says about itself. It proves the exposition format is scrapeable and the
// label sets are what the dashboard queries.
func TestPrometheusScrape(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("prometheus is not installed; .ci/run must install it: %v", err)
		}
		t.Skip("prometheus not installed (apt-get install prometheus); CI runs this test")
	}
	env := Start(t, twoDeployments, WithEnv("EMU_API_KEY", APIKey))
	gw, err := url.Parse(env.URL)
	if err != nil {
		t.Fatal(err)
	}
	promURL := startPrometheus(t, bin, gw.Host)

	for _, dep := range deployments {
		complete(t, env, ask("count my tokens please"), pin(dep)...)
		stream(t, env, ask("stream my tokens please"), pin(dep)...)
	}

	cases := []struct {
		query string
		why   string
	}{
		{`sum(windrose_requests_total{model="mistral-medium",code="200"})`, "every client request is counted with its status"},
		{`sum by (deployment) (windrose_upstream_requests_total{outcome="success"})`, "each deployment's successful attempts"},
		{`sum(windrose_tokens_total{type="input"})`, "input tokens from the providers' own usage"},
		{`sum(windrose_tokens_total{type="output"})`, "output tokens"},
		{`sum(windrose_cost_usd_total{provider="mistral"})`, "Mistral cost from the price table"},
		{`sum(windrose_cost_usd_total{provider="openrouter"})`, "OpenRouter cost as the provider reported it"},
		{`sum(windrose_upstream_ttft_seconds_count)`, "time to first token of the streams"},
		{`histogram_quantile(0.95, sum by (le) (windrose_request_duration_seconds_bucket))`, "the latency histogram has usable buckets"},
	}
	for _, tc := range cases {
		t.Run(tc.why, func(t *testing.T) {
			v := waitQuery(t, promURL, tc.query)
			if !(v > 0) {
				t.Fatalf("%s = %v, want > 0", tc.query, v)
			}
		})
	}
	// Two requests per deployment must be exactly two samples each, not
	// double-counted by the scrape.
	if v := waitQuery(t, promURL, `sum(windrose_upstream_requests_total{deployment="mistral",outcome="success"})`); v != 2 {
		t.Fatalf("mistral successes = %v, want 2", v)
	}
}

// startPrometheus runs prometheus on a free loopback port, scraping target
// every 200ms, and returns its base URL.
func startPrometheus(t *testing.T, bin, target string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 200ms
  evaluation_interval: 1s
scrape_configs:
  - job_name: windrose
    scrape_interval: 200ms
    static_configs:
      - targets: [%q]
`, target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitQuery polls an instant query until it returns a sample (scrapes run
// every 200ms), and returns the first sample's value.
func waitQuery(t *testing.T, base, q string) float64 {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, ok := query(t, base, q)
		if ok && v > 0 || time.Now().After(deadline) {
			return v
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func query(t *testing.T, base, q string) (float64, bool) {
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	if body.Status != "success" {
		t.Fatalf("query %s: %s", q, body.Error)
	}
	if len(body.Data.Result) == 0 {
		return 0, false
	}
	s, _ := body.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return v, err == nil
}
