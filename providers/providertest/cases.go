package providertest

import (
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
)

// collected is a stream read to its end, copied out of the reused events.
type collected struct {
	text     string
	finishes []llm.FinishReason
	usage    *llm.Usage
	calls    map[int]*llm.ToolCall
	events   int
	err      error
}

// drain reads s until it ends (at most limit events).
func drain(s providers.Stream, limit int) collected {
	c := collected{calls: map[int]*llm.ToolCall{}}
	for ; c.events < limit; c.events++ {
		ev, err := s.Next()
		if err != nil {
			c.err = err
			return c
		}
		for _, d := range ev.Deltas {
			c.text += string(d.Content)
			if d.FinishReason != llm.FinishNone {
				c.finishes = append(c.finishes, d.FinishReason)
			}
			for _, tc := range d.ToolCalls {
				call := c.calls[tc.Index]
				if call == nil {
					call = &llm.ToolCall{}
					c.calls[tc.Index] = call
				}
				if tc.ID != "" {
					call.ID = tc.ID
				}
				if tc.Name != "" {
					call.Name = tc.Name
				}
				call.Arguments += string(tc.Arguments)
			}
		}
		if ev.Usage != nil {
			u := *ev.Usage
			c.usage = &u
		}
	}
	c.err = errors.New("stream did not end")
	return c
}

func testText(t *testing.T, h Harness) {
	e := h.start(t)
	resp, err := e.p.Chat(e.ctx(30*time.Second), userRequest("Hello there, how are you?"))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices) != 1 || resp.Choices[0].Message.Content == "" {
		t.Fatalf("choices = %+v", resp.Choices)
	}
	if got := resp.Choices[0].FinishReason; got != llm.FinishStop {
		t.Errorf("finish = %q, want stop", got)
	}
	checkUsage(t, resp.Usage)
}

func checkUsage(t *testing.T, u *llm.Usage) {
	t.Helper()
	if u == nil {
		t.Fatal("no usage")
	}
	if u.PromptTokens <= 0 || u.CompletionTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage = %+v: want positive counts that add up", *u)
	}
}

// A stream must say exactly what the whole answer says, end with io.EOF,
// give one finish reason, and report the same usage.
func testStreamMatchesChat(t *testing.T, h Harness) {
	e := h.start(t)
	req := userRequest("Tell me about the mistral wind in the Rhone valley")
	whole, err := e.p.Chat(e.ctx(30*time.Second), req)
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.p.ChatStream(e.ctx(30*time.Second), req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := drain(s, 10000)
	if !errors.Is(c.err, io.EOF) {
		t.Fatalf("stream ended with %v, want io.EOF", c.err)
	}
	if c.text != whole.Choices[0].Message.Content {
		t.Errorf("stream text %q != chat text %q", c.text, whole.Choices[0].Message.Content)
	}
	if diff := cmp.Diff([]llm.FinishReason{llm.FinishStop}, c.finishes); diff != "" {
		t.Errorf("finish reasons (-want +got):\n%s", diff)
	}
	if h.Caps.StreamUsage {
		checkUsage(t, c.usage)
		if c.usage != nil && whole.Usage != nil && *c.usage != *whole.Usage {
			t.Errorf("stream usage %+v != chat usage %+v", *c.usage, *whole.Usage)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after end = %v", err)
	}
}

// max_tokens cuts the answer with finish length, streamed or not.
func testMaxTokens(t *testing.T, h Harness) {
	e := h.start(t)
	req := userRequest("Please write a long story about the sea and the wind")
	two := 2
	req.MaxTokens = &two
	resp, err := e.p.Chat(e.ctx(30*time.Second), req)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].FinishReason; got != llm.FinishLength {
		t.Errorf("chat finish = %q, want length", got)
	}
	if resp.Usage != nil && resp.Usage.CompletionTokens > two {
		t.Errorf("completion tokens %d > max_tokens %d", resp.Usage.CompletionTokens, two)
	}
	s, err := e.p.ChatStream(e.ctx(30*time.Second), req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := drain(s, 1000)
	if !errors.Is(c.err, io.EOF) || len(c.finishes) != 1 || c.finishes[0] != llm.FinishLength {
		t.Errorf("stream end %v, finishes %v; want io.EOF and [length]", c.err, c.finishes)
	}
}

func testJSONMode(t *testing.T, h Harness) {
	e := h.start(t)
	req := userRequest("Reply in JSON with a greeting")
	req.ResponseFormat = &llm.ResponseFormat{Type: llm.FormatJSONObject}
	resp, err := e.p.Chat(e.ctx(30*time.Second), req)
	if err != nil {
		t.Fatal(err)
	}
	if out := resp.Choices[0].Message.Content; !json.Valid([]byte(out)) {
		t.Errorf("JSON mode answer is not JSON: %q", out)
	}
}
