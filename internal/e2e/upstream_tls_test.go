package e2e

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/gateway"
	"github.com/windrose-gw/windrose/providers/all"
)

// tlsDeployments are the HTTP adapters, each served by its emulator over
// TLS; {URL} is the emulator's root URL. watsonx's IAM token exchange goes to
// the same emulator, so it is checked too.
var tlsDeployments = map[string]string{
	"mistral":    `{name: mistral, provider: mistral, model: mistral-medium-2508, base_url: "{URL}", api_key: emulator-key}`,
	"openrouter": `{name: openrouter, provider: openrouter, model: mistralai/mistral-medium-3.1, base_url: "{URL}/api", api_key: emulator-key}`,
	"bedrock": `{name: bedrock, provider: bedrock, model: mistral.mistral-large-3-675b-instruct, region: eu-west-1, base_url: "{URL}",
          options: {access_key_id: AKIAEMULATOR00000000, secret_access_key: emulator-key}}`,
	"azure": `{name: azure, provider: azure, model: mistral-medium-2505, region: swedencentral, base_url: "{URL}", api_key: emulator-key}`,
	"watsonx": `{name: watsonx, provider: watsonx, model: mistralai/mistral-medium-2505, region: eu-de, base_url: "{URL}", api_key: emulator-key,
          options: {project_id: 00000000-0000-4000-8000-0000000de300, iam_url: "{URL}"}}`,
}

// TestUpstreamSettingsReachAdapters builds a gateway from a config with
// server.upstream set, as serve does, and calls every HTTP adapter's
// emulator over TLS with HTTP/2 offered: with http2 off every call the
// emulators see (the SDK adapters' included) is HTTP/1.1, with it on
// HTTP/2. The emulators' certificate is trusted through ca_file, so every
// adapter also uses the configured roots.
func TestUpstreamSettingsReachAdapters(t *testing.T) {
	for _, tt := range []struct {
		http2 bool
		want  string
	}{{false, "HTTP/1.1"}, {true, "HTTP/2.0"}} {
		t.Run(tt.want, func(t *testing.T) {
			var (
				mu     sync.Mutex
				protos = map[string]map[string]bool{}
				ca     string
				models strings.Builder
			)
			for provider, dep := range tlsDeployments {
				h, err := emulator.New(provider, emukit.Options{})
				if err != nil {
					t.Fatal(err)
				}
				srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					mu.Lock()
					if protos[provider] == nil {
						protos[provider] = map[string]bool{}
					}
					protos[provider][r.Proto] = true
					mu.Unlock()
					h.ServeHTTP(w, r)
				}))
				srv.EnableHTTP2 = true
				srv.StartTLS()
				t.Cleanup(srv.Close)
				if ca == "" {
					ca = writePEM(t, srv.Certificate().Raw)
				}
				fmt.Fprintf(&models, "  - name: %s\n    deployments:\n      - %s\n", provider, strings.ReplaceAll(dep, "{URL}", srv.URL))
			}
			yaml := fmt.Sprintf("server: {upstream: {http2: %v, ca_file: %q}}\nmodels:\n%s", tt.http2, ca, models.String())
			cfg, err := config.Parse([]byte(yaml), nil)
			if err != nil {
				t.Fatal(err)
			}
			gw, err := gateway.New(cfg, gateway.Options{Providers: all.Registry()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = gw.Close() })
			front := httptest.NewServer(gw.Server)
			t.Cleanup(front.Close)
			for provider := range tlsDeployments {
				for _, stream := range []bool{false, true} {
					body := fmt.Sprintf(`{"model":%q,"stream":%v,"messages":[{"role":"user","content":"hi"}]}`, provider, stream)
					resp, err := http.Post(front.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
					if err != nil {
						t.Fatal(err)
					}
					_ = resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						t.Errorf("%s (stream %v): status %d", provider, stream, resp.StatusCode)
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for provider := range tlsDeployments {
				if got := protos[provider]; len(got) != 1 || !got[tt.want] {
					t.Errorf("%s emulator saw %v, want only %s", provider, got, tt.want)
				}
			}
		})
	}
}

// writePEM writes a DER certificate as a PEM file to trust.
func writePEM(t *testing.T, der []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
