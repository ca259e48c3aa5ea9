package e2e

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/shared"
)

// resumeStreamed is a stream as openai-go folded it, with the bytes it read.
type resumeStreamed struct {
	acc      openai.ChatCompletionAccumulator
	chunks   int
	finishes int
	usage    *openai.CompletionUsage // the usage-only chunk
	err      error
	raw      string
}

// teeBody keeps a copy of every response body the SDK reads.
func teeBody(raw *bytes.Buffer) option.RequestOption {
	return option.WithMiddleware(func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		resp, err := next(req)
		if err == nil {
			resp.Body = struct {
				io.Reader
				io.Closer
			}{io.TeeReader(resp.Body, raw), resp.Body}
		}
		return resp, err
	})
}

// resumeStream streams p through openai-go and drains it.
func resumeStream(t *testing.T, env *Env, p openai.ChatCompletionNewParams) *resumeStreamed {
	t.Helper()
	var raw bytes.Buffer
	client := newClient(env)
	s := client.Chat.Completions.NewStreaming(withTimeout(t), p, teeBody(&raw))
	defer s.Close()
	out := &resumeStreamed{}
	for s.Next() {
		chunk := s.Current()
		out.chunks++
		if !out.acc.AddChunk(chunk) {
			t.Errorf("chunk %d rejected by the accumulator (id %q after %q)", out.chunks, chunk.ID, out.acc.ID)
		}
		for _, ch := range chunk.Choices {
			if ch.FinishReason != "" {
				out.finishes++
			}
		}
		if len(chunk.Choices) == 0 && chunk.Usage.TotalTokens > 0 {
			u := chunk.Usage
			out.usage = &u
		}
	}
	out.err = s.Err()
	out.raw = raw.String()
	return out
}

func (r *resumeStreamed) content() string {
	if len(r.acc.Choices) == 0 {
		return ""
	}
	return r.acc.Choices[0].Message.Content
}

// TestOpenAIGoResume: openai-go streams through a break healed by resume
// and gets one uninterrupted answer, ignoring the seam comment; an
// unhealed break is an error, never a clean end with a cut answer.
func TestOpenAIGoResume(t *testing.T) {
	t.Parallel()
	weather := openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:       "get_weather",
		Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
	})
	cases := []struct {
		name              string
		off               bool
		primary, fallback string
		tools             bool
		healed            bool
		content           string
		usage             [3]int64
		fallbackCalls     int
	}{
		// Cut after two words, the prefix continuation finishes it.
		{name: "cut", primary: `{"cut_after":3}`, fallback: `{}`, healed: true, content: chaosHello,
			usage: [3]int64{chaosContIn, chaosContOut, chaosContIn + chaosContOut}, fallbackCalls: 1},
		// A stall past stall_timeout.
		{name: "stall", primary: `{"stall_after":3}`, fallback: `{}`, healed: true, content: chaosHello,
			usage: [3]int64{chaosContIn, chaosContOut, chaosContIn + chaosContOut}, fallbackCalls: 1},
		// A malformed chunk.
		{name: "malformed", primary: `{"malformed_after":3}`, fallback: `{}`, healed: true, content: chaosHello,
			usage: [3]int64{chaosContIn, chaosContOut, chaosContIn + chaosContOut}, fallbackCalls: 1},
		// The fallback refuses the prefix; the replay matches.
		{name: "refused, replay", primary: `{"cut_after":3}`, fallback: `{"refuse_prefix":true}`, healed: true, content: chaosHello,
			usage: [3]int64{chaosHelloIn, chaosHelloOut, chaosHelloIn + chaosHelloOut}, fallbackCalls: 2},
		// The replay diverges: an error, nothing past the seam.
		{name: "replay diverges", primary: `{"cut_after":3}`, fallback: `{"refuse_prefix":true,"reply_variant":"b"}`,
			content: chaosSeamText, fallbackCalls: 2},
		// A break inside a tool call: an error, no resume.
		{name: "tool call break", primary: `{"tool_call_fragments":3,"cut_after":3}`, fallback: `{}`, tools: true},
		// Resume off: today's error.
		{name: "off", off: true, primary: `{"cut_after":3}`, fallback: `{}`, content: chaosSeamText},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := chaosResumeProof
			if c.off {
				cfg = strings.Replace(cfg, "mode: prefix_or_replay", `mode: "off"`, 1)
			}
			env := Start(t, cfg)
			env.Emu("openrouter").SetFaults(t, c.primary)
			env.Emu("mistral").SetFaults(t, c.fallback)
			p := openai.ChatCompletionNewParams{
				Model:         chaosModel,
				Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello")},
				StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
			}
			if c.tools {
				p.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage(chaosToolAsk)}
				p.Tools = []openai.ChatCompletionToolUnionParam{weather}
			}
			got := resumeStream(t, env, p)
			if got.content() != c.content {
				t.Errorf("content %q, want %q", got.content(), c.content)
			}
			if n := env.Emu("mistral").Requests(t); n != c.fallbackCalls {
				t.Errorf("fallback got %d requests, want %d", n, c.fallbackCalls)
			}
			if !c.healed {
				var se *ssestream.StreamError
				if got.err == nil || !errors.As(got.err, &se) || !strings.Contains(se.Message, `deployment \"primary\"`) {
					t.Fatalf("stream ended with %v after %d chunks; want the SSE error event of the break on primary", got.err, got.chunks)
				}
				if strings.Contains(got.raw, ": resumed on") {
					t.Errorf("a seam comment on a stream that was not resumed")
				}
				return
			}
			if got.err != nil {
				t.Fatalf("stream error %s; want a clean end", describe(got.err))
			}
			if got.finishes != 1 || got.acc.Choices[0].FinishReason != "stop" {
				t.Errorf("%d finish reasons (last %q), want one stop", got.finishes, got.acc.Choices[0].FinishReason)
			}
			if got.usage == nil || usageOf(*got.usage) != c.usage {
				t.Errorf("usage chunk %+v, want prompt/completion/total %v", got.usage, c.usage)
			}
			// The seam comment was on the wire, and the SDK made no chunk
			// of it: one chunk per data event except [DONE].
			if !strings.Contains(got.raw, "\n\n: resumed on fallback\n\n") || !strings.HasSuffix(got.raw, "data: [DONE]\n\n") {
				t.Errorf("the wire lacks the seam comment or [DONE]:\n%s", got.raw)
			}
			if data := strings.Count(got.raw, "data: {"); got.chunks != data {
				t.Errorf("the SDK read %d chunks from %d data events", got.chunks, data)
			}
		})
	}
}
