package mistralwire

import (
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

// Each recorded body under testdata/response/*.in.json is decoded and
// compared with its golden .want.json. The tool-call case decodes with the
// id map of the conversation in request_test.go, so an id Mistral echoes
// from the request ("tBziUm3pE") comes back as the caller's own id while a
// fresh one passes through; model_length becomes length; array content keeps
// only text; finish "error", no choices and broken JSON are Upstream errors.
func TestResponseGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "response", "*.in.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no response fixtures: %v", err)
	}
	_, ids, err := EncodeRequest(&llm.ChatRequest{Messages: conversation()}, "m", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".in.json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := DecodeResponse("mistral", body, ids)
			golden.CheckJSON(t, filepath.Join("testdata", "response", name+".want.json"),
				responseResult{Response: resp, Err: golden.ErrorOf(err)}, *update)
		})
	}
}
