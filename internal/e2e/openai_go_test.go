package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/shared"

	configfiles "github.com/windrose-gw/windrose/config"
	"github.com/windrose-gw/windrose/internal/config"
)

// twoDeployments is one model served by every provider's emulator (the
// name stayed from when two adapters existed); tests run once per
// deployment, pinned.
const twoDeployments = `
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
      - name: bedrock
        provider: bedrock
        model: mistral.mistral-large-3-675b-instruct
        region: eu-west-1
        base_url: ${EMU_BEDROCK_URL}
        options: {access_key_id: AKIAEMULATOR00000000, secret_access_key: "${EMU_API_KEY}"}
      - name: azure
        provider: azure
        model: mistral-medium-2505
        region: swedencentral
        base_url: ${EMU_AZURE_URL}
        api_key: ${EMU_API_KEY}
      - name: watsonx
        provider: watsonx
        model: mistralai/mistral-medium-2505
        region: eu-de
        base_url: ${EMU_WATSONX_URL}
        api_key: ${EMU_API_KEY}
        options:
          project_id: 00000000-0000-4000-8000-00000000e2e0
          iam_url: ${EMU_WATSONX_URL}
      - name: vertex
        provider: vertex
        model: mistral-medium-3
        region: europe-west4
        api_key: ${EMU_API_KEY}
        options:
          project: windrose-e2e
          endpoint: ${EMU_VERTEX_ENDPOINT}
          ca_file: ${EMU_VERTEX_CA_FILE}
`

// mistralAndOpenRouter is one model on the Mistral API (the only EU
// deployment) and OpenRouter (global), for routing tests that need to know
// where a request may go.
const mistralAndOpenRouter = `
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
`

// model is the alias clients ask for in twoDeployments.
const model = "mistral-medium"

// providerOf maps each deployment of twoDeployments to its provider.
var providerOf = map[string]string{"mistral": "mistral", "openrouter": "openrouter", "bedrock": "bedrock", "azure": "azure", "vertex": "vertex", "watsonx": "watsonx"}

// deployments lists twoDeployments' deployments in a fixed order.
var deployments = []string{"mistral", "openrouter", "bedrock", "azure", "vertex", "watsonx"}

// requestTimeout bounds every SDK call: a gateway bug shows as a failure,
// never as a test that hangs until the global timeout.
const requestTimeout = 30 * time.Second

// newClient returns the official Go SDK pointed at env, with the SDK's own
// retries off so every gateway answer is seen as it is.
func newClient(env *Env) openai.Client {
	return openai.NewClient(
		option.WithBaseURL(env.URL+"/v1/"),
		option.WithAPIKey("x"),
		option.WithMaxRetries(0),
		option.WithRequestTimeout(requestTimeout),
	)
}

// pin returns the request options that pin deployment dep ("" pins none).
func pin(dep string) []option.RequestOption {
	if dep == "" {
		return nil
	}
	return []option.RequestOption{option.WithHeader("X-Windrose-Deployment", dep)}
}

func ask(prompt string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
	}
}

func withTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), requestTimeout)
	t.Cleanup(cancel)
	return ctx
}

// complete sends a non-streamed request and fails the test on any error.
func complete(t *testing.T, env *Env, p openai.ChatCompletionNewParams, opts ...option.RequestOption) (*openai.ChatCompletion, http.Header) {
	t.Helper()
	var resp *http.Response
	client := newClient(env)
	out, err := client.Chat.Completions.New(withTimeout(t), p, append(opts, option.WithResponseInto(&resp))...)
	if err != nil {
		t.Fatalf("chat completion: %v", describe(err))
	}
	return out, resp.Header
}

// streamed is what a stream produced, folded by the SDK's accumulator.
type streamed struct {
	acc        openai.ChatCompletionAccumulator
	chunks     int
	usageChunk *openai.CompletionUsage // the usage-only chunk (choices: [])
	header     http.Header
	err        error
}

// stream sends a streamed request and drains it; stream errors are
// returned in streamed.err for the caller to judge.
func stream(t *testing.T, env *Env, p openai.ChatCompletionNewParams, opts ...option.RequestOption) *streamed {
	t.Helper()
	var resp *http.Response
	client := newClient(env)
	s := client.Chat.Completions.NewStreaming(withTimeout(t), p, append(opts, option.WithResponseInto(&resp))...)
	defer s.Close()
	var out streamed
	for s.Next() {
		chunk := s.Current()
		out.chunks++
		if !out.acc.AddChunk(chunk) {
			t.Errorf("chunk %d rejected by the accumulator (id %q after %q)", out.chunks, chunk.ID, out.acc.ID)
		}
		if len(chunk.Choices) == 0 && chunk.Usage.TotalTokens > 0 {
			u := chunk.Usage
			out.usageChunk = &u
		}
	}
	out.err = s.Err()
	if resp != nil {
		out.header = resp.Header
	}
	return &out
}

// describe adds an *openai.Error's body to its terse Error() string.
func describe(err error) string {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		return apiErr.Error() + " " + apiErr.RawJSON()
	}
	var se *ssestream.StreamError
	if errors.As(err, &se) {
		return se.Message
	}
	return err.Error()
}

// checkRouting asserts the routing headers name dep (any deployment when
// dep is "") and its provider, after one attempt.
func checkRouting(t *testing.T, h http.Header, dep string) {
	t.Helper()
	got := h.Get("X-Windrose-Deployment")
	if dep == "" && !slices.Contains(deployments, got) || dep != "" && got != dep {
		t.Errorf("X-Windrose-Deployment = %q, want %q (one of %v when unpinned)", got, dep, deployments)
	}
	if p := h.Get("X-Windrose-Provider"); p != providerOf[got] {
		t.Errorf("X-Windrose-Provider = %q, want %q for deployment %q", p, providerOf[got], got)
	}
	if h.Get("X-Request-Id") == "" {
		t.Error("X-Request-Id missing")
	}
	if a := h.Get("X-Windrose-Attempts"); a != "1" {
		t.Errorf("X-Windrose-Attempts = %q, want 1 with healthy emulators", a)
	}
	if _, ok := h["X-Windrose-Region"]; !ok {
		t.Error("X-Windrose-Region missing")
	}
}

func checkUsage(t *testing.T, u openai.CompletionUsage) {
	t.Helper()
	if u.PromptTokens <= 0 || u.CompletionTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage = prompt %d + completion %d, total %d; want both > 0 and total their sum",
			u.PromptTokens, u.CompletionTokens, u.TotalTokens)
	}
}

// TestChatCompletion checks a plain completion through each route.
func TestChatCompletion(t *testing.T) {
	t.Parallel()
	env := Start(t, twoDeployments)
	tests := []struct {
		name, pin string
	}{
		// Unpinned: the router picks; the headers must say which.
		{name: "routed", pin: ""},
		// Each adapter's response translation, on its own.
		{name: "mistral", pin: "mistral"},
		{name: "openrouter", pin: "openrouter"},
		{name: "bedrock", pin: "bedrock"},
		{name: "azure", pin: "azure"},
		{name: "watsonx", pin: "watsonx"},
		{name: "vertex", pin: "vertex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, h := complete(t, env, ask("Say hello to the gateway"), pin(tt.pin)...)
			checkRouting(t, h, tt.pin)
			if len(out.Choices) != 1 {
				t.Fatalf("got %d choices, want 1", len(out.Choices))
			}
			c := out.Choices[0]
			if c.Message.Content == "" || c.FinishReason != "stop" || c.Message.Role != "assistant" {
				t.Errorf("choice = role %q, content %q, finish %q; want assistant text ending in stop",
					c.Message.Role, c.Message.Content, c.FinishReason)
			}
			if out.Model == "" || out.ID == "" || out.Object != "chat.completion" {
				t.Errorf("model %q, id %q, object %q: want all set, object chat.completion", out.Model, out.ID, out.Object)
			}
			checkUsage(t, out.Usage)
		})
	}
	// Every emulator answers with the model id it was asked for (Vertex's
	// "mistral-medium-3" is Medium 3 itself, not La Plateforme's alias), so
	// no deployment reports a model mismatch.
	if got := env.Metric(t, "windrose_model_mismatch_total", nil); got != 0 {
		t.Errorf("windrose_model_mismatch_total = %v, want 0", got)
	}
}

// TestChatStream checks that a stream folds, chunk by chunk, into exactly
// the answer the same deployment gives without streaming.
func TestChatStream(t *testing.T) {
	t.Parallel()
	env := Start(t, twoDeployments)
	for _, dep := range deployments {
		// Each adapter's stream translation, compared with its own whole answer.
		t.Run(dep, func(t *testing.T) {
			p := ask("Stream these words back to me please")
			whole, _ := complete(t, env, p, pin(dep)...)
			p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
			got := stream(t, env, p, pin(dep)...)
			if got.err != nil {
				t.Fatalf("stream ended with %v, want a clean end", describe(got.err))
			}
			checkRouting(t, got.header, dep)
			if len(got.acc.Choices) != 1 {
				t.Fatalf("accumulated %d choices, want 1", len(got.acc.Choices))
			}
			if diff := cmp.Diff(whole.Choices[0].Message.Content, got.acc.Choices[0].Message.Content); diff != "" {
				t.Errorf("streamed content differs from the non-streamed one (-whole +stream):\n%s", diff)
			}
			if f := got.acc.Choices[0].FinishReason; f != "stop" {
				t.Errorf("finish reason %q, want stop", f)
			}
			if got.usageChunk == nil {
				t.Fatal("no usage chunk although stream_options.include_usage was set")
			}
			checkUsage(t, *got.usageChunk)
			if diff := cmp.Diff(usageOf(whole.Usage), usageOf(*got.usageChunk)); diff != "" {
				t.Errorf("stream usage differs from the non-streamed usage (-whole +stream):\n%s", diff)
			}
		})
	}
}

// usageOf keeps the comparable token counts of a usage block.
func usageOf(u openai.CompletionUsage) [3]int64 {
	return [3]int64{u.PromptTokens, u.CompletionTokens, u.TotalTokens}
}

// TestJSONMode checks response_format json_object end to end, streamed and
// not: the provider must be asked for JSON and the text must parse.
func TestJSONMode(t *testing.T) {
	t.Parallel()
	env := Start(t, twoDeployments)
	for _, dep := range deployments {
		for _, streaming := range []bool{false, true} {
			name := dep
			if streaming {
				name += "/stream"
			}
			// Each adapter must forward response_format, in both modes.
			t.Run(name, func(t *testing.T) {
				p := ask("Describe the weather as a JSON object")
				p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}}
				var content string
				if streaming {
					got := stream(t, env, p, pin(dep)...)
					if got.err != nil {
						t.Fatalf("stream: %v", describe(got.err))
					}
					content = got.acc.Choices[0].Message.Content
				} else {
					out, _ := complete(t, env, p, pin(dep)...)
					content = out.Choices[0].Message.Content
				}
				var v map[string]any
				if err := json.Unmarshal([]byte(content), &v); err != nil {
					t.Errorf("content %q is not a JSON object: %v", content, err)
				}
			})
		}
	}
}

// TestMetrics checks that a non-streamed and a streamed request show up in
// the gateway's metrics with the numbers the client was shown.
func TestMetrics(t *testing.T) {
	t.Parallel()
	env := Start(t, twoDeployments)
	whole, _ := complete(t, env, ask("Count my tokens"), pin("mistral")...)
	p := ask("Count my streamed tokens")
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	got := stream(t, env, p, pin("mistral")...)
	if got.err != nil || got.usageChunk == nil {
		t.Fatalf("stream: err %v, usage chunk %v", got.err, got.usageChunk)
	}
	in := float64(whole.Usage.PromptTokens + got.usageChunk.PromptTokens)
	out := float64(whole.Usage.CompletionTokens + got.usageChunk.CompletionTokens)
	dep := map[string]string{"deployment": "mistral"}
	price, ok := env.Config.PriceFor(&env.Config.Models[0].Deployments[0], loadPrices(t))
	if !ok {
		t.Fatal("config/prices.yaml has no price for mistral-medium-2508 at mistral")
	}
	tests := []struct {
		name, metric string
		labels       map[string]string
		want         float64
	}{
		// One client request of each kind, both answered 200.
		{"requests non-stream", "windrose_requests_total", map[string]string{"model": model, "code": "200", "stream": "false"}, 1},
		{"requests stream", "windrose_requests_total", map[string]string{"model": model, "code": "200", "stream": "true"}, 1},
		// Both went to the pinned deployment and succeeded first time.
		{"upstream success", "windrose_upstream_requests_total", map[string]string{"deployment": "mistral", "outcome": "success"}, 2},
		{"upstream elsewhere", "windrose_upstream_requests_total", map[string]string{"deployment": "openrouter"}, 0},
		// Token counters hold exactly what the client was told.
		{"input tokens", "windrose_tokens_total", map[string]string{"deployment": "mistral", "type": "input"}, in},
		{"output tokens", "windrose_tokens_total", map[string]string{"deployment": "mistral", "type": "output"}, out},
		// A streamed attempt records its time to first token.
		{"ttft observed", "windrose_upstream_ttft_seconds", dep, -1},
		// Cost is the tokens at the price table's rates.
		{"cost", "windrose_cost_usd_total", dep, (in*price.InputPerMTok + out*price.OutputPerMTok) / 1e6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The server records a request after its last byte, which the
			// client may read first: wait for the value to settle.
			v := eventually(t, func() float64 { return env.Metric(t, tt.metric, tt.labels) },
				func(v float64) bool { return near(v, tt.want) || tt.want == -1 && v >= 1 })
			if !near(v, tt.want) && !(tt.want == -1 && v >= 1) {
				t.Errorf("%s%v = %v, want %v (-1: at least one)", tt.metric, tt.labels, v, tt.want)
			}
		})
	}
}

func loadPrices(t *testing.T) config.PriceTable {
	t.Helper()
	prices, err := config.LoadPrices(configfiles.Prices)
	if err != nil {
		t.Fatalf("config/prices.yaml: %v", err)
	}
	return prices
}

// near compares floats built from sums of small products.
func near(a, b float64) bool {
	d := a - b
	return d < 1e-12 && d > -1e-12
}

// eventually polls read until ok accepts its value or a few seconds pass,
// and returns the last value read. It bounds waiting, not speed.
func eventually(t *testing.T, read func() float64, ok func(float64) bool) float64 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v := read()
		if ok(v) || time.Now().After(deadline) {
			return v
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// contains reports whether s holds sub, ignoring case.
func contains(s, sub string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(sub)) }
