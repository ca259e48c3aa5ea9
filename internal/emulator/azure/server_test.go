package azure

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

const key = "test-key"

// clock is a settable time source for token expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newServer(t *testing.T, cfg Config) (*Server, *clock) {
	c := &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	return NewWithConfig(emukit.Options{APIKey: key, Now: c.now}, cfg), c
}

func do(s *Server, method, target string, header map[string]string, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

const (
	modelsURL     = "/models/chat/completions?api-version=2024-05-01-preview"
	openaiURL     = "/openai/deployments/mistral-medium-2505/chat/completions?api-version=2024-10-21"
	serverlessURL = "/chat/completions"
	helloBody     = `{"model":"mistral-medium-2505","messages":[{"role":"user","content":"hello there"}]}`
)

var apiKey = map[string]string{"api-key": key}

// issue gets a token from the emulator's token endpoint.
func issue(t *testing.T, s *Server, form url.Values) (int, map[string]any) {
	t.Helper()
	rec := do(s, "POST", "/tenant-1/oauth2/v2.0/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form.Encode())
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("token body %q: %v", rec.Body, err)
	}
	return rec.Code, out
}

func grant(secret, scope string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {secret}, "scope": {scope}}
}

func TestRoutes(t *testing.T) {
	s, _ := newServer(t, Config{})
	tests := []struct {
		name, method, target string
		header               map[string]string
		body                 string
		status               int
		contains             string
	}{
		// The three routes answer with OpenAI's chat.completion shape.
		{"models", "POST", modelsURL, apiKey, helloBody, 200, `"object":"chat.completion"`},
		{"openai", "POST", openaiURL, apiKey, `{"messages":[{"role":"user","content":"hi"}]}`, 200, `"prompt_filter_results"`},
		{"serverless", "POST", serverlessURL, map[string]string{"Authorization": "Bearer " + key}, `{"messages":[{"role":"user","content":"hi"}]}`, 200, `"usage"`},
		{"serverless v1", "POST", "/v1/chat/completions", apiKey, `{"messages":[{"role":"user","content":"hi"}]}`, 200, `"usage"`},
		// api-version is required on the Foundry routes and checked everywhere.
		{"missing version", "POST", "/models/chat/completions", apiKey, helloBody, 400, "MissingApiVersionParameter"},
		{"unsupported version", "POST", "/models/chat/completions?api-version=2019-01-01", apiKey, helloBody, 400, "API version not supported"},
		{"openai version of the models route", "POST", "/models/chat/completions?api-version=2024-10-21", apiKey, helloBody, 400, "API version not supported"},
		{"serverless bad version", "POST", "/chat/completions?api-version=1999", apiKey, helloBody, 400, "API version not supported"},
		// Credentials.
		{"no key", "POST", modelsURL, nil, helloBody, 401, "Access denied"},
		{"wrong key", "POST", modelsURL, map[string]string{"api-key": "nope"}, helloBody, 401, "Access denied"},
		// The key as a Bearer token is for serverless endpoints only.
		{"bearer key on models", "POST", modelsURL, map[string]string{"Authorization": "Bearer " + key}, helloBody, 401, "Access token is missing, invalid"},
		// Deployments: a wrong name is 400 unknown_model on /models, 404 on /openai.
		{"unknown model", "POST", modelsURL, apiKey, `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`, 400, `"unknown_model"`},
		{"missing model", "POST", modelsURL, apiKey, `{"messages":[{"role":"user","content":"hi"}]}`, 400, "model"},
		{"deployment not found", "POST", "/openai/deployments/nope/chat/completions?api-version=2024-10-21", apiKey, helloBody, 404, "DeploymentNotFound"},
		// Extra parameters: refused by default, in Azure's words.
		{"extra refused", "POST", modelsURL, apiKey, `{"model":"mistral-medium-2505","user":"u","messages":[{"role":"user","content":"hi"}]}`, 422, "Extra parameters ['user'] are not allowed"},
		{"extra dropped", "POST", modelsURL, map[string]string{"api-key": key, "extra-parameters": "drop"}, `{"model":"mistral-medium-2505","user":"u","messages":[{"role":"user","content":"hi"}]}`, 200, "chat.completion"},
		{"extra passed to mistral", "POST", modelsURL, map[string]string{"api-key": key, "extra-parameters": "pass-through"}, `{"model":"mistral-medium-2505","safe_prompt":true,"messages":[{"role":"user","content":"hi"}]}`, 200, "chat.completion"},
		{"extra unknown to mistral", "POST", modelsURL, map[string]string{"api-key": key, "extra-parameters": "pass-through"}, `{"model":"mistral-medium-2505","logit_bias":{},"messages":[{"role":"user","content":"hi"}]}`, 422, "Extra inputs are not permitted"},
		{"bad extra header", "POST", modelsURL, map[string]string{"api-key": key, "extra-parameters": "allow"}, helloBody, 400, "extra-parameters"},
		// Mistral behind Azure rejects OpenAI-style tool-call ids.
		{"tool id", "POST", modelsURL, apiKey, `{"model":"mistral-medium-2505","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123xyz","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_abc123xyz","content":"x"}]}`, 400, "must be a-z, A-Z, 0-9, with a length of 9"},
		// Bad bodies are 400s, never 500s.
		{"bad json", "POST", modelsURL, apiKey, `{"model":`, 400, "Invalid JSON"},
		{"no messages", "POST", modelsURL, apiKey, `{"model":"mistral-medium-2505","messages":[]}`, 400, "messages"},
		{"not an object", "POST", modelsURL, apiKey, `[1]`, 400, "JSON object"},
		// Over the context window.
		{"context", "POST", modelsURL, apiKey, `{"model":"mistral-medium-2505","max_tokens":200000,"messages":[{"role":"user","content":"hi"}]}`, 400, "context_length_exceeded"},
		// The output filter trigger: a 200 cut short.
		{"output filter", "POST", modelsURL, apiKey, `{"model":"mistral-medium-2505","messages":[{"role":"user","content":"tell me emulator:filter things"}]}`, 200, `"finish_reason":"content_filter"`},
		// Model info.
		{"info", "GET", "/info", map[string]string{"Authorization": "Bearer " + key}, "", 200, "MistralAI"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(s, tt.method, tt.target, tt.header, tt.body)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.contains) {
				t.Errorf("%d %s; want %d containing %q", rec.Code, rec.Body, tt.status, tt.contains)
			}
		})
	}
}

// Discovery gives MSAL what it checks: token, authorization and issuer
// endpoints on the host the client used.
func TestDiscovery(t *testing.T) {
	s, _ := newServer(t, Config{})
	ts := httptest.NewTLSServer(s)
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL + "/tenant-1/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"issuer": ts.URL + "/tenant-1/v2.0", "token_endpoint": ts.URL + "/tenant-1/oauth2/v2.0/token",
		"authorization_endpoint": ts.URL + "/tenant-1/oauth2/v2.0/authorize",
	} {
		if doc[k] != want {
			t.Errorf("%s = %v, want %s", k, doc[k], want)
		}
	}
}

// Tokens: issued for the right secret with the configured lifetime,
// accepted for their audience until they expire, then refused with 401.
func TestTokens(t *testing.T) {
	s, clk := newServer(t, Config{TokenLifetime: 90 * time.Second, RefreshIn: 45 * time.Second})
	status, body := issue(t, s, grant("wrong", AudienceCognitive+"/.default"))
	// A wrong client secret: Entra's invalid_client with AADSTS7000215.
	if status != 401 || body["error"] != "invalid_client" || !strings.Contains(body["error_description"].(string), "AADSTS7000215") {
		t.Fatalf("wrong secret: %d %v", status, body)
	}
	// No /.default scope.
	if status, body := issue(t, s, grant(key, "openid")); status != 400 || body["error"] != "invalid_scope" {
		t.Fatalf("bad scope: %d %v", status, body)
	}
	// Workload identity's federated assertion.
	assertion := url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "scope": {AudienceML + "/.default"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {key}}
	if status, body := issue(t, s, assertion); status != 200 || body["access_token"] == nil {
		t.Fatalf("assertion: %d %v", status, body)
	}
	status, body = issue(t, s, grant(key, AudienceCognitive+"/.default"))
	if status != 200 || body["token_type"] != "Bearer" || body["expires_in"] != 90.0 || body["refresh_in"] != 45.0 {
		t.Fatalf("token: %d %v", status, body)
	}
	bearer := map[string]string{"Authorization": "Bearer " + body["access_token"].(string)}
	steps := []struct {
		name    string
		advance time.Duration
		target  string
		status  int
	}{
		// Fresh: accepted on a Foundry route.
		{"fresh", 0, modelsURL, 200},
		// Wrong audience: a cognitiveservices token on serverless.
		{"wrong audience", 0, serverlessURL, 401},
		// One second before expiry: still good.
		{"almost expired", 89 * time.Second, openaiURL, 200},
		// At expiry: refused, and counted.
		{"expired", time.Second, modelsURL, 401},
	}
	for _, st := range steps {
		clk.add(st.advance)
		if rec := do(s, "POST", st.target, bearer, helloBody); rec.Code != st.status {
			t.Errorf("%s: %d %s, want %d", st.name, rec.Code, rec.Body, st.status)
		}
	}
	if got := s.Entra(); got.ExpiredRejected != 1 || got.BearerCalls != 2 || got.TokensIssued != 2 || got.TokenRequests != 4 {
		t.Errorf("entra stats = %+v", got)
	}
}
