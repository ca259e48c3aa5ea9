package bedrock

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// FuzzConverseStream posts arbitrary bodies to converse-stream: the
// emulator answers a ValidationException or a stream whose every frame
// passes its CRCs and carries a JSON payload, and never panics.
func FuzzConverseStream(f *testing.F) {
	f.Add([]byte(`{"messages":[{"role":"user","content":[{"text":"Hello there"}]}]}`))
	f.Add([]byte(`{"messages":[{"role":"user","content":[{"text":"Weather?"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}}}}}}],"toolChoice":{"any":{}}}}`))
	f.Add([]byte(`{"messages":[{"role":"user","content":[{"text":"x"}]}],"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":"{\"type\":\"object\"}","name":"o"}}}},"inferenceConfig":{"maxTokens":3}}`))
	f.Add([]byte(`{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"f","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"json":{"a":1}}]}}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{}}}}]}}`))
	h := New(emukit.Options{APIKey: "k"})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/model/mistral.mistral-large-3-675b-instruct/converse-stream", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer k")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			tr := transcript(rec.Body)
			if !strings.HasSuffix(tr, "end: EOF\n") {
				t.Fatalf("stream did not decode cleanly:\n%s", tr)
			}
			for _, line := range strings.Split(strings.TrimSuffix(tr, "end: EOF\n"), "\n") {
				if line == "" {
					continue
				}
				payload := line[strings.Index(line, ") ")+2:]
				if !json.Valid([]byte(payload)) {
					t.Fatalf("frame payload is not JSON: %s", line)
				}
			}
		case http.StatusBadRequest:
			if !strings.HasPrefix(rec.Header().Get("X-Amzn-Errortype"), "ValidationException:") {
				t.Fatalf("400 without ValidationException: %v", rec.Header())
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
