package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/windrose-gw/windrose/internal/state/redistest"
)

// keysConfig has an EU-only key with a request rate, a key with a budget
// that may use only one model, and an unlimited key given as a hash.
func keysConfig(state string) string {
	sum := sha256.Sum256([]byte("ops-secret"))
	return `
server:
  admin_keys: [admin-secret]
models:
  - name: mistral-medium
    deployments:
      - name: mistral
        provider: mistral
        model: mistral-medium-2508
        region: eu-west
        base_url: ${EMU_MISTRAL_URL}
        api_key: ${EMU_API_KEY}
      - name: openrouter
        provider: openrouter
        model: mistralai/mistral-medium-3.1
        base_url: ${EMU_OPENROUTER_URL}
        api_key: ${EMU_API_KEY}
        priority: 1
  - name: other
    deployments:
      - name: other-openrouter
        provider: openrouter
        model: mistralai/mistral-medium-3.1
        base_url: ${EMU_OPENROUTER_URL}
        api_key: ${EMU_API_KEY}
keys:
  - name: team-eu
    key: eu-secret
    regions: [eu]
    rate: { requests_per_minute: 3 }
  - name: team-budget
    key: budget-secret
    models: [mistral-medium]
    budget: { usd: 0.00001, period: day }
  - name: load
    key: load-secret
    rate: { requests_per_minute: 100000 }
  - name: ops
    key: sha256:` + hex.EncodeToString(sum[:]) + `
` + state
}

type keyReply struct {
	status int
	header http.Header
	body   string
}

func callKey(t *testing.T, url, key, model string, header ...string) keyReply {
	t.Helper()
	body := `{"model":"` + model + `","messages":[{"role":"user","content":"Hello"}]}`
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return keyReply{resp.StatusCode, resp.Header, string(b)}
}

func getKey(t *testing.T, url, path, key string, into any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if into != nil && resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// Named keys end to end: the rate limit answers 429 with OpenAI's headers,
// a key's model list and region policy hold, a spent budget refuses with
// budget_exceeded, the self and admin views tell the standing, and the
// access log names keys without ever holding one.
func TestKeysGovernance(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	env := Start(t, keysConfig(""), WithLogger(zap.New(core)))

	// Unknown key: 401.
	if r := callKey(t, env.URL, "nope", "mistral-medium"); r.status != 401 {
		t.Fatalf("unknown key: %d %s", r.status, r.body)
	}
	// team-eu: three requests a minute, EU only, so always Mistral, the
	// only EU deployment (TestKeyRegionPolicy and
	// TestKeyRegionPolicyFailsClosed test the policy itself).
	for i := range 3 {
		r := callKey(t, env.URL, "eu-secret", "mistral-medium")
		if r.status != 200 || r.header.Get("X-Windrose-Deployment") != "mistral" {
			t.Fatalf("team-eu %d: %d %s %v", i, r.status, r.body, r.header)
		}
		if got, want := r.header.Get("x-ratelimit-remaining-requests"), []string{"2", "1", "0"}[i]; got != want {
			t.Errorf("team-eu %d: remaining = %q, want %q", i, got, want)
		}
		if r.header.Get("x-ratelimit-limit-requests") != "3" || r.header.Get("x-ratelimit-reset-requests") == "" {
			t.Errorf("team-eu %d: headers %v", i, r.header)
		}
	}
	r := callKey(t, env.URL, "eu-secret", "mistral-medium")
	if r.status != 429 || !strings.Contains(r.body, `"code":"rate_limit_exceeded"`) || r.header.Get("Retry-After") != "20" {
		t.Fatalf("4th team-eu request: %d %s Retry-After=%q", r.status, r.body, r.header.Get("Retry-After"))
	}
	// ops, unlimited and without a region policy, may pin the global
	// OpenRouter deployment (the EU key's refusal is in TestKeyRegionPolicy).
	if r := callKey(t, env.URL, "ops-secret", "mistral-medium", "X-Windrose-Deployment", "openrouter"); r.status != 200 {
		t.Fatalf("ops pinned to openrouter: %d %s", r.status, r.body)
	}
	// team-budget may not use "other": the model does not exist for it.
	if r := callKey(t, env.URL, "budget-secret", "other"); r.status != 404 || !strings.Contains(r.body, "model_not_found") {
		t.Fatalf("team-budget on other: %d %s", r.status, r.body)
	}
	// One request spends more than $0.00001; the next is refused.
	r = callKey(t, env.URL, "budget-secret", "mistral-medium")
	if r.status != 200 || r.header.Get("x-windrose-budget-remaining-usd") != "0.000010" {
		t.Fatalf("team-budget first: %d %s %v", r.status, r.body, r.header)
	}
	r = callKey(t, env.URL, "budget-secret", "mistral-medium")
	if r.status != 429 || !strings.Contains(r.body, `"code":"budget_exceeded"`) || !strings.Contains(r.body, "resets at") || r.header.Get("Retry-After") == "" {
		t.Fatalf("team-budget after spending: %d %s", r.status, r.body)
	}
	// Self view: spend, period, and the limits.
	var self struct {
		Name  string
		Usage struct {
			SpentUSD  float64 `json:"spent_usd"`
			PeriodEnd string  `json:"period_end"`
		}
	}
	if code := getKey(t, env.URL, "/v1/windrose/keys/self", "budget-secret", &self); code != 200 || self.Name != "team-budget" || self.Usage.SpentUSD <= 0.00001 || self.Usage.PeriodEnd == "" {
		t.Fatalf("self view: %d %+v", code, self)
	}
	// Admin view: only for admin keys; lists the named keys.
	if code := getKey(t, env.URL, "/v1/windrose/keys", "budget-secret", nil); code != 401 {
		t.Fatalf("admin view with a team key: %d", code)
	}
	var all struct{ Data []struct{ Name string } }
	if code := getKey(t, env.URL, "/v1/windrose/keys", "admin-secret", &all); code != 200 || len(all.Data) != 4 {
		t.Fatalf("admin view: %d %+v", code, all)
	}
	// Per-key metrics carry the configured names.
	if got := env.Metric(t, "windrose_key_requests_total", map[string]string{"key": "team-eu", "code": "429"}); got != 1 {
		t.Errorf("team-eu 429s counted = %v", got)
	}
	if got := env.Metric(t, "windrose_key_cost_usd_total", map[string]string{"key": "team-budget"}); got <= 0.00001 {
		t.Errorf("team-budget cost = %v", got)
	}
	// The access log names the key, never a secret.
	for _, e := range logs.All() {
		line, _ := json.Marshal(e.ContextMap())
		for _, secret := range []string{"eu-secret", "budget-secret", "ops-secret", "admin-secret"} {
			if bytes.Contains(line, []byte(secret)) {
				t.Fatalf("log line holds a key: %s", line)
			}
		}
	}
	if n := logs.FilterField(zap.String("key", "team-eu")).Len(); n != 4 {
		t.Errorf("access lines naming team-eu = %d, want 4", n)
	}
}

// The EU key's region policy holds even when the only EU deployment fails:
// it never fails over to the global one.
func TestKeyRegionPolicyFailsClosed(t *testing.T) {
	env := Start(t, keysConfig(""))
	env.Emu("mistral").SetFaults(t, `{"status":503}`)
	r := callKey(t, env.URL, "eu-secret", "mistral-medium")
	if r.status == 200 || env.Emu("openrouter").Requests(t) != 0 {
		t.Fatalf("EU key reached openrouter: %d %s", r.status, r.body)
	}
}

// sharedState is the state section of a replica on the Redis at url. Its
// round trips get 2s, not the 50ms default: these tests are about what the
// replicas share, and on a loaded -race runner a round trip over 50ms puts
// a fail_open replica on its local fallback, where it holds the limits
// alone and lets more through. TestRedisKilledMidLoad covers the fallback.
func sharedState(url, policy string) string {
	return `state: { backend: redis, url: "` + url + `", on_error: ` + policy + `, timeout: 2s }
`
}

// replicaConfig points a second gateway at the first one's emulators and
// the same Redis.
func replicaConfig(env *Env, redisURL string, policy string, extra string) string {
	cfg := keysConfig(sharedState(redisURL, policy))
	cfg = strings.ReplaceAll(cfg, "${EMU_MISTRAL_URL}", env.Emu("mistral").BaseURL)
	cfg = strings.ReplaceAll(cfg, "${EMU_OPENROUTER_URL}", env.Emu("openrouter").BaseURL)
	return cfg + extra
}

// Two replicas sharing one Redis hold one budget and one request rate
// together: spend ends within the overshoot bound (the requests in flight
// when the budget ran out), and accepted requests never exceed the limit.
func TestKeysSharedAcrossReplicas(t *testing.T) {
	srv := redistest.Start(t)
	a := Start(t, keysConfig(sharedState(srv.URL(), "fail_open")))
	b := Start(t, replicaConfig(a, srv.URL(), "fail_open", ""))
	const workers = 4
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func(url string) {
			defer wg.Done()
			for range 10 {
				switch r := callKey(t, url, "budget-secret", "mistral-medium"); r.status {
				case 200:
					ok.Add(1)
				case 429:
					refused.Add(1)
				default:
					t.Errorf("%d %s", r.status, r.body)
				}
			}
		}([]string{a.URL, b.URL}[w%2])
	}
	wg.Wait()
	noStateErrors(t, a, b)
	// Each answer ($0.0000152) costs more than the whole $0.00001 budget, so at most one
	// request per worker can start before every replica sees it spent.
	if ok.Load() < 1 || ok.Load() > workers {
		t.Fatalf("served %d (refused %d), want 1..%d", ok.Load(), refused.Load(), workers)
	}
	// The request rate across both: 3 a minute in all. GCRA refills one
	// every 20s, far longer than these eight requests take.
	accepted := 0
	for i := range 8 {
		url := []string{a.URL, b.URL}[i%2]
		if r := callKey(t, url, "eu-secret", "mistral-medium"); r.status == 200 {
			accepted++
		}
	}
	noStateErrors(t, a, b)
	if accepted != 3 {
		t.Fatalf("accepted %d requests of team-eu across two replicas, want 3", accepted)
	}
}

// noStateErrors stops the test if a replica missed a Redis round trip: it
// then counted on its own for a while, so the counts the test checks next
// are not what the replicas share.
func noStateErrors(t *testing.T, envs ...*Env) {
	t.Helper()
	for i, env := range envs {
		if n := env.Metric(t, "windrose_state_errors_total", nil); n != 0 {
			t.Fatalf("replica %d: %v failed Redis round trips; the limits were not shared meanwhile", i, n)
		}
	}
}

// A Retry-After seen by replica A keeps replica B off that deployment
// promptly, though B never saw the 429 itself. Pub/sub delivers in
// milliseconds; the test allows 5s so a loaded runner cannot fail it.
func TestCooldownSharedAcrossReplicas(t *testing.T) {
	srv := redistest.Start(t)
	a := Start(t, keysConfig(sharedState(srv.URL(), "fail_open")))
	b := Start(t, replicaConfig(a, srv.URL(), "fail_open", ""))
	a.Emu("mistral").SetFaults(t, `{"status":429,"retry_after":60,"rate":1}`)
	if r := callKey(t, a.URL, "ops-secret", "mistral-medium"); r.status != 200 || r.header.Get("X-Windrose-Deployment") != "openrouter" {
		t.Fatalf("replica A: %d %v", r.status, r.header)
	}
	before := a.Emu("mistral").Requests(t)
	deadline := time.Now().Add(5 * time.Second)
	for b.Gateway.Health.CooldownRemaining("mistral") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("replica B did not learn of the cooldown within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r := callKey(t, b.URL, "ops-secret", "mistral-medium"); r.status != 200 || r.header.Get("X-Windrose-Deployment") != "openrouter" {
		t.Fatalf("replica B: %d %v", r.status, r.header)
	}
	if after := a.Emu("mistral").Requests(t); after != before {
		t.Fatalf("replica B still sent %d requests to the cooling deployment", after-before)
	}
}

// Redis killed mid-load: with fail_open not one request of a concurrent
// load fails while Redis dies and comes back; with fail_closed requests get a
// prompt 503 that says why; both recover after a restart.
func TestRedisKilledMidLoad(t *testing.T) {
	for _, policy := range []string{"fail_open", "fail_closed"} {
		t.Run(policy, func(t *testing.T) {
			srv := redistest.Start(t)
			env := Start(t, keysConfig(`state: { backend: redis, url: "`+srv.URL()+`", on_error: `+policy+`, timeout: 50ms }
`))
			// Keys without limits never touch the store: the load uses a
			// limited key whose limit it never reaches.
			var failed, served, slow atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						start := time.Now()
						r := callKey(t, env.URL, "load-secret", "mistral-medium")
						if time.Since(start) > 5*time.Second {
							slow.Add(1)
						}
						switch {
						case r.status == 200:
							served.Add(1)
						case policy == "fail_closed" && r.status == 503 && strings.Contains(r.body, "state_unavailable"):
						default:
							failed.Add(1)
							t.Errorf("%d %s", r.status, r.body)
						}
					}
				}()
			}
			time.Sleep(200 * time.Millisecond)
			srv.Stop()
			time.Sleep(500 * time.Millisecond)
			srv.Restart()
			time.Sleep(1300 * time.Millisecond) // the store retries Redis after 1s
			close(stop)
			wg.Wait()
			if failed.Load() > 0 || slow.Load() > 0 || served.Load() == 0 {
				t.Fatalf("served %d, failed %d, slow %d", served.Load(), failed.Load(), slow.Load())
			}
			if got := env.Metric(t, "windrose_state_errors_total", nil); got < 1 {
				t.Errorf("state errors = %v", got)
			}
			if policy == "fail_closed" {
				if got := env.Metric(t, "windrose_key_refusals_total", map[string]string{"reason": "state"}); got < 1 {
					t.Errorf("no request was refused for the outage (%v)", got)
				}
			}
			// Redis is back: limited keys are served from it again. A round
			// trip that missed its 50ms on a loaded runner just after the
			// restart puts the store back on its fallback for another 1s
			// (the retry interval), so allow a few of those, not one call.
			deadline := time.Now().Add(5 * time.Second)
			for {
				r := callKey(t, env.URL, "load-secret", "mistral-medium")
				if r.status == 200 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after restart: still %d %s after 5s", r.status, r.body)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}

// With Redis, a stored Responses API response is shared by the replicas and
// scoped to the configured key that created it: replica B continues a
// conversation started on A; another key cannot read it.
func TestResponsesSharedAcrossReplicas(t *testing.T) {
	srv := redistest.Start(t)
	a := Start(t, keysConfig(sharedState(srv.URL(), "fail_open")))
	b := Start(t, replicaConfig(a, srv.URL(), "fail_open", ""))
	post := func(url, key, body string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, url+"/v1/responses", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	code, first := post(a.URL, "ops-secret", `{"model":"mistral-medium","input":"Hello"}`)
	if code != 200 || first["id"] == nil {
		t.Fatalf("create on A: %d %v", code, first)
	}
	id := first["id"].(string)
	code, second := post(b.URL, "ops-secret", `{"model":"mistral-medium","input":"And then?","previous_response_id":"`+id+`"}`)
	if code != 200 || second["status"] != "completed" {
		t.Fatalf("continue on B: %d %v", code, second)
	}
	if code := getKey(t, b.URL, "/v1/responses/"+id, "ops-secret", nil); code != 200 {
		t.Fatalf("GET on B: %d", code)
	}
	if code := getKey(t, b.URL, "/v1/responses/"+id, "eu-secret", nil); code != 404 {
		t.Fatalf("GET with another key: %d, want 404", code)
	}
}
