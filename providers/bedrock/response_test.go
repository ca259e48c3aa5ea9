package bedrock

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/golden"
)

type responseResult struct {
	Response *llm.ChatResponse `json:"response,omitempty"`
	Err      *golden.Error     `json:"error,omitempty"`
}

func hello() *llm.ChatRequest {
	return &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}}
}

// Converse answers (PROVIDERS.md §2.5) decoded through the SDK: text blocks
// joined, a toolUse with Bedrock's own id kept as is, max_tokens → length,
// a guardrail → content_filter, cache tokens folded into the prompt count,
// reasoning dropped, malformed model output an Upstream error.
func TestResponseGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "response", "*.in.json"))
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".in.json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c := &canned{body: body, header: http.Header{"X-Amzn-Requestid": {"req-1"}}}
			a := testAdapter(t, c, "m", "")
			resp, err := a.Chat(context.Background(), hello())
			if resp != nil {
				resp.Created = 0 // the adapter's clock
			}
			golden.CheckJSON(t, filepath.Join("testdata", "response", name+".want.json"),
				responseResult{Response: resp, Err: golden.ErrorOf(err)}, *update)
		})
	}
}

// readFrames parses a stream fixture: one frameLine per line.
func readFrames(t *testing.T, path string) []frameLine { return readFramesTB(t, path) }

func readFramesTB(t testing.TB, path string) []frameLine {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []frameLine
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		var l frameLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		lines = append(lines, l)
	}
	return lines
}

// ConverseStream transcripts (PROVIDERS.md §2.6), encoded as real
// event-stream frames and decoded by the SDK: the neutral events must have
// the Mistral adapter's shape (role, content, tool-call fragments with the
// id and name first, one finish, usage last); exception frames and streams
// without messageStop or metadata end in errors, never io.EOF.
func TestStreamGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "stream", "*.jsonl"))
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".jsonl")
		t.Run(name, func(t *testing.T) {
			c := &canned{body: encodeFrames(t, readFrames(t, f)),
				header: http.Header{"Content-Type": {"application/vnd.amazon.eventstream"}}}
			a := testAdapter(t, c, "m", "")
			s, err := a.ChatStream(context.Background(), hello())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			golden.CheckJSON(t, filepath.Join("testdata", "stream", name+".json"), golden.Read(s, 1000), *update)
		})
	}
}
