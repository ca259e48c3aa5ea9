package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	configfiles "github.com/windrose-gw/windrose/config"
	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/gateway"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/all"
)

const upstreamKey = "sk-upstream-SECRET-do-not-log"

// start runs one Mistral emulator and the gateway in front of it, with
// extraServer YAML appended to the server block.
func start(t *testing.T, extraServer string) (*gateway.Gateway, string, *observer.ObservedLogs) {
	t.Helper()
	return startEmu(t, extraServer, upstreamKey)
}

// startEmu is start with an emulator that expects emuKey (the gateway
// still sends upstreamKey).
func startEmu(t *testing.T, extraServer, emuKey string) (*gateway.Gateway, string, *observer.ObservedLogs) {
	t.Helper()
	return startRegistry(t, extraServer, emuKey, all.Registry())
}

// startRegistry is startEmu with the adapters of reg.
func startRegistry(t *testing.T, extraServer, emuKey string, reg *providers.Registry) (*gateway.Gateway, string, *observer.ObservedLogs) {
	t.Helper()
	emu, err := emulator.New("mistral", emukit.Options{APIKey: emuKey})
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(emu)
	t.Cleanup(up.Close)
	yaml := fmt.Sprintf(`server: {max_body_bytes: 2KiB%s}
models:
  - name: mistral-medium
    aliases: [mistral-medium-2508]
    deployments:
      - {name: mistral, provider: mistral, model: mistral-medium-2508, base_url: %q, api_key: %q}
`, extraServer, up.URL, upstreamKey)
	cfg, err := config.Parse([]byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	prices, err := config.LoadPrices(configfiles.Prices)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	gw, err := gateway.New(cfg, gateway.Options{Providers: reg, Prices: prices, Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Server)
	t.Cleanup(srv.Close)
	return gw, srv.URL, logs
}

type apiError struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

func do(t *testing.T, method, url, body string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestBadInput(t *testing.T) {
	_, base, _ := start(t, "")
	ok := `"messages":[{"role":"user","content":"hi"}]`
	cases := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantParam  string
		wantCode   string
	}{
		// Broken JSON is the client's mistake: 400, never a 500.
		{"malformed json", "POST", "/v1/chat/completions", `{"model":`, 400, "", ""},
		// Wrong types name the field, as OpenAI does.
		{"wrong type", "POST", "/v1/chat/completions", `{"model":"mistral-medium","messages":{}}`, 400, "messages", ""},
		{"missing messages", "POST", "/v1/chat/completions", `{"model":"mistral-medium"}`, 400, "messages", ""},
		{"missing model", "POST", "/v1/chat/completions", `{` + ok + `}`, 400, "model", ""},
		{"bad role", "POST", "/v1/chat/completions", `{"model":"mistral-medium","messages":[{"role":"robot","content":"x"}]}`, 400, "messages[0].role", ""},
		{"out of range", "POST", "/v1/chat/completions", `{"model":"mistral-medium","top_p":7,` + ok + `}`, 400, "top_p", ""},
		// An unknown model is a 404 with OpenAI's code, so SDKs raise NotFoundError.
		{"unknown model", "POST", "/v1/chat/completions", `{"model":"gpt-9",` + ok + `}`, 404, "model", "model_not_found"},
		// A declared Content-Length over the limit is refused before reading.
		{"too large", "POST", "/v1/chat/completions", `{"model":"mistral-medium","messages":[{"role":"user","content":"` + strings.Repeat("a", 4096) + `"}]}`, 413, "", "request_too_large"},
		// Chunked (no Content-Length): only MaxBytesReader can stop it.
		{"too large, chunked", "CHUNKED", "/v1/chat/completions", `{"model":"mistral-medium","messages":[{"role":"user","content":"` + strings.Repeat("a", 4096) + `"}]}`, 413, "", "request_too_large"},
		{"empty body", "POST", "/v1/chat/completions", ``, 400, "", ""},
		{"unknown route", "GET", "/v2/nothing", ``, 404, "", "not_found"},
		{"wrong method", "GET", "/v1/chat/completions", ``, 404, "", "method_not_allowed"},
		// logit_bias where no deployment serves it (Mistral has none): a
		// 400 naming it, not a 200 with the bias silently dropped.
		{"logit_bias unsupported", "POST", "/v1/chat/completions", `{"model":"mistral-medium","logit_bias":{"1":5},` + ok + `}`, 400, "logit_bias", "unsupported_parameter"},
		{"logprobs unsupported", "POST", "/v1/chat/completions", `{"model":"mistral-medium","logprobs":true,` + ok + `}`, 400, "logprobs", "unsupported_parameter"},
		// A bad pin names its header.
		{"bad pin", "PIN", "/v1/chat/completions", `{"model":"mistral-medium",` + ok + `}`, 400, "X-Windrose-Deployment", "deployment_not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method, hdr := tc.method, map[string]string{}
			if method == "PIN" {
				method, hdr["X-Windrose-Deployment"] = "POST", "nope"
			}
			var resp *http.Response
			var body []byte
			if method == "CHUNKED" {
				resp, body = doChunked(t, base+tc.path, tc.body)
			} else {
				resp, body = do(t, method, base+tc.path, tc.body, hdr)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.wantStatus, body)
			}
			var e apiError
			if err := json.Unmarshal(body, &e); err != nil || e.Error.Message == "" || e.Error.Type == "" {
				t.Fatalf("not an OpenAI error envelope: %s", body)
			}
			if got := deref(e.Error.Param); got != tc.wantParam {
				t.Errorf("param = %q, want %q", got, tc.wantParam)
			}
			if tc.wantCode != "" && deref(e.Error.Code) != tc.wantCode {
				t.Errorf("code = %q, want %q", deref(e.Error.Code), tc.wantCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestClientAuth(t *testing.T) {
	_, base, _ := start(t, ", api_keys: [client-key-1, client-key-2]")
	body := `{"model":"mistral-medium","messages":[{"role":"user","content":"hi"}]}`
	cases := []struct {
		name string
		auth string
		want int
	}{
		{"no key", "", 401},
		{"wrong key", "Bearer client-key-3", 401},
		{"not bearer", "Basic client-key-1", 401},
		{"first key", "Bearer client-key-1", 200},
		{"second key", "Bearer client-key-2", 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := do(t, "POST", base+"/v1/chat/completions", body, map[string]string{"Authorization": tc.auth})
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.want, b)
			}
		})
	}
	// Probes and metrics stay open: kubelet and Prometheus carry no key.
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if resp, _ := do(t, "GET", base+p, "", nil); resp.StatusCode != 200 {
			t.Errorf("%s = %d without a key", p, resp.StatusCode)
		}
	}
}

func TestReadiness(t *testing.T) {
	gw, base, _ := start(t, "")
	if resp, _ := do(t, "GET", base+"/readyz", "", nil); resp.StatusCode != 200 {
		t.Fatalf("readyz = %d before drain", resp.StatusCode)
	}
	gw.Server.SetReady(false) // what SIGTERM does
	if resp, _ := do(t, "GET", base+"/readyz", "", nil); resp.StatusCode != 503 {
		t.Fatalf("readyz = %d while draining, want 503", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", base+"/healthz", "", nil); resp.StatusCode != 200 {
		t.Fatalf("healthz = %d while draining; the process is alive", resp.StatusCode)
	}
}

func TestRequestIDAndRouteHeaders(t *testing.T) {
	_, base, _ := start(t, "")
	body := `{"model":"mistral-medium-2508","messages":[{"role":"user","content":"hi"}]}`
	resp, b := do(t, "POST", base+"/v1/chat/completions", body, map[string]string{"X-Request-Id": "trace-abc_123"})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	want := map[string]string{"X-Request-Id": "trace-abc_123", "X-Windrose-Provider": "mistral",
		"X-Windrose-Deployment": "mistral", "X-Windrose-Region": "eu", "X-Windrose-Attempts": "1"}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// A request id that could inject into logs or headers is replaced.
	resp, _ = do(t, "POST", base+"/v1/chat/completions", body, map[string]string{"X-Request-Id": "bad id\twith tab"})
	if got := resp.Header.Get("X-Request-Id"); got == "" || strings.ContainsAny(got, " \t") {
		t.Errorf("unsafe request id echoed: %q", got)
	}
}

// TestAccessLogHasNoSecrets checks the one access line per request carries
// what operators need and never a key (upstream or client) or the prompt,
// on success and on every failure path that logs the most.
func TestAccessLogHasNoSecrets(t *testing.T) {
	const clientKey = "sk-client-SECRET-never-logged"
	prompt := "my secret prompt text"
	good := `{"model":"mistral-medium","messages":[{"role":"user","content":"` + prompt + `"}]}`
	cases := []struct {
		name   string
		emuKey string // the key the emulator expects
		bearer string
		body   string
		status int
		fields []string            // the access line must have these
		reg    *providers.Registry // nil: every built-in adapter
	}{
		// Success: the full access line.
		{"success", upstreamKey, clientKey, good, 200,
			[]string{"request_id", "model", "key", "deployment", "status", "attempts", "prompt_tokens", "completion_tokens", "duration"}, nil},
		// The provider rejects the gateway's key: its error must not echo it.
		{"upstream auth failure", "another-key", clientKey, good, 502, []string{"request_id", "model", "status", "error_kind", "error"}, nil},
		// A 4xx with the prompt in the rejected body.
		{"invalid request", upstreamKey, clientKey, `{"model":"mistral-medium","messages":[{"role":"robot","content":"` + prompt + `"}]}`, 400,
			[]string{"request_id", "status", "error_kind"}, nil},
		// A wrong client key is a 401 that must not log what was sent.
		{"wrong client key", upstreamKey, clientKey + "-wrong", good, 401, []string{"status"}, nil},
		// An adapter that panics holding the provider key: the recoverer's
		// log (value and stack) and the access line name neither key.
		{"panic", upstreamKey, clientKey, good, 500, []string{"request_id", "model", "key", "status"}, panicking()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg := tc.reg
			if reg == nil {
				reg = all.Registry()
			}
			_, base, logs := startRegistry(t, ", api_keys: ["+clientKey+"]", tc.emuKey, reg)
			resp, b := do(t, "POST", base+"/v1/chat/completions", tc.body, map[string]string{"Authorization": "Bearer " + tc.bearer})
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b)
			}
			if strings.Contains(string(b), upstreamKey) {
				t.Fatalf("response leaks the upstream key: %s", b)
			}
			var access []observer.LoggedEntry
			for _, e := range logs.All() {
				line, _ := json.Marshal(e.ContextMap())
				for _, secret := range []string{upstreamKey, clientKey, prompt} {
					if strings.Contains(string(line), secret) || strings.Contains(e.Message, secret) {
						t.Fatalf("log leaks %q: %s %s", secret, e.Message, line)
					}
				}
				if e.Message == "access" {
					access = append(access, e)
				}
			}
			if tc.status == 401 {
				return // refused before the handler: no access line needed
			}
			if tc.reg != nil && logs.FilterMessage("panic").Len() != 1 {
				t.Fatalf("the recoverer logged no panic: the case did not test it")
			}
			if len(access) != 1 {
				t.Fatalf("%d access lines, want 1", len(access))
			}
			f := access[0].ContextMap()
			for _, k := range tc.fields {
				if _, ok := f[k]; !ok {
					t.Errorf("access line lacks %q: %v", k, f)
				}
			}
		})
	}
}

// panicking is a registry whose mistral adapter keeps its deployment's key
// and panics on every request.
func panicking() *providers.Registry {
	r := providers.NewRegistry()
	r.Register("mistral", func(d config.Deployment, _ providers.Deps) (providers.Provider, error) {
		return &panicAdapter{key: d.APIKey.Value()}, nil
	})
	return r
}

type panicAdapter struct{ key string }

func (a *panicAdapter) Chat(context.Context, *llm.ChatRequest) (*llm.ChatResponse, error) {
	panic("adapter bug")
}

func (a *panicAdapter) ChatStream(context.Context, *llm.ChatRequest) (providers.Stream, error) {
	panic("adapter bug")
}
