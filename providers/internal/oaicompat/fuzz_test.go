package oaicompat

import (
	"bytes"
	"testing"

	"github.com/windrose-gw/windrose/internal/llm"
)

// FuzzSSEReader feeds arbitrary bytes to the SSE reader: it must never
// panic, never return a payload over the cap, and always end.
func FuzzSSEReader(f *testing.F) {
	f.Add([]byte("data: {\"a\":1}\n\ndata: [DONE]\n\n"))
	f.Add([]byte(": OPENROUTER PROCESSING\r\n\r\ndata: x\r\n\r\n"))
	f.Add([]byte("event: error\nid: 3\ndata: a\ndata: b\n\n"))
	f.Add([]byte("data"))
	f.Fuzz(func(t *testing.T, in []byte) {
		const limit = 512
		r := NewSSEReader(bytes.NewReader(in), limit)
		for i := 0; i <= len(in)+1; i++ {
			b, err := r.Next()
			if err != nil {
				return
			}
			if bytes.Equal(b, doneMarker) {
				t.Fatal("[DONE] returned as a payload")
			}
			if len(b) > len(in) {
				t.Fatalf("payload %d bytes from %d bytes of input", len(b), len(in))
			}
		}
		t.Fatal("reader did not end")
	})
}

// FuzzParseChunk feeds arbitrary JSON-ish chunks to the parser, then a
// valid chunk: it must never panic and the event must be usable after any
// error.
func FuzzParseChunk(f *testing.F) {
	f.Add([]byte(textChunk))
	f.Add([]byte(`{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"x","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":1,"cost":0.1}}`))
	f.Add([]byte(`{"error":{"code":502,"message":"m"},"choices":[{"delta":{"content":[{"type":"text","text":"a"}]},"finish_reason":"error"}]}`))
	f.Add([]byte(`{"choices":[{"delta":null},{"delta":1}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var p ChunkParser
		var ev llm.StreamEvent
		_, _ = p.Parse(in, &ev)
		_ = ev.HasContent()
		if _, err := p.Parse([]byte(textChunk), &ev); err != nil {
			t.Fatalf("valid chunk after fuzz input: %v", err)
		}
		if string(ev.Deltas[0].Content) != " the quick brown fox" {
			t.Fatalf("content = %q", ev.Deltas[0].Content)
		}
	})
}
