// Package providertest is the conformance suite every adapter passes
// offline against its provider's emulator. One Run covers text, streaming,
// tool calls (with caller ids the provider would reject), JSON mode, length
// limits, usage, and every error class the executor acts on, injected
// through the emulator's documented POST /_emulator/faults endpoint.
package providertest

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
)

// Capabilities switch cases on or off for a provider.
type Capabilities struct {
	// Tools: the provider supports function calling.
	Tools bool
	// JSONMode: response_format json_object is honoured.
	JSONMode bool
	// InBandErrors: the emulator can fail a 200 stream with an in-band
	// error event (in_band_error_after).
	InBandErrors bool
	// InBandUsage: the emulator's in-band error carries the usage billed
	// so far, and the adapter must surface it with the error.
	InBandUsage bool
	// StreamUsage: a stream reports usage without being asked.
	StreamUsage bool
	// EmulatorWithoutN: the adapter declares n but its stand-in emulator
	// answers one choice (the generic OpenAI kind runs against
	// OpenRouter's emulator, which behaves as OpenRouter does).
	EmulatorWithoutN bool
	// AuthStatus is the upstream status a wrong credential yields, when not
	// 401: Bedrock's SigV4 layer answers 403, watsonx's IAM answers an
	// unknown API key with 400.
	AuthStatus int
}

// Harness describes one adapter under test.
type Harness struct {
	// Name labels the subtests.
	Name string
	// Emulator starts a fresh emulator and returns its root URL (where
	// /_emulator/faults lives). It should register its own cleanup.
	Emulator func(t *testing.T) (rootURL string)
	// New builds the adapter against the emulator at rootURL with apiKey.
	New func(t *testing.T, rootURL, apiKey string) providers.Provider
	// APIKey is the credential the emulator accepts.
	APIKey string
	// Caps select the optional cases.
	Caps Capabilities
}

// env is one case's emulator and adapter.
type env struct {
	t    *testing.T
	h    Harness
	root string
	p    providers.Provider
}

func (h Harness) start(t *testing.T) *env {
	t.Helper()
	root := h.Emulator(t)
	return &env{t: t, h: h, root: root, p: h.New(t, root, h.APIKey)}
}

// faults replaces the emulator's fault set through its HTTP endpoint.
func (e *env) faults(js string) {
	e.t.Helper()
	resp, err := http.Post(e.root+"/_emulator/faults", "application/json", bytes.NewBufferString(js))
	if err != nil {
		e.t.Fatalf("setting faults %s: %v", js, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		e.t.Fatalf("setting faults %s: status %d", js, resp.StatusCode)
	}
}

// ctx bounds one case so a hung adapter fails the test instead of the run.
func (e *env) ctx(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	e.t.Cleanup(cancel)
	return ctx
}

func userRequest(text string) *llm.ChatRequest {
	return &llm.ChatRequest{Model: "alias", Messages: []llm.Message{{Role: llm.RoleUser, Content: text}}}
}

// Run runs the whole suite for h.
func Run(t *testing.T, h Harness) {
	t.Run(h.Name, func(t *testing.T) {
		t.Run("text", func(t *testing.T) { testText(t, h) })
		t.Run("stream_matches_chat", func(t *testing.T) { testStreamMatchesChat(t, h) })
		t.Run("max_tokens", func(t *testing.T) { testMaxTokens(t, h) })
		if h.Caps.Tools {
			t.Run("tool_round_trip", func(t *testing.T) { testToolRoundTrip(t, h) })
			t.Run("tool_stream", func(t *testing.T) { testToolStream(t, h) })
		}
		if h.Caps.JSONMode {
			t.Run("json_mode", func(t *testing.T) { testJSONMode(t, h) })
		}
		t.Run("n", func(t *testing.T) {
			if e := h.start(t); !declares(e.p, llm.CapN) || h.Caps.EmulatorWithoutN {
				t.Skip("the adapter does not declare n, or its emulator lacks it")
			}
			testN(t, h)
		})
		t.Run("errors", func(t *testing.T) { testErrors(t, h) })
		t.Run("stream_faults", func(t *testing.T) { testStreamFaults(t, h) })
		t.Run("stall", func(t *testing.T) { testStall(t, h) })
	})
}
