package watsonx

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/golden"
	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
)

// Transcripts under testdata/stream/*.sse (PROVIDERS.md §5.6) decode to the
// golden events next to them: text ends properly at the usage chunk without
// [DONE] or close; a streamed tool call arrives id and name first and its id
// maps back to the caller's; event: error ends the stream with its
// classified error; close before a finish reason, or a body that ends
// before the usage chunk, is an Upstream error; time_limit is length and
// cancelled an error; unknown event names are skipped.
func TestStreamGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "stream", "*.sse"))
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	ids := mistralwire.NewIDMap(toolTurns())
	if ids.Rewrite("call_0fypS1hVXabcdefghij") != "DKS2s3F4D" {
		t.Fatal("the tools transcript assumes this rewrite; regenerate it")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sse")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s := newStream(context.Background(), io.NopCloser(strings.NewReader(string(raw))), ids)
			golden.CheckJSON(t, filepath.Join("testdata", "stream", name+".json"), golden.Read(s, 1000), *update)
		})
	}
}

// BenchmarkStreamEvent measures the per-event cost of a text delta through
// the watsonx framing (id/event lines, chunk parse, event reuse).
func BenchmarkStreamEvent(b *testing.B) {
	const n = 256
	var sb strings.Builder
	sb.WriteString("id: 0\nevent: message\ndata: " + `{"id":"c","object":"chat.completion.chunk","model_id":"m","model":"m","created":1,"choices":[{"index":0,"finish_reason":null,"delta":{"role":"assistant","content":""}}]}` + "\n\n")
	for i := 0; i < n; i++ {
		sb.WriteString("id: 1\nevent: message\ndata: " + `{"id":"c","object":"chat.completion.chunk","model_id":"m","model":"m","created":1,"model_version":"3.0.0","created_at":"2025-06-12T13:47:35.542Z","choices":[{"index":0,"finish_reason":null,"delta":{"content":" word"}}]}` + "\n\n")
	}
	sb.WriteString("id: 2\nevent: message\ndata: " + `{"id":"c","object":"chat.completion.chunk","model_id":"m","model":"m","created":1,"choices":[{"index":0,"finish_reason":"stop","delta":{"content":""}}]}` + "\n\n")
	sb.WriteString("id: 3\nevent: message\ndata: " + `{"id":"c","object":"chat.completion.chunk","model_id":"m","model":"m","created":1,"choices":[],"usage":{"completion_tokens":3,"prompt_tokens":38,"total_tokens":41}}` + "\n\n")
	sb.WriteString("id: 4\nevent: close\ndata: \n\n")
	body := sb.String()
	ids := &mistralwire.IDMap{}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		s := newStream(context.Background(), io.NopCloser(strings.NewReader(body)), ids)
		events := 0
		var err error
		var ev *llm.StreamEvent
		for ev, err = s.Next(); err == nil; ev, err = s.Next() {
			_ = ev
			events++
		}
		if err != io.EOF || events != n+3 {
			b.Fatalf("events %d, end %v", events, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(n+3)), "ns/event")
}
