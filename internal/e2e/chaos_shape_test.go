package e2e

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// chaosShapeTool is a request the emulators answer with a tool call.
const chaosShapeTool = `{"model":"chaos","stream":true,"messages":[{"role":"user","content":"Please use get_weather for Paris"}],` +
	`"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}`

// TestChaosFinishChunkShape: the finish reason travels in its own chunk with
// an empty delta after the last content or tool-call delta, as OpenAI sends
// it, whatever the provider bundled: Mistral sends a whole tool call with
// its finish_reason in one chunk, and its last word with the finish too.
func TestChaosFinishChunkShape(t *testing.T) {
	t.Parallel()
	env := Start(t, chaosPair)
	for _, dep := range []string{"primary", "fallback"} {
		for name, body := range map[string]string{"tool call": chaosShapeTool, "text": chaosBody(chaosCall{stream: true})} {
			t.Run(dep+"/"+name, func(t *testing.T) {
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, env.URL+"/v1/chat/completions", strings.NewReader(body))
				req.Header.Set("X-Windrose-Deployment", dep)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				chunks := chaosChunks(t, resp)
				finishAt := -1
				for i, c := range chunks {
					for _, ch := range c.Choices {
						if ch.FinishReason == nil {
							continue
						}
						finishAt = i
						if string(ch.Delta) != "{}" {
							t.Errorf("chunk %d carries finish_reason %q with delta %s; want an empty delta", i, *ch.FinishReason, ch.Delta)
						}
					}
				}
				if finishAt < 1 {
					t.Fatalf("no finish chunk after content in %d chunks", len(chunks))
				}
				for _, c := range chunks[finishAt+1:] {
					if len(c.Choices) > 0 {
						t.Errorf("a choice chunk after the finish chunk: %+v", c)
					}
				}
			})
		}
	}
}

type chaosChunk struct {
	Choices []struct {
		Delta        json.RawMessage `json:"delta"`
		FinishReason *string         `json:"finish_reason"`
	} `json:"choices"`
}

// chaosChunks reads every chunk of a stream up to [DONE].
func chaosChunks(t *testing.T, resp *http.Response) []chaosChunk {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var out []chaosChunk
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if data == "[DONE]" {
			return out
		}
		var c chaosChunk
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			t.Fatalf("chunk %q: %v", data, err)
		}
		out = append(out, c)
	}
	t.Fatalf("stream ended without [DONE] (%v)", sc.Err())
	return nil
}
