package e2e

// Helpers of the chaos suite (chaos_*_test.go). They talk to the gateway
// with plain net/http and read SSE by hand, so the tests can assert the
// exact wire behaviour: status codes, headers, the error envelope and how a
// stream ends. Every name here starts with "chaos" to stay clear of the
// other e2e files in this package.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/gateway"
	"github.com/windrose-gw/windrose/internal/health"
)

// chaosModel is the alias every chaos config serves.
const chaosModel = "chaos"

// chaosPair is the workhorse config: a Mistral primary (tier 0) and an
// OpenRouter fallback (tier 1), so the order of attempts is fixed and every
// failover is visible. Timeouts are short so a stalled fault resolves in
// under a second, yet leave a healthy loopback emulator (or one with a 30ms
// fault delay) a wide margin on a loaded 2-core CI runner under -race,
// where 250ms was seen to be exceeded: a slow healthy answer must never
// read as a timeout here.
const chaosPair = `
models:
  - name: chaos
    attempts: 3
    attempt_timeout: 1s
    first_token_timeout: 800ms
    stall_timeout: 800ms
    deployments:
      - name: primary
        provider: mistral
        model: mistral-medium-2508
        priority: 0
        base_url: ${EMU_MISTRAL_URL}
        api_key: ${EMU_API_KEY}
      - name: fallback
        provider: openrouter
        model: mistralai/mistral-medium-3.1
        priority: 1
        base_url: ${EMU_OPENROUTER_URL}
        api_key: ${EMU_API_KEY}
`

// chaosEmuOf maps chaosPair's deployments to their emulator instances.
var chaosEmuOf = map[string]string{"primary": "mistral", "fallback": "openrouter"}

// chaosIDPrefix is how each emulator's completion ids start: it tells whose
// content a client received.
var chaosIDPrefix = map[string]string{"mistral": "cmpl-", "openrouter": "gen-"}

// chaosHello is the emulators' deterministic answer to the prompt "hello",
// which costs 8 prompt tokens (3 + 4 per message + 1 word) and 6 completion
// tokens (one per word chunk).
const (
	chaosHello      = "You said: hello — emulated reply."
	chaosHelloIn    = 8
	chaosHelloOut   = 6
	chaosClientWait = 10 * time.Second // a gateway hang fails the test, never stalls it
)

// chaosClock is a real clock that a test can move forward, so breaker
// open times and Retry-After cooldowns pass without sleeping.
type chaosClock struct{ offset atomic.Int64 }

// Now returns the wall time plus every Advance so far.
func (c *chaosClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// Advance moves the clock forward by d.
func (c *chaosClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// chaosGateway injects a clock (nil keeps time.Now), breaker settings and
// a seeded random source, so the router's draws repeat from run to run.
func chaosGateway(clk *chaosClock, b health.BreakerConfig, seed uint64) Option {
	return WithGatewayOptions(func(o *gateway.Options) {
		if clk != nil {
			o.Now = clk.Now
		}
		o.Breaker = b
		o.Rand = rand.New(rand.NewPCG(seed, seed^0x5eed))
	})
}

// chaosCall is one client request.
type chaosCall struct {
	stream bool
	prompt string            // default "hello"
	header map[string]string // extra request headers
}

// chaosReply is what the client saw.
type chaosReply struct {
	status int
	header http.Header
	body   []byte     // the whole body of a non-streamed answer or an error
	sse    *chaosSSE  // a streamed 200, read event by event
	err    *chaosEnv  // the envelope of a non-200 answer
	answer *chaosResp // a non-streamed 200, decoded
}

// chaosResp is the part of a chat.completion the suite checks.
type chaosResp struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *chaosUsage `json:"usage"`
}

type chaosUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

// chaosEnv is OpenAI's error envelope, checked strictly by chaosEnvelope.
type chaosEnv struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// code returns the envelope's code, "" for null.
func (e *chaosEnv) code() string {
	if e == nil || e.Code == nil {
		return ""
	}
	return *e.Code
}

func chaosBody(c chaosCall) string {
	p := c.prompt
	if p == "" {
		p = "hello"
	}
	b, _ := json.Marshal(p)
	s := `{"model":"` + chaosModel + `","messages":[{"role":"user","content":` + string(b) + `}]`
	if c.stream {
		s += `,"stream":true,"stream_options":{"include_usage":true}`
	}
	return s + "}"
}

// chaosSend makes one request and reads the whole answer. It never calls
// t.Fatal, so worker goroutines may use it.
func chaosSend(ctx context.Context, client *http.Client, env *Env, c chaosCall) (*chaosReply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, env.URL+"/v1/chat/completions", strings.NewReader(chaosBody(c)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	r := &chaosReply{status: resp.StatusCode, header: resp.Header}
	if resp.StatusCode == http.StatusOK && c.stream {
		r.sse = chaosReadSSE(resp.Body)
		return r, nil
	}
	if r.body, err = io.ReadAll(resp.Body); err != nil {
		return r, fmt.Errorf("reading the body: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		r.err, err = chaosEnvelope(r.body)
		return r, err
	}
	r.answer = &chaosResp{}
	if err := json.Unmarshal(r.body, r.answer); err != nil {
		return r, fmt.Errorf("decoding the answer %s: %w", r.body, err)
	}
	return r, nil
}

// chaosPost is chaosSend for the test goroutine: any transport failure or
// malformed answer fails the test.
func chaosPost(t *testing.T, env *Env, c chaosCall) *chaosReply {
	t.Helper()
	client := &http.Client{Timeout: chaosClientWait}
	defer client.CloseIdleConnections()
	r, err := chaosSend(t.Context(), client, env, c)
	if err != nil {
		t.Fatalf("POST stream=%v: %v", c.stream, err)
	}
	return r
}

// chaosEnvelope decodes OpenAI's error envelope and insists on its exact
// shape: one "error" member holding message, type, param and code, with a
// message a human can act on.
func chaosEnvelope(body []byte) (*chaosEnv, error) {
	var outer map[string]json.RawMessage
	if err := json.Unmarshal(body, &outer); err != nil {
		return nil, fmt.Errorf("error body %q is not JSON: %w", body, err)
	}
	var inner map[string]json.RawMessage
	if err := json.Unmarshal(outer["error"], &inner); len(outer) != 1 || err != nil {
		return nil, fmt.Errorf("error body %s is not {\"error\":{…}}", body)
	}
	keys := make([]string, 0, len(inner))
	for k := range inner {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if diff := cmp.Diff([]string{"code", "message", "param", "type"}, keys); diff != "" {
		return nil, fmt.Errorf("error envelope %s members (-want +got):\n%s", body, diff)
	}
	var e chaosEnv
	if err := json.Unmarshal(outer["error"], &e); err != nil || e.Message == "" || e.Type == "" {
		return nil, fmt.Errorf("error envelope %s: want string message and type (%v)", body, err)
	}
	return &e, nil
}

// chaosSSE is a streamed answer as the client read it.
type chaosSSE struct {
	content  string
	ids      []string // distinct chunk ids, in order
	roles    int      // chunks carrying a role
	finish   string
	usage    *chaosUsage
	done     bool      // a data: [DONE] arrived
	errEvent *chaosEnv // a data: {"error":…} arrived
	after    int       // events after [DONE] or the error event (must be 0)
	problems []string  // events that were neither chunk, error nor [DONE]
	readErr  error     // how reading the body ended, nil for a clean close
}

// chaosReadSSE reads an event stream to its end: `data:` lines joined per
// event, comments and other fields ignored, as the SSE spec says.
func chaosReadSSE(body io.Reader) *chaosSSE {
	s := &chaosSSE{}
	br := bufio.NewReader(body)
	var data []string
	for {
		line, err := br.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "" && len(data) > 0:
			s.event(strings.Join(data, "\n"))
			data = data[:0]
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
		if err != nil {
			if len(data) > 0 {
				s.event(strings.Join(data, "\n"))
			}
			if err != io.EOF {
				s.readErr = err
			}
			return s
		}
	}
}

func (s *chaosSSE) event(data string) {
	if s.done || s.errEvent != nil {
		s.after++
		return
	}
	if data == "[DONE]" {
		s.done = true
		return
	}
	if bytes.HasPrefix([]byte(data), []byte(`{"error"`)) {
		e, err := chaosEnvelope([]byte(data))
		if err != nil {
			s.problems = append(s.problems, err.Error())
			return
		}
		s.errEvent = e
		return
	}
	var c struct {
		ID      string `json:"id"`
		Choices []struct {
			Delta struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"delta"`
			FinishReason *string `json:"finish_reason"`
		} `json:"choices"`
		Usage *chaosUsage `json:"usage"`
	}
	if err := json.Unmarshal([]byte(data), &c); err != nil {
		s.problems = append(s.problems, fmt.Sprintf("undecodable event %q: %v", data, err))
		return
	}
	if len(s.ids) == 0 || s.ids[len(s.ids)-1] != c.ID {
		s.ids = append(s.ids, c.ID)
	}
	for _, ch := range c.Choices {
		if ch.Delta.Role != "" {
			s.roles++
		}
		s.content += ch.Delta.Content
		if ch.FinishReason != nil {
			s.finish = *ch.FinishReason
		}
	}
	if c.Usage != nil {
		s.usage = c.Usage
	}
}

// chaosMetrics compares metric values with want, whose keys read
// `name{label=value,…}`, or a bare name for the sum over every series.
func chaosMetrics(t *testing.T, env *Env, want map[string]float64) {
	t.Helper()
	got := make(map[string]float64, len(want))
	for key := range want {
		name, labels := chaosMetricKey(t, key)
		got[key] = env.Metric(t, name, labels)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

func chaosMetricKey(t *testing.T, key string) (string, map[string]string) {
	name, rest, ok := strings.Cut(key, "{")
	if !ok {
		return key, nil
	}
	labels := map[string]string{}
	for _, kv := range strings.Split(strings.TrimSuffix(rest, "}"), ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("metric key %q: label %q has no '='", key, kv)
		}
		labels[k] = v
	}
	return name, labels
}

// chaosMerge returns the union of metric expectations; later maps win.
func chaosMerge(ms ...map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// chaosCalls returns how many API requests each named emulator received.
func chaosCalls(t *testing.T, env *Env, names ...string) map[string]int {
	t.Helper()
	out := make(map[string]int, len(names))
	for _, n := range names {
		out[n] = env.Emu(n).Requests(t)
	}
	return out
}

// chaosAttempts reads the X-Windrose-Attempts header as a number (-1 when
// absent or malformed).
func chaosAttempts(h http.Header) int {
	n, err := strconv.Atoi(h.Get("X-Windrose-Attempts"))
	if err != nil {
		return -1
	}
	return n
}
