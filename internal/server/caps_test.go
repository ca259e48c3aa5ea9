package server_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	configfiles "github.com/windrose-gw/windrose/config"
	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/gateway"
	"github.com/windrose-gw/windrose/providers/all"
)

// TestNChoices: n: 2 is planned only over deployments that declare n (the
// Mistral one here, never OpenRouter, which answers one choice), and
// gets two distinct choices, whole and streamed; where no planned
// deployment can serve it (a model on OpenRouter alone, or a pin to it)
// the answer is a 400 with param "n".
func TestNChoices(t *testing.T) {
	url := map[string]string{}
	for _, kind := range []string{"mistral", "openrouter"} {
		emu, err := emulator.New(kind, emukit.Options{APIKey: "k"})
		if err != nil {
			t.Fatal(err)
		}
		up := httptest.NewServer(emu)
		t.Cleanup(up.Close)
		url[kind] = up.URL
	}
	yaml := fmt.Sprintf(`models:
  - name: both
    deployments:
      - {name: openrouter, provider: openrouter, model: mistralai/mistral-medium-3.1, base_url: %[2]q, api_key: k, weight: 100}
      - {name: mistral, provider: mistral, model: mistral-medium-2508, base_url: %[1]q, api_key: k, weight: 1}
  - name: or-only
    deployments:
      - {name: or2, provider: openrouter, model: mistralai/mistral-medium-3.1, base_url: %[2]q, api_key: k}
`, url["mistral"], url["openrouter"])
	cfg, err := config.Parse([]byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	prices, _ := config.LoadPrices(configfiles.Prices)
	gw, err := gateway.New(cfg, gateway.Options{Providers: all.Registry(), Prices: prices, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Server)
	t.Cleanup(srv.Close)
	const msgs = `"messages":[{"role":"user","content":"hi"}]`

	for i := 0; i < 3; i++ { // OpenRouter has all the weight: only the capability filter keeps it out
		resp, b := do(t, "POST", srv.URL+"/v1/chat/completions", `{"model":"both","n":2,`+msgs+`}`, nil)
		var out struct {
			Choices []struct {
				Index   int `json:"index"`
				Message struct{ Content string }
			}
		}
		if err := json.Unmarshal(b, &out); err != nil || resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, b)
		}
		if got := resp.Header.Get("X-Windrose-Deployment"); got != "mistral" {
			t.Fatalf("n: 2 served by %q, want the deployment that declares n", got)
		}
		if len(out.Choices) != 2 || out.Choices[1].Index != 1 || out.Choices[0].Message.Content == out.Choices[1].Message.Content {
			t.Fatalf("want two distinct choices: %s", b)
		}
	}
	resp, b := do(t, "POST", srv.URL+"/v1/chat/completions", `{"model":"both","n":2,"stream":true,`+msgs+`}`, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"index":1`) || !strings.Contains(string(b), "[DONE]") {
		t.Fatalf("stream of n: 2: status %d\n%s", resp.StatusCode, b)
	}
	for _, tc := range []struct{ name, model, pin string }{
		{"no deployment has n", "or-only", ""},
		{"pinned to one without n", "both", "openrouter"},
	} {
		hdr := map[string]string{}
		if tc.pin != "" {
			hdr["X-Windrose-Deployment"] = tc.pin
		}
		resp, b := do(t, "POST", srv.URL+"/v1/chat/completions", `{"model":"`+tc.model+`","n":2,`+msgs+`}`, hdr)
		var e apiError
		if err := json.Unmarshal(b, &e); err != nil || resp.StatusCode != 400 || deref(e.Error.Param) != "n" {
			t.Errorf("%s: %d %s, want 400 with param n", tc.name, resp.StatusCode, b)
		}
	}
}

// TestLegacyFunctionHistory: a conversation in the legacy functions shape
// (functions, an assistant function_call, a "function" result) reaches
// Mistral as tools, a tool call and its tool result with one 9-character
// id: the emulator, which rejects anything else, answers from the result.
func TestLegacyFunctionHistory(t *testing.T) {
	_, base, _ := start(t, "")
	body := `{"model":"mistral-medium","functions":[{"name":"get_weather","parameters":{"type":"object"}}],"messages":[` +
		`{"role":"user","content":"Weather in Paris?"},` +
		`{"role":"assistant","content":null,"function_call":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},` +
		`{"role":"function","name":"get_weather","content":"18C and sunny"}]}`
	resp, b := do(t, "POST", base+"/v1/chat/completions", body, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "The tool returned: 18C and sunny") {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
}
