package responsesapi

import (
	"os"
	"testing"

	"github.com/windrose-gw/windrose/internal/llm"
)

// BenchmarkDecodeRequest decodes the full golden request (every member).
func BenchmarkDecodeRequest(b *testing.B) {
	body, err := os.ReadFile("testdata/request_full.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamTextDelta encodes one output_text.delta event into a
// reused buffer: the per-chunk cost of a Responses stream.
func BenchmarkStreamTextDelta(b *testing.B) {
	s := Stream{Resp: Response{ID: "resp_0123456789abcdef01234567", Model: "m"}}
	buf := s.AppendStart(nil)
	ev := &llm.StreamEvent{Deltas: []llm.Delta{{Content: []byte(" the quick brown fox")}}}
	buf = s.AppendEvent(buf[:0], ev)
	b.ReportAllocs()
	for b.Loop() {
		buf = s.AppendEvent(buf[:0], ev)
		if len(s.buf) > 1<<16 {
			s.buf = s.buf[:0]
		}
	}
}

// BenchmarkAppendResponse encodes a complete text response object.
func BenchmarkAppendResponse(b *testing.B) {
	req, err := DecodeRequest([]byte(`{"model":"m","input":"hi"}`))
	if err != nil {
		b.Fatal(err)
	}
	r := New("resp_0123456789abcdef01234567", 1, req, &llm.ChatResponse{Model: "m", Usage: &llm.Usage{PromptTokens: 5, CompletionTokens: 7},
		Choices: []llm.Choice{{Message: llm.Message{Content: "A short answer of a few words."}, FinishReason: llm.FinishStop}}})
	buf := AppendResponse(nil, r)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendResponse(buf[:0], r)
	}
}
