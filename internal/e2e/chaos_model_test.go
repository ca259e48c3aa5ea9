package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"
)

// chaosModelPair is chaosPair with model versions declared and the long
// model-unavailable breaker shortened to a value the test can recognise.
const chaosModelPair = `
server:
  breaker:
    model_unavailable_open_for: 7m
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
        model_version: "3.1"
        priority: 0
        base_url: ${EMU_MISTRAL_URL}
        api_key: ${EMU_API_KEY}
      - name: fallback
        provider: openrouter
        model: mistralai/mistral-medium-3
        model_version: "3"
        priority: 1
        base_url: ${EMU_OPENROUTER_URL}
        api_key: ${EMU_API_KEY}
`

// chaosStatus is the part of GET /v1/windrose/status the tests read.
type chaosStatus struct {
	Object string `json:"object"`
	Ready  bool   `json:"ready"`
	Models []struct {
		Name        string `json:"name"`
		Deployments []struct {
			Name           string  `json:"name"`
			State          string  `json:"state"`
			OpenRemaining  float64 `json:"open_remaining_seconds"`
			Cooldown       float64 `json:"cooldown_remaining_seconds"`
			LastErrorKind  string  `json:"last_error_kind"`
			TTFTP50        float64 `json:"ttft_p50_seconds"`
			TTFTP95        float64 `json:"ttft_p95_seconds"`
			TTFTSamples    int     `json:"ttft_samples"`
			FirstToken     float64 `json:"first_token_timeout_seconds"`
			FirstTokenMode string  `json:"first_token_timeout_mode"`
		} `json:"deployments"`
	} `json:"models"`
}

// chaosGetStatus fetches the status view and indexes it by deployment.
func chaosGetStatus(t *testing.T, env *Env) map[string]map[string]any {
	t.Helper()
	resp, err := http.Get(env.URL + "/v1/windrose/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /v1/windrose/status: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var v struct {
		Object string `json:"object"`
		Models []struct {
			Deployments []map[string]any `json:"deployments"`
		} `json:"models"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.Object != "windrose.status" {
		t.Fatalf("status body: %v (object %q)", err, v.Object)
	}
	out := map[string]map[string]any{}
	for _, m := range v.Models {
		for _, d := range m.Deployments {
			out[d["name"].(string)] = d
		}
	}
	return out
}

// TestChaosModelRetired: a retired model at the primary is the
// deployment's fault. The request fails over at once, the primary's breaker
// opens for the long model_unavailable_open_for, the outcome is labelled,
// the provider's message is logged once per deployment at error level, and
// the answer names the version that served it.
func TestChaosModelRetired(t *testing.T) {
	t.Parallel()
	for _, stream := range []bool{false, true} {
		name := map[bool]string{false: "chat", true: "stream"}[stream]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			logOpt, logs := chaosLogs()
			env := Start(t, chaosModelPair, logOpt)
			env.Emu("mistral").SetFaults(t, `{"error_kind":"model_retired"}`)
			for i := range 2 {
				r := chaosPost(t, env, chaosCall{stream: stream})
				if r.status != http.StatusOK || r.header.Get("X-Windrose-Deployment") != "fallback" {
					t.Fatalf("request %d: status %d from %q, want 200 from fallback; body %s", i, r.status, r.header.Get("X-Windrose-Deployment"), r.body)
				}
				if v := r.header.Get("X-Windrose-Model-Version"); v != "3" {
					t.Errorf("X-Windrose-Model-Version %q, want the fallback's 3", v)
				}
			}
			// The second request never reached the primary: its breaker is open.
			if n := env.Emu("mistral").Requests(t); n != 1 {
				t.Errorf("primary got %d requests, want 1 (breaker open after the first)", n)
			}
			chaosMetrics(t, env, map[string]float64{
				"windrose_upstream_requests_total{deployment=primary,outcome=model_unavailable}": 1,
				"windrose_failovers_total{reason=model_unavailable}":                             1,
				"windrose_deployment_state{deployment=primary}":                                  2,
				"windrose_tokens_total{deployment=fallback,model_version=3}":                     2 * (chaosHelloIn + chaosHelloOut),
			})
			st := chaosGetStatus(t, env)["primary"]
			if open := st["open_remaining_seconds"].(float64); st["state"] != "open" || open < 400 || open > 420 || st["last_error_kind"] != "model_unavailable" {
				t.Errorf("primary status %v: want open for ~7m after model_unavailable", st)
			}
			// Pinned requests bypass the breaker and fail again: still one log line.
			for range 2 {
				r := chaosPost(t, env, chaosCall{stream: stream, header: map[string]string{"X-Windrose-Deployment": "primary"}})
				if r.status != http.StatusBadGateway || r.err.code() != "model_unavailable" || !strings.Contains(r.err.Message, "primary") {
					t.Errorf("pinned: %d %+v, want 502 model_unavailable naming primary", r.status, r.err)
				}
			}
			lines := logs.FilterLevelExact(zapcore.ErrorLevel).FilterField(stringField("deployment", "primary")).All()
			if len(lines) != 1 || !strings.Contains(lines[0].ContextMap()["error"].(string), "retired") {
				t.Errorf("error-level lines for primary: %v; want one carrying the provider's message", lines)
			}
			for _, a := range chaosAccess(logs)[:2] {
				if a["model_version"] != "3" {
					t.Errorf("access line %v: want model_version 3", a)
				}
			}
		})
	}
}

// TestChaosModelUnavailableEverywhere: when every deployment answers that
// it does not have the model, the client gets a 502 model_unavailable that
// names them, not a 400 that blames the request.
func TestChaosModelUnavailableEverywhere(t *testing.T) {
	t.Parallel()
	env := Start(t, chaosModelPair)
	env.Emu("mistral").SetFaults(t, `{"error_kind":"model_retired"}`)
	env.Emu("openrouter").SetFaults(t, `{"error_kind":"invalid_model"}`)
	r := chaosPost(t, env, chaosCall{})
	if r.status != http.StatusBadGateway || r.err.code() != "model_unavailable" ||
		!strings.Contains(r.err.Message, "primary, fallback") {
		t.Fatalf("status %d error %+v: want 502 model_unavailable naming primary and fallback", r.status, r.err)
	}
	if got := chaosCalls(t, env, "mistral", "openrouter"); got["mistral"] != 1 || got["openrouter"] != 1 {
		t.Errorf("calls %v: want each deployment tried once (never retried in place)", got)
	}
}

// TestChaosModelMismatch: an alias that moved under a deployment is
// counted and logged once; the declared version labels the tokens.
func TestChaosModelMismatch(t *testing.T) {
	t.Parallel()
	logOpt, logs := chaosLogs()
	cfg := strings.Replace(chaosModelPair, "model: mistral-medium-2508\n        model_version: \"3.1\"",
		"model: mistral-medium-latest\n        model_version: \"3.5\"", 1)
	env := Start(t, cfg, logOpt)
	for _, stream := range []bool{false, true} {
		r := chaosPost(t, env, chaosCall{stream: stream})
		if r.status != http.StatusOK || r.header.Get("X-Windrose-Model-Version") != "3.5" {
			t.Fatalf("stream=%v: status %d, X-Windrose-Model-Version %q; want 200 and 3.5", stream, r.status, r.header.Get("X-Windrose-Model-Version"))
		}
	}
	chaosMetrics(t, env, map[string]float64{
		"windrose_model_mismatch_total{deployment=primary}":           2,
		"windrose_model_mismatch_total":                               2,
		"windrose_tokens_total{deployment=primary,model_version=3.5}": 2 * (chaosHelloIn + chaosHelloOut),
	})
	if n := logs.FilterMessageSnippet("different model").Len(); n != 1 {
		t.Errorf("%d mismatch log lines, want 1 per deployment", n)
	}
}

func stringField(key, value string) zapcore.Field {
	return zapcore.Field{Key: key, Type: zapcore.StringType, String: value}
}
