package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// vertexFirst puts a Vertex deployment with a wrong OAuth2 token in the
// first tier and the Mistral API behind it.
const vertexFirst = `
models:
  - name: mistral-medium
    deployments:
      - name: vertex
        provider: vertex
        model: mistral-medium-3
        region: europe-west4
        priority: 0
        api_key: ya29.not-the-right-token
        options:
          project: windrose-e2e
          endpoint: ${EMU_VERTEX_ENDPOINT}
          ca_file: ${EMU_VERTEX_CA_FILE}
      - name: mistral
        provider: mistral
        model: mistral-medium-2508
        region: eu-west
        priority: 1
        base_url: ${EMU_MISTRAL_URL}
        api_key: ${EMU_API_KEY}
`

// A wrong token reaches the Vertex emulator over TLS, is refused with
// UNAUTHENTICATED, and the gateway moves on to the next deployment: the
// client gets the Mistral API's answer after two attempts, stream and not.
func TestVertexWrongTokenFailsOver(t *testing.T) {
	t.Parallel()
	env := Start(t, vertexFirst)
	for _, stream := range []bool{false, true} {
		body := `{"model":"mistral-medium","messages":[{"role":"user","content":"hello"}]}`
		if stream {
			body = `{"model":"mistral-medium","stream":true,"messages":[{"role":"user","content":"hello"}]}`
		}
		resp, err := http.Post(env.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("stream=%v: status %d", stream, resp.StatusCode)
		}
		if dep, n := resp.Header.Get("X-Windrose-Deployment"), resp.Header.Get("X-Windrose-Attempts"); dep != "mistral" || n != "2" {
			t.Errorf("stream=%v: answered by %q after %s attempts, want mistral after 2", stream, dep, n)
		}
	}
	stats := env.Emu("vertex").Stats(t)
	if byStatus, _ := stats["by_status"].(map[string]any); byStatus["401"] != float64(2) {
		t.Errorf("vertex emulator stats %v: want two 401s (the token reached it and was refused)", stats)
	}
}
