package azure_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/config"
	emuazure "github.com/windrose-gw/windrose/internal/emulator/azure"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/azure"
	"github.com/windrose-gw/windrose/providers/providertest"
)

const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// entraEnv is one emulator served twice: on TLS (the Entra authority and
// the chat routes, as azidentity needs https) and on plain HTTP (the
// control endpoints the conformance suite calls with a default client).
type entraEnv struct {
	emu    *emuazure.Server
	tls    string
	plain  string
	client *http.Client // trusts the TLS listener's certificate
}

func startEntra(t *testing.T, cfg emuazure.Config) *entraEnv {
	t.Helper()
	emu := emuazure.NewWithConfig(emukit.Options{APIKey: emulatorKey}, cfg)
	ts := httptest.NewTLSServer(emu)
	ps := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	t.Cleanup(ps.Close)
	return &entraEnv{emu: emu, tls: ts.URL, plain: ps.URL, client: ts.Client()}
}

// adapter builds an Entra-authenticated adapter against e; entra is the
// YAML of the entra block's credential lines.
func (e *entraEnv) adapter(t *testing.T, style, entra string) (providers.Provider, error) {
	t.Helper()
	opts := "endpoint: " + style + "\nentra:\n  authority_host: " + e.tls + "/\n  disable_instance_discovery: true\n  tenant_id: " + tenant + "\n" + entra
	return azure.New(config.Deployment{Name: "az-entra", Provider: azure.Kind, Model: "mistral-medium-2505",
		Region: "swedencentral", BaseURL: e.tls, Options: optionsNode(t, opts)}, providers.Deps{HTTPClient: e.client})
}

func secretLines(secret string) string {
	return "  credential: client_secret\n  client_id: windrose-app\n  client_secret: " + secret + "\n"
}

func hello() *llm.ChatRequest {
	return &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hello"}}}
}

// The whole suite again, authenticated by Entra tokens from the
// emulator's own authority: discovery, client-credentials grant, bearer
// on every call. The wrong-key case is a wrong client secret.
func TestConformanceEntra(t *testing.T) {
	envs := sync.Map{} // plain root → *entraEnv
	providertest.Run(t, providertest.Harness{
		Name: "azure-models-entra",
		Emulator: func(t *testing.T) string {
			e := startEntra(t, emuazure.Config{})
			envs.Store(e.plain, e)
			return e.plain
		},
		New: func(t *testing.T, root, key string) providers.Provider {
			v, _ := envs.Load(root)
			p, err := v.(*entraEnv).adapter(t, azure.StyleModels, secretLines(key))
			if err != nil {
				t.Fatal(err)
			}
			return p
		},
		APIKey: emulatorKey,
		Caps:   providertest.Capabilities{Tools: true, JSONMode: true, StreamUsage: true, InBandErrors: true},
	})
}

// One token serves many calls, concurrent ones included: discovery and the
// token request happen once, and every call carries the bearer token.
func TestEntraTokenCached(t *testing.T) {
	e := startEntra(t, emuazure.Config{})
	p, err := e.adapter(t, azure.StyleModels, secretLines(emulatorKey))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.emu.Entra(); got.TokenRequests != 0 || got.Discoveries != 0 {
		t.Fatalf("construction touched the authority: %+v", got)
	}
	const calls = 24
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.Chat(context.Background(), hello())
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := e.emu.Entra()
	if got.TokenRequests != 1 || got.Discoveries != 1 || got.BearerCalls != calls {
		t.Errorf("entra stats = %+v, want 1 discovery, 1 token request, %d bearer calls", got, calls)
	}
}

// A wrong client secret is the deployment's Auth failure (move on), with
// Entra's AADSTS code in the message and the secret nowhere in it; no call
// reaches the chat route.
func TestEntraWrongSecret(t *testing.T) {
	e := startEntra(t, emuazure.Config{})
	const wrong = "not-the-secret-0123456789"
	p, err := e.adapter(t, azure.StyleModels, secretLines(wrong))
	if err != nil {
		t.Fatal(err)
	}
	_, chatErr := p.Chat(context.Background(), hello())
	_, streamErr := p.ChatStream(context.Background(), hello())
	for name, err := range map[string]error{"chat": chatErr, "stream": streamErr} {
		ge := gwerr.As(err)
		if ge == nil || ge.Kind != gwerr.Auth || ge.Status != http.StatusUnauthorized {
			t.Fatalf("%s: %v, want Auth with status 401", name, err)
		}
		if !strings.Contains(ge.Message, "AADSTS7000215") || strings.Contains(err.Error(), wrong) {
			t.Errorf("%s: message %q: want the AADSTS code and no secret", name, ge.Message)
		}
	}
	if got := e.emu.Entra(); got.BearerCalls != 0 || got.TokenFailures == 0 {
		t.Errorf("entra stats = %+v", got)
	}
}

// Workload identity (AKS federation): the federated token file is the
// client assertion; serverless endpoints default to the ML audience, which
// the emulator's serverless route requires.
func TestEntraWorkloadIdentityServerless(t *testing.T) {
	e := startEntra(t, emuazure.Config{})
	file := filepath.Join(t.TempDir(), "azure-identity-token")
	if err := os.WriteFile(file, []byte(emulatorKey), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, style, scope string
		wantErr            bool // then an Auth error
	}{
		// Default scope per style: cognitiveservices for Foundry routes.
		{"models", azure.StyleModels, "", false},
		// ml.azure.com for serverless.
		{"serverless", azure.StyleServerless, "", false},
		// A Foundry-audience token on a serverless endpoint is refused.
		{"serverless wrong audience", azure.StyleServerless, azure.DefaultScope, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := "  credential: workload_identity\n  client_id: windrose-app\n  token_file: " + file + "\n"
			if tt.scope != "" {
				lines += "  scope: " + tt.scope + "\n"
			}
			p, err := e.adapter(t, tt.style, lines)
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Chat(context.Background(), hello())
			if (err != nil) != tt.wantErr || (err != nil && gwerr.KindOf(err) != gwerr.Auth) {
				t.Errorf("Chat = %v, want error %v (Auth)", err, tt.wantErr)
			}
		})
	}
}

// Tokens are refreshed before they expire and an expired one is never
// sent. azcore's bearer policy refreshes a token inside its last five
// minutes, at most once per 30 s, so a 35 s lifetime makes it refresh at
// about 30 s, before expiry; calls keep flowing past the first token's
// expiry and the emulator, which rejects expired tokens with 401, must see
// none.
func TestEntraRefreshBeforeExpiry(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 37 s of wall time")
	}
	t.Parallel()
	e := startEntra(t, emuazure.Config{TokenLifetime: 35 * time.Second})
	p, err := e.adapter(t, azure.StyleModels, secretLines(emulatorKey))
	if err != nil {
		t.Fatal(err)
	}
	start, calls := time.Now(), 0
	for time.Since(start) < 37*time.Second {
		if _, err := p.Chat(context.Background(), hello()); err != nil {
			t.Fatalf("call %d at %v: %v", calls, time.Since(start).Round(time.Millisecond), err)
		}
		calls++
		time.Sleep(250 * time.Millisecond)
	}
	got := e.emu.Entra()
	if got.TokensIssued != 2 || got.ExpiredRejected != 0 || got.BearerCalls != int64(calls) {
		t.Errorf("entra stats = %+v after %d calls, want 2 tokens, 0 expired rejections", got, calls)
	}
}
