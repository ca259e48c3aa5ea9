package bedrock

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/smithy-go/eventstream"
	"go.yaml.in/yaml/v3"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/providers"
)

var update = flag.Bool("update", false, "rewrite golden files")

func ptr[T any](v T) *T { return &v }

// canned is a fake Bedrock endpoint: it records each request and answers
// with a fixed status, headers and body.
type canned struct {
	mu     sync.Mutex
	status int
	header http.Header
	body   []byte
	paths  []string
	bodies [][]byte
	auth   []string
}

func (c *canned) RoundTrip(r *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.paths = append(c.paths, r.URL.EscapedPath())
	c.bodies = append(c.bodies, b)
	c.auth = append(c.auth, r.Header.Get("Authorization"))
	c.mu.Unlock()
	h := c.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	status := c.status
	if status == 0 {
		status = 200
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader(c.body)), Request: r}, nil
}

const okBody = `{"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"metrics":{"latencyMs":1}}`

// testAdapter builds an adapter with static keys whose requests go to c.
func testAdapter(t testing.TB, c *canned, model string, opts string) *Adapter {
	t.Helper()
	if opts == "" {
		opts = "access_key_id: AKIDTEST\nsecret_access_key: test-secret"
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(opts), &doc); err != nil {
		t.Fatal(err)
	}
	p, err := New(config.Deployment{Name: "b", Provider: Kind, Model: model, Region: "eu-west-1",
		BaseURL: "https://bedrock.test", Options: *doc.Content[0]}, providers.Deps{HTTPClient: &http.Client{Transport: c}})
	if err != nil {
		t.Fatal(err)
	}
	return p.(*Adapter)
}

// frameLine is one event-stream message of a stream fixture (JSON lines):
// an event, or an exception with its type.
type frameLine struct {
	Event     string          `json:"event,omitempty"`
	Exception string          `json:"exception,omitempty"`
	Payload   json.RawMessage `json:"payload"`
}

// encodeFrames renders fixture lines as a binary event stream.
func encodeFrames(t testing.TB, lines []frameLine) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := eventstream.NewEncoder()
	for _, l := range lines {
		var h eventstream.Headers
		if l.Exception != "" {
			h.Set(":message-type", eventstream.StringValue("exception"))
			h.Set(":exception-type", eventstream.StringValue(l.Exception))
		} else {
			h.Set(":message-type", eventstream.StringValue("event"))
			h.Set(":event-type", eventstream.StringValue(l.Event))
		}
		h.Set(":content-type", eventstream.StringValue("application/json"))
		if err := enc.Encode(&buf, eventstream.Message{Headers: h, Payload: l.Payload}); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}
