package providertest

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
)

// testN runs where the adapter declares llm.CapN (its own declaration, so
// a declared n that the adapter drops fails here): n: 2 gives two choices
// indexed 0 and 1 with different answers, and the stream carries both,
// each with its finish reason.
func testN(t *testing.T, h Harness) {
	e := h.start(t)
	req := userRequest("Two answers, please")
	two := 2
	req.N = &two
	resp, err := e.p.Chat(e.ctx(30*time.Second), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices) != 2 || resp.Choices[0].Index != 0 || resp.Choices[1].Index != 1 ||
		resp.Choices[0].Message.Content == resp.Choices[1].Message.Content {
		t.Fatalf("want two distinct choices indexed 0 and 1, got %+v", resp.Choices)
	}
	s, err := e.p.ChatStream(e.ctx(30*time.Second), req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	text := map[int]string{}
	finishes := map[int]int{}
	for i := 0; ; i++ {
		ev, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || i > 10000 {
			t.Fatalf("stream: %v after %d events", err, i)
		}
		for _, d := range ev.Deltas {
			text[d.Index] += string(d.Content)
			if d.FinishReason != llm.FinishNone {
				finishes[d.Index]++
			}
		}
	}
	for i := range 2 {
		if text[i] != resp.Choices[i].Message.Content || finishes[i] != 1 {
			t.Errorf("choice %d streamed %q with %d finishes, want %q and one", i, text[i], finishes[i], resp.Choices[i].Message.Content)
		}
	}
}

// declares reports whether p declares c.
func declares(p providers.Provider, c llm.Capability) bool { return providers.CapabilitiesOf(p)&c != 0 }
