package mistralwire

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/golden"
)

// Recorded transcripts (PROVIDERS.md §1.4) decode to golden events.
func TestStreamGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "stream", "*.sse"))
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	_, ids, err := EncodeRequest(&llm.ChatRequest{Messages: conversation()}, "m", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sse")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			s := NewStream(context.Background(), "mistral", io.NopCloser(strings.NewReader(string(raw))), ids)
			golden.CheckJSON(t, filepath.Join("testdata", "stream", name+".json"), golden.Read(s, 1000), *update)
		})
	}
}
