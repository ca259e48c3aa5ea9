package azure

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
)

// BenchmarkEncodeRequest measures request translation: a plain prompt and
// a tool conversation whose ids are rewritten.
func BenchmarkEncodeRequest(b *testing.B) {
	for _, tc := range []struct {
		name string
		req  llm.ChatRequest
	}{
		{"plain", llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleSystem, Content: "Be brief."}, {Role: llm.RoleUser, Content: "Hello there"}},
			Temperature: ptr(0.3), MaxTokens: ptr(256)}},
		{"tools", llm.ChatRequest{Messages: toolConversation(), Tools: []llm.Tool{weatherTool}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			buf := make([]byte, 0, 4096)
			b.ReportAllocs()
			for b.Loop() {
				buf = encodeRequest(buf[:0], &tc.req, "mistral-medium-2505", true, &mistralwire.IDMap{}, nil)
			}
		})
	}
}

// BenchmarkStreamEvent measures per-event stream translation: one
// Azure text chunk read, parsed and turned into an llm.StreamEvent. Each
// op is one event; allocs/op is allocations per event.
func BenchmarkStreamEvent(b *testing.B) {
	const chunk = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1796158090,"model":"mistral-medium-2505",` +
		`"choices":[{"index":0,"delta":{"content":" word"},"finish_reason":null,"logprobs":null}]}` + "\n\n"
	const events = 4096
	body := []byte(strings.Repeat(chunk, events))
	b.ReportAllocs()
	b.SetBytes(int64(len(chunk)))
	n := 0
	var s interface {
		Next() (*llm.StreamEvent, error)
	}
	for b.Loop() {
		if n%events == 0 {
			s = mistralwire.NewStream(context.Background(), Kind, io.NopCloser(bytes.NewReader(body)), &mistralwire.IDMap{})
		}
		if _, err := s.Next(); err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// BenchmarkChat is one non-stream call through the azcore pipeline (api-key
// policy, no retries) to an in-process emulator over loopback HTTP: the
// adapter's whole per-request cost, network stack included.
func BenchmarkChat(b *testing.B) {
	p, _ := newAgainst(b, "")
	req := &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "Hello there"}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Chat(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
