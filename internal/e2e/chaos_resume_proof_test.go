package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// chaosResumeProof is chaosResume with a short stall timeout, so a stall
// is healed in under a second (800ms, wide of a healthy stream's gaps on
// a loaded -race runner), and breakers that stay closed whatever the cases
// do.
const chaosResumeProof = `
server:
  breaker: { consecutive_failures: 1000, min_requests: 1000 }
models:
  - name: chaos
    attempts: 3
    stall_timeout: 800ms
    resume: { mode: prefix_or_replay, max: 1 }
    deployments:
      - name: primary
        provider: openrouter
        model: mistralai/mistral-medium-3.1
        priority: 0
        base_url: ${EMU_OPENROUTER_URL}
        api_key: ${EMU_API_KEY}
      - name: fallback
        provider: mistral
        model: mistral-medium-2508
        priority: 1
        base_url: ${EMU_MISTRAL_URL}
        api_key: ${EMU_API_KEY}
`

// chaosResumeMistrals: two Mistral API deployments. Mistral's in-band
// error carries the usage so far, so both attempts report what they spent.
const chaosResumeMistrals = `
models:
  - name: chaos
    attempts: 3
    resume: { mode: prefix, max: 1 }
    deployments:
      - name: primary
        provider: mistral
        model: mistral-medium-2508
        priority: 0
        base_url: ${EMU_MISTRAL_URL}
        api_key: ${EMU_API_KEY}
      - name: fallback
        provider: mistral
        model: mistral-medium-2508
        priority: 1
        base_url: ${EMU_MISTRAL_B_URL}
        api_key: ${EMU_API_KEY}
`

// Token numbers by the emulators' rule (emukit.Respond): the prompt
// "hello" costs 8, each word of the answer one. The primary breaks after
// its role chunk and two words ("You said:"), so the continuation's prompt
// is 8 plus the prefix's 2 words and it writes the other 4 words.
const (
	chaosSeamText  = "You said:"
	chaosContIn    = chaosHelloIn + 2
	chaosContOut   = chaosHelloOut - 2
	chaosToolAsk   = "Please use get_weather to look up Paris"
	chaosToolsJSON = `[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`
)

// chaosRaw is a streamed answer kept byte for byte, and as the SSE reader
// saw it.
type chaosRaw struct {
	status int
	header http.Header
	raw    string
	sse    *chaosSSE
}

// chaosStreamRaw posts one streamed request (with tools when tools is set)
// and keeps the whole body, however the connection ended.
func chaosStreamRaw(t *testing.T, env *Env, prompt, tools string) *chaosRaw {
	t.Helper()
	body := strings.TrimSuffix(chaosBody(chaosCall{stream: true, prompt: prompt}), "}")
	if tools != "" {
		body += `,"tools":` + tools
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, env.URL+"/v1/chat/completions", strings.NewReader(body+"}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: chaosClientWait}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = io.Copy(&buf, resp.Body) // an aborted stream ends in an error: keep what came
	return &chaosRaw{status: resp.StatusCode, header: resp.Header, raw: buf.String(), sse: chaosReadSSE(bytes.NewReader(buf.Bytes()))}
}

// finishes counts the chunks that carry a finish reason.
func (r *chaosRaw) finishes() int { return strings.Count(r.raw, `"finish_reason":"`) }

// beforeSeam is the content the client had when the seam comment came,
// and how many seam comments there were.
func (r *chaosRaw) beforeSeam(deployment string) (string, int) {
	mark := ": resumed on " + deployment + "\n\n"
	head, _, ok := strings.Cut(r.raw, mark)
	if !ok {
		return "", 0
	}
	return chaosReadSSE(strings.NewReader(head)).content, strings.Count(r.raw, mark)
}

// TestChaosResumeProof: for each way a stream breaks and each answer of the
// fallback, the client's text, finish, usage and end; the metrics that say
// who spent which tokens and how the resume ended; the access log; and the
// seam comment.
func TestChaosResumeProof(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name              string
		cfg               string
		primary, fallback string // emulator faults
		tools             bool   // ask for a tool call
		healed            bool
		content           string // the client's text
		usage             *chaosUsage
		resumes           []string // access log and metrics, "deployment:result"
		fallbackCalls     int
		// tokens each deployment reported (windrose_tokens_total)
		primaryIn, primaryOut, fallbackIn, fallbackOut float64
		errorNamesPrimary                              bool // the error event is the original break's
	}{
		// Cut after two words, healed by prefix continuation.
		{name: "cut, prefix", cfg: chaosResumeProof, primary: `{"cut_after":3}`, fallback: `{}`, healed: true,
			content: chaosHello, usage: &chaosUsage{chaosContIn, chaosContOut}, resumes: []string{"fallback:resumed"}, fallbackCalls: 1,
			fallbackIn: chaosContIn, fallbackOut: chaosContOut},
		// A stall past stall_timeout, healed the same way.
		{name: "stall, prefix", cfg: chaosResumeProof, primary: `{"stall_after":3}`, fallback: `{}`, healed: true,
			content: chaosHello, usage: &chaosUsage{chaosContIn, chaosContOut}, resumes: []string{"fallback:resumed"}, fallbackCalls: 1,
			fallbackIn: chaosContIn, fallbackOut: chaosContOut},
		// A malformed chunk, healed the same way.
		{name: "malformed, prefix", cfg: chaosResumeProof, primary: `{"malformed_after":3}`, fallback: `{}`, healed: true,
			content: chaosHello, usage: &chaosUsage{chaosContIn, chaosContOut}, resumes: []string{"fallback:resumed"}, fallbackCalls: 1,
			fallbackIn: chaosContIn, fallbackOut: chaosContOut},
		// An in-band error with usage: the usage chunk sums both attempts,
		// each deployment's tokens are its own.
		{name: "in-band error, prefix", cfg: chaosResumeMistrals, primary: `{"in_band_error_after":3}`, fallback: `{}`, healed: true,
			content: chaosHello, usage: &chaosUsage{chaosHelloIn + chaosContIn, 2 + chaosContOut}, resumes: []string{"fallback:resumed"}, fallbackCalls: 1,
			primaryIn: chaosHelloIn, primaryOut: 2, fallbackIn: chaosContIn, fallbackOut: chaosContOut},
		// The prefix is refused; the replay matches and pays the whole answer.
		{name: "refused, replay", cfg: chaosResumeProof, primary: `{"cut_after":3}`, fallback: `{"refuse_prefix":true}`, healed: true,
			content: chaosHello, usage: &chaosUsage{chaosHelloIn, chaosHelloOut}, resumes: []string{"fallback:refused", "fallback:replayed"}, fallbackCalls: 2,
			fallbackIn: chaosHelloIn, fallbackOut: chaosHelloOut},
		// The replay answers differently: the error event, nothing past the seam.
		{name: "replay diverges", cfg: chaosResumeProof, primary: `{"cut_after":3}`, fallback: `{"refuse_prefix":true,"reply_variant":"b"}`,
			content: chaosSeamText, resumes: []string{"fallback:refused", "fallback:diverged"}, fallbackCalls: 2, errorNamesPrimary: true},
		// The fallback is down: the original error, not the fallback's.
		{name: "fallback fails", cfg: chaosResumeProof, primary: `{"cut_after":3}`, fallback: `{"status":503}`,
			content: chaosSeamText, resumes: []string{"fallback:failed"}, fallbackCalls: 1, errorNamesPrimary: true},
		// A break inside a tool call: the error event, no resume.
		{name: "tool call break", cfg: chaosResumeProof, primary: `{"tool_call_fragments":3,"cut_after":3}`, fallback: `{}`, tools: true,
			errorNamesPrimary: true},
		// Resume off: today's error event, the fallback never asked.
		{name: "off", cfg: strings.Replace(chaosResumeProof, "mode: prefix_or_replay", `mode: "off"`, 1), primary: `{"cut_after":3}`, fallback: `{}`,
			content: chaosSeamText, errorNamesPrimary: true},
	}
	// Every result of windrose_stream_resumes_total is met by some case.
	results := map[string]bool{"resumed": false, "replayed": false, "diverged": false, "refused": false, "failed": false}
	for _, c := range cases {
		for _, rs := range c.resumes {
			results[strings.TrimPrefix(rs, "fallback:")] = true
		}
	}
	for result, met := range results {
		if !met {
			t.Errorf("no case produces resume result %q", result)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			logOpt, logs := chaosLogs()
			env := Start(t, c.cfg, logOpt)
			primaryEmu, fallbackEmu := "openrouter", "mistral"
			if c.cfg == chaosResumeMistrals {
				primaryEmu, fallbackEmu = "mistral", "mistral_b"
			}
			primary, fallback := env.Emu(primaryEmu), env.Emu(fallbackEmu)
			primary.SetFaults(t, c.primary)
			fallback.SetFaults(t, c.fallback)
			prompt, tools := "", ""
			if c.tools {
				prompt, tools = chaosToolAsk, chaosToolsJSON
			}
			r := chaosStreamRaw(t, env, prompt, tools)
			s := r.sse
			if r.status != http.StatusOK || len(s.problems) > 0 || s.after > 0 {
				t.Fatalf("status %d, problems %v, %d events after the end:\n%s", r.status, s.problems, s.after, r.raw)
			}
			if got := r.header.Get("X-Windrose-Deployment"); got != "primary" {
				t.Errorf("X-Windrose-Deployment %q: headers name the deployment of the first event", got)
			}
			if c.tools && !strings.Contains(r.raw, `"get_weather"`) {
				t.Errorf("the break must come inside the tool call, after its first chunk went out:\n%s", r.raw)
			}
			if testing.Verbose() {
				t.Logf("the client read:\n%s", r.raw)
			}
			if s.content != c.content {
				t.Errorf("content %q, want %q", s.content, c.content)
			}
			before, seams := r.beforeSeam("fallback")
			if c.healed {
				if !s.done || s.errEvent != nil || s.finish != "stop" || r.finishes() != 1 || len(s.ids) != 1 {
					t.Errorf("done=%v err=%+v finish=%q finishes=%d ids=%v; want [DONE], no error, one finish reason, one id:\n%s",
						s.done, s.errEvent, s.finish, r.finishes(), s.ids, r.raw)
				}
				if diff := cmp.Diff(c.usage, s.usage); diff != "" {
					t.Errorf("usage chunk (-want +got):\n%s", diff)
				}
				if seams != 1 || before != chaosSeamText {
					t.Errorf("%d seam comments, after %q; want one, right after %q", seams, before, chaosSeamText)
				}
			} else {
				if s.done || s.errEvent == nil {
					t.Errorf("done=%v err=%+v; want the error event and no [DONE]", s.done, s.errEvent)
				} else if c.errorNamesPrimary && !strings.Contains(s.errEvent.Message, `"primary"`) {
					t.Errorf("error event %q: want the original break on primary", s.errEvent.Message)
				}
				if seams != 0 {
					t.Errorf("a seam comment on a stream that was not resumed:\n%s", r.raw)
				}
			}
			if n := fallback.Requests(t); n != c.fallbackCalls {
				t.Errorf("fallback got %d requests, want %d", n, c.fallbackCalls)
			}
			want := map[string]float64{
				"windrose_tokens_total{deployment=primary,type=input}":   c.primaryIn,
				"windrose_tokens_total{deployment=primary,type=output}":  c.primaryOut,
				"windrose_tokens_total{deployment=fallback,type=input}":  c.fallbackIn,
				"windrose_tokens_total{deployment=fallback,type=output}": c.fallbackOut,
			}
			for _, result := range []string{"resumed", "replayed", "diverged", "refused", "failed"} {
				key := fmt.Sprintf("windrose_stream_resumes_total{model=chaos,deployment=fallback,result=%s}", result)
				want[key] = 0
				for _, rs := range c.resumes {
					if rs == "fallback:"+result {
						want[key]++
					}
				}
			}
			want["windrose_stream_resumes_total{deployment=primary}"] = 0
			chaosMetrics(t, env, want)
			access := chaosAccess(logs)
			if len(access) != 1 {
				t.Fatalf("%d access lines, want 1", len(access))
			}
			var broke []string
			if len(c.resumes) > 0 {
				broke = []string{"primary"}
			}
			for field, want := range map[string][]string{"resumes": c.resumes, "broken": broke} {
				got := "[]"
				if v, ok := access[0][field]; ok {
					got = fmt.Sprint(v)
				}
				if got != fmt.Sprint(want) {
					t.Errorf("access log %s %s, want %v", field, got, want)
				}
			}
			wantDep := "primary"
			if c.healed {
				wantDep = "fallback" // the deployment that finished the answer
			}
			if got := access[0]["deployment"]; got != wantDep {
				t.Errorf("access log deployment %v, want %s", got, wantDep)
			}
		})
	}
}

// TestChaosResumeNumbers ties the token numbers above to what the Mistral
// emulator itself reports for the continuation request windrose sends:
// the prompt plus the prefix as an assistant message with "prefix": true.
func TestChaosResumeNumbers(t *testing.T) {
	t.Parallel()
	env := Start(t, chaosResumeProof)
	body := `{"model":"mistral-medium-2508","messages":[{"role":"user","content":"hello"},` +
		`{"role":"assistant","content":"` + chaosSeamText + `","prefix":true}]}`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, env.Emu("mistral").BaseURL+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+APIKey)
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: chaosClientWait}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got chaosResp
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK || len(got.Choices) != 1 || got.Usage == nil {
		t.Fatalf("status %d, %+v, %v", resp.StatusCode, got, err)
	}
	if chaosSeamText+got.Choices[0].Message.Content != chaosHello {
		t.Errorf("continuation %q does not finish %q", got.Choices[0].Message.Content, chaosHello)
	}
	if want := (chaosUsage{chaosContIn, chaosContOut}); *got.Usage != want {
		t.Errorf("the emulator reports %+v for the continuation, the tests assume %+v", *got.Usage, want)
	}
}
