package oaicompat

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/golden"
)

var update = flag.Bool("update", false, "rewrite golden files")

type chunkResult struct {
	Event golden.Event `json:"event"`
	Info  *ChunkInfo   `json:"info,omitempty"`
	Err   string       `json:"err,omitempty"`
}

func TestParseChunk(t *testing.T) {
	tests := []struct {
		name  string
		chunk string
	}{
		// Mistral's first chunk: role only, empty content.
		{"role", `{"id":"f798","object":"chat.completion.chunk","created":1732548656,"model":"mistral-medium-2508","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`},
		// The steady state: a text delta.
		{"text", `{"id":"f798","object":"chat.completion.chunk","created":1732548656,"model":"mistral-medium-2508","choices":[{"index":0,"delta":{"content":"C\"iz\u00e9"},"finish_reason":null}]}`},
		// Mistral's last content chunk carries finish_reason and usage together.
		{"finish with usage", `{"id":"f798","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"izable"},"finish_reason":"length"}],"usage":{"prompt_tokens":34,"total_tokens":134,"completion_tokens":100}}`},
		// model_length is Mistral's word for length.
		{"model_length", `{"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"model_length"}]}`},
		// A whole tool call in one chunk, as Mistral sends it; the id is mapped back.
		{"tool call", `{"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"id":"abcDEF123","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"},"index":0}]},"finish_reason":"tool_calls"}]}`},
		// A continuation fragment: arguments only.
		{"tool call fragment", `{"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"\"}"}}]}}]}`},
		// OpenRouter's usage-only final message with cost and cached tokens.
		{"usage only", `{"id":"gen-1","choices":[],"usage":{"prompt_tokens":194,"completion_tokens":2,"total_tokens":196,"cost":0.95,"is_byok":false,"prompt_tokens_details":{"cached_tokens":7}}}`},
		// OpenRouter's in-band error with a string code.
		{"in-band string code", `{"id":"cmpl-abc123","object":"chat.completion.chunk","created":1234567890,"model":"gpt-3.5-turbo","provider":"openai","error":{"code":"server_error","message":"Provider disconnected unexpectedly"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}`},
		// OpenRouter's in-band error with a numeric code and usage.
		{"in-band numeric code", `{"id":"c","error":{"code":502,"message":"bad upstream"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}`},
		// Mistral's finish_reason "error" without an error object.
		{"finish error", `{"id":"c","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"error"}]}`},
		// Array content from newer Mistral models: only text parts are the answer.
		{"array content", `{"id":"c","choices":[{"index":0,"delta":{"content":[{"type":"thinking","thinking":[]},{"type":"text","text":"hi"}]}}]}`},
		// Two choices (n=2) become two deltas.
		{"two choices", `{"id":"c","choices":[{"index":0,"delta":{"content":"a"}},{"index":1,"delta":{"content":"b"},"finish_reason":"stop"}]}`},
		// Not JSON.
		{"malformed", `{"id":"c","choices":[{"index":0,"delta":{"content":"a"`},
		// JSON but not an object.
		{"not object", `[1,2]`},
		// A choice that is not an object.
		{"bad choice", `{"choices":[1]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ChunkParser{MapToolID: func(id string) string { return "caller_" + id }}
			var ev llm.StreamEvent
			info, err := p.Parse([]byte(tt.chunk), &ev)
			res := chunkResult{Event: golden.Copy(&ev)}
			if err != nil {
				res = chunkResult{Err: err.Error()}
			} else if info.Finished || info.Err != nil {
				res.Info = &info
			}
			golden.CheckJSON(t, filepath.Join("testdata", "chunk", golden.FileName(tt.name)+".json"), res, *update)
		})
	}
}

// The parser must carry id and model across chunks and reuse the event.
func TestParseChunkReuse(t *testing.T) {
	var p ChunkParser
	var ev llm.StreamEvent
	if _, err := p.Parse([]byte(`{"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"long text here"}}]}`), &ev); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Parse([]byte(`{"choices":[{"index":0,"delta":{"content":"x"}}]}`), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ID != "a" || ev.Model != "m" || string(ev.Deltas[0].Content) != "x" || ev.Usage != nil {
		t.Fatalf("event after second chunk = %+v", golden.Copy(&ev))
	}
}

const textChunk = `{"id":"cmpl-e5cc70bb28c444948073e77776eb30ef","object":"chat.completion.chunk","created":1732548656,"model":"mistral-medium-2508","choices":[{"index":0,"delta":{"content":" the quick brown fox"},"finish_reason":null}]}`

// Steady-state text deltas must not allocate (the point of ChunkParser).
func TestParseChunkNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	var p ChunkParser
	var ev llm.StreamEvent
	data := []byte(textChunk)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := p.Parse(data, &ev); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Parse allocates %.1f times per text chunk, want 0", allocs)
	}
}

func BenchmarkParseChunk(b *testing.B) {
	var p ChunkParser
	var ev llm.StreamEvent
	data := []byte(textChunk)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := p.Parse(data, &ev); err != nil {
			b.Fatal(err)
		}
	}
}
