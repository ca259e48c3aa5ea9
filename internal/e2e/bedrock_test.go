package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// bedrockFirst puts a Bedrock deployment, signing with ${BEDROCK_SECRET},
// in front of the Mistral API as its failover.
const bedrockFirst = `
models:
  - name: chaos
    deployments:
      - name: bedrock
        provider: bedrock
        model: mistral.mistral-large-3-675b-instruct
        region: eu-west-1
        priority: 0
        base_url: ${EMU_BEDROCK_URL}
        options: {access_key_id: AKIAEMULATOR00000000, secret_access_key: "${BEDROCK_SECRET}"}
      - name: mistral
        provider: mistral
        model: mistral-medium-2508
        region: eu-west
        priority: 1
        base_url: ${EMU_MISTRAL_URL}
        api_key: ${EMU_API_KEY}
`

// TestBedrockSigV4Rejected: a signature the emulator rejects (wrong secret,
// or a clock five minutes off) is an auth failure of that deployment: the
// request moves to the next deployment at once and Bedrock sees exactly one
// attempt, never a retry.
func TestBedrockSigV4Rejected(t *testing.T) {
	t.Parallel()
	ahead := func() time.Time { return time.Now().Add(10 * time.Minute) }
	tests := []struct {
		name   string
		secret string
		now    func() time.Time // the emulator's clock
		want   string           // the deployment that answers
		status map[string]any   // the Bedrock emulator's answers by status
	}{
		// Control: the right key pair and clock are served by Bedrock, so
		// the cases below fail only because of the signature.
		{name: "valid", secret: APIKey, want: "bedrock", status: map[string]any{"200": 1.0}},
		// The secret does not match the access key id: InvalidSignatureException.
		{name: "wrong secret", secret: "not-the-secret", want: "mistral", status: map[string]any{"403": 1.0}},
		// X-Amz-Date is ten minutes behind the service's clock: "Signature expired".
		{name: "clock skew", secret: APIKey, now: ahead, want: "mistral", status: map[string]any{"403": 1.0}},
	}
	for _, tt := range tests {
		for _, streaming := range chatAndStream {
			t.Run(fmt.Sprintf("%s/stream=%v", tt.name, streaming), func(t *testing.T) {
				t.Parallel()
				env := Start(t, bedrockFirst, WithEnv("BEDROCK_SECRET", tt.secret),
					WithEmulator("bedrock", emukit.Options{Now: tt.now}))
				r := chaosPost(t, env, chaosCall{stream: streaming})
				if r.status != http.StatusOK {
					t.Fatalf("status %d, want 200 (failover): %s", r.status, r.body)
				}
				if dep := r.header.Get("X-Windrose-Deployment"); dep != tt.want {
					t.Errorf("answered by %q, want %q", dep, tt.want)
				}
				stats := env.Emu("bedrock").Stats(t)
				if stats["requests"] != 1.0 || fmt.Sprint(stats["by_status"]) != fmt.Sprint(tt.status) {
					t.Errorf("bedrock emulator saw %v requests, by status %v; want 1, %v", stats["requests"], stats["by_status"], tt.status)
				}
			})
		}
	}
}

// mistralFirst is the Mistral API with Bedrock as its failover.
const mistralFirst = `
models:
  - name: mistral-medium
    deployments:
      - name: mistral
        provider: mistral
        model: mistral-medium-2508
        region: eu-west
        priority: 0
        base_url: ${EMU_MISTRAL_URL}
        api_key: ${EMU_API_KEY}
      - name: bedrock
        provider: bedrock
        model: mistral.mistral-large-3-675b-instruct
        region: eu-west-1
        priority: 1
        base_url: ${EMU_BEDROCK_URL}
        options: {access_key_id: AKIAEMULATOR00000000, secret_access_key: "${EMU_API_KEY}"}
`

// TestBedrockContinuesMistralConversation: a tool conversation started on
// the Mistral API (with Mistral's own tool-call id) continues on Bedrock
// after a failover, and back: each side accepts the other's ids.
func TestBedrockContinuesMistralConversation(t *testing.T) {
	t.Parallel()
	for _, streaming := range chatAndStream {
		t.Run(fmt.Sprintf("stream=%v", streaming), func(t *testing.T) {
			t.Parallel()
			env := Start(t, mistralFirst)
			p := ask("Please use get_weather to look up Paris")
			p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool}
			asked := turn(t, env, "mistral", streaming, p)
			call := wantToolCall(t, asked)

			// Mistral fails; the unpinned follow-up fails over to Bedrock.
			env.Emu("mistral").SetFaults(t, `{"status":503}`)
			p.Messages = append(p.Messages, asked.msg.ToParam(), openai.ToolMessage(toolResult, call.ID))
			answered, dep := failoverTurn(t, env, streaming, p)
			if dep != "bedrock" {
				t.Fatalf("follow-up answered by %q, want bedrock", dep)
			}
			wantAnswer(t, answered)

			// Bedrock calls a tool under its own id; Mistral, healthy again,
			// takes that id back.
			env.Emu("mistral").ClearFaults(t)
			p.Messages = append(p.Messages, answered.msg.ToParam(), openai.UserMessage("Please use get_weather for Rome"))
			again := turn(t, env, "bedrock", streaming, p)
			call = wantToolCall(t, again)
			p.Messages = append(p.Messages, again.msg.ToParam(), openai.ToolMessage(toolResult, call.ID))
			wantAnswer(t, turn(t, env, "mistral", streaming, p))
		})
	}
}

// failoverTurn is turn without a pin; it also returns who answered.
func failoverTurn(t *testing.T, env *Env, streaming bool, p openai.ChatCompletionNewParams) (reply, string) {
	t.Helper()
	if !streaming {
		out, h := complete(t, env, p)
		if len(out.Choices) != 1 {
			t.Fatalf("got %d choices, want 1", len(out.Choices))
		}
		return reply{msg: out.Choices[0].Message, finish: string(out.Choices[0].FinishReason)}, h.Get("X-Windrose-Deployment")
	}
	got := stream(t, env, p)
	if got.err != nil || len(got.acc.Choices) != 1 {
		t.Fatalf("stream: %v, %d choices", describe(got.err), len(got.acc.Choices))
	}
	return reply{msg: got.acc.Choices[0].Message, finish: string(got.acc.Choices[0].FinishReason)}, got.header.Get("X-Windrose-Deployment")
}

// globalProfile is an EU Mistral deployment next to a Bedrock deployment
// on a global. cross-region inference profile, which may run anywhere.
const globalProfile = `
models:
  - name: chaos
    deployments:
      - name: eu
        provider: mistral
        model: mistral-medium-2508
        base_url: ${EMU_MISTRAL_URL}
        api_key: ${EMU_API_KEY}
      - name: bedrock-global
        provider: bedrock
        model: global.mistral.mistral-large-3-675b-instruct
        region: eu-west-1
        base_url: ${EMU_BEDROCK_URL}
        options: {access_key_id: AKIAEMULATOR00000000, secret_access_key: "${EMU_API_KEY}"}
`

// TestBedrockGlobalProfileRegion: a global. profile's geo is global even in
// an EU region, so an X-Windrose-Region: eu request never reaches it, not
// when the EU deployment fails and not when it is pinned.
func TestBedrockGlobalProfileRegion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header map[string]string
		faults string // on the EU deployment
		status int
		calls  map[string]int
	}{
		// Control: unconstrained and pinned, the global deployment serves.
		{name: "pinned, no region", header: map[string]string{"X-Windrose-Deployment": "bedrock-global"},
			status: 200, calls: map[string]int{"mistral": 0, "bedrock": 1}},
		// An EU request goes to the EU deployment only.
		{name: "eu", header: map[string]string{"X-Windrose-Region": "eu"},
			status: 200, calls: map[string]int{"mistral": 1, "bedrock": 0}},
		// The EU deployment fails: the request fails rather than go global.
		{name: "eu, eu deployment down", header: map[string]string{"X-Windrose-Region": "eu"}, faults: `{"status":503}`,
			status: 503, calls: map[string]int{"bedrock": 0}},
		// Pinning the global deployment does not escape the rule.
		{name: "eu, pinned global", header: map[string]string{"X-Windrose-Region": "eu", "X-Windrose-Deployment": "bedrock-global"},
			status: 503, calls: map[string]int{"mistral": 0, "bedrock": 0}},
	}
	for _, tt := range tests {
		for _, streaming := range chatAndStream {
			t.Run(fmt.Sprintf("%s/stream=%v", tt.name, streaming), func(t *testing.T) {
				t.Parallel()
				env := Start(t, globalProfile, WithEmulator("bedrock",
					emukit.Options{Models: []string{"global.mistral.mistral-large-3-675b-instruct"}}))
				if tt.faults != "" {
					env.Emu("mistral").SetFaults(t, tt.faults)
				}
				r := chaosPost(t, env, chaosCall{stream: streaming, header: tt.header})
				if r.status != tt.status {
					t.Errorf("status %d, want %d: %s", r.status, tt.status, r.body)
				}
				for emu, want := range tt.calls {
					if got := env.Emu(emu).Requests(t); got != want {
						t.Errorf("%s emulator saw %d requests, want %d", emu, got, want)
					}
				}
			})
		}
	}
}

// TestBedrockExceptionFrames: an exception frame before the first content
// fails over to the next deployment; after content has reached the client
// it ends the stream with an SSE error event and no [DONE].
func TestBedrockExceptionFrames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, faults, want string
		failed             bool
	}{
		// After messageStart only: nothing committed, Mistral answers.
		{name: "before commit", faults: `{"in_band_error_after":1}`, want: "mistral"},
		// After two text deltas: committed to Bedrock, the error goes to the client.
		{name: "after commit", faults: `{"in_band_error_after":3,"error_kind":"rate_limit"}`, want: "bedrock", failed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := Start(t, bedrockFirst, WithEnv("BEDROCK_SECRET", APIKey))
			env.Emu("bedrock").SetFaults(t, tt.faults)
			r := chaosPost(t, env, chaosCall{stream: true, prompt: "Tell me a long story about the sea"})
			if r.status != http.StatusOK || r.header.Get("X-Windrose-Deployment") != tt.want {
				t.Fatalf("status %d from %q, want 200 from %q: %s", r.status, r.header.Get("X-Windrose-Deployment"), tt.want, r.body)
			}
			s := r.sse
			if tt.failed && (s.errEvent == nil || s.done || s.content == "") {
				t.Errorf("want content, then an error event and no [DONE]; got content %q, error %+v, done %v", s.content, s.errEvent, s.done)
			}
			if !tt.failed && (s.errEvent != nil || !s.done) {
				t.Errorf("want a clean stream from %s; got error %+v, done %v", tt.want, s.errEvent, s.done)
			}
		})
	}
}

// TestBedrockStreamShape: the client-visible stream from Bedrock has the
// Mistral adapter's shape: one id, one role chunk, content, one finish, the
// usage chunk, [DONE].
func TestBedrockStreamShape(t *testing.T) {
	t.Parallel()
	env := Start(t, bedrockFirst, WithEnv("BEDROCK_SECRET", APIKey))
	for _, dep := range []string{"bedrock", "mistral"} {
		t.Run(dep, func(t *testing.T) {
			r := chaosPost(t, env, chaosCall{stream: true, header: map[string]string{"X-Windrose-Deployment": dep}})
			s := r.sse
			if r.status != 200 || len(s.ids) != 1 || s.roles != 1 || s.content == "" || s.finish != "stop" ||
				s.usage == nil || s.usage.PromptTokens == 0 || !s.done || s.after != 0 || len(s.problems) != 0 {
				t.Errorf("%s stream: status %d, ids %v, roles %d, content %q, finish %q, usage %+v, done %v, after %d, problems %v",
					dep, r.status, s.ids, s.roles, s.content, s.finish, s.usage, s.done, s.after, s.problems)
			}
		})
	}
}
