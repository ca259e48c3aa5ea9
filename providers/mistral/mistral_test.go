package mistral

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/internal/golden"
)

// fakeMistral records the request and answers with a canned body.
type fakeMistral struct {
	got    *http.Request
	body   []byte
	status int
	answer string
	ctype  string
}

func (f *fakeMistral) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.got = r
	f.body, _ = io.ReadAll(r.Body)
	if f.ctype != "" {
		w.Header().Set("Content-Type", f.ctype)
	}
	w.WriteHeader(f.status)
	_, _ = io.WriteString(w, f.answer)
}

func newAdapter(t *testing.T, url string) providers.Provider {
	t.Helper()
	p, err := New(config.Deployment{Name: "m", Provider: Kind, Model: "mistral-medium-2508", BaseURL: url, APIKey: "k-123"}, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The wire contract: path, auth, content negotiation and the model id.
func TestChatHTTP(t *testing.T) {
	fake := &fakeMistral{status: 200, answer: `{"id":"a","created":1,"model":"mistral-medium-2508","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	resp, err := newAdapter(t, srv.URL+"/").Chat(context.Background(), &llm.ChatRequest{Model: "alias", Messages: []llm.Message{{Role: llm.RoleUser, Content: "hello"}}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != "hi" || resp.Usage.TotalTokens != 2 {
		t.Errorf("response = %+v", resp)
	}
	if fake.got.URL.Path != "/v1/chat/completions" {
		t.Errorf("path = %q", fake.got.URL.Path)
	}
	if got := fake.got.Header.Get("Authorization"); got != "Bearer k-123" {
		t.Errorf("Authorization = %q", got)
	}
	var body map[string]any
	if err := json.Unmarshal(fake.body, &body); err != nil || body["model"] != "mistral-medium-2508" || body["stream"] != false {
		t.Errorf("body = %s (%v)", fake.body, err)
	}
}

// A streamed request asks for SSE and reads the transcript to io.EOF.
func TestChatStreamHTTP(t *testing.T) {
	sse, err := os.ReadFile(filepath.Join("..", "internal", "mistralwire", "testdata", "stream", "text.sse"))
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeMistral{status: 200, answer: string(sse), ctype: "text/event-stream"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	s, err := newAdapter(t, srv.URL).ChatStream(context.Background(), &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tr := golden.Read(s, 100)
	if !errors.Is(tr.Err(), io.EOF) || tr.Text != "Cizable" {
		t.Errorf("end = %v, text = %q", tr.Err(), tr.Text)
	}
	if got := fake.got.Header.Get("Accept"); got != "text/event-stream" {
		t.Errorf("Accept = %q", got)
	}
	if !strings.Contains(string(fake.body), `"stream":true`) {
		t.Errorf("body lacks stream:true: %s", fake.body)
	}
}

// Errors before the stream come back classified, with the upstream status.
func TestChatStreamHTTPError(t *testing.T) {
	fake := &fakeMistral{status: 429, answer: `{"message":"Requests rate limit exceeded"}`}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	_, err := newAdapter(t, srv.URL).ChatStream(context.Background(), &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}}})
	if e := gwerr.As(err); e.Kind != gwerr.RateLimited || e.Status != 429 {
		t.Errorf("err = %v", err)
	}
}

// A canceled context is Canceled, never the provider's fault.
func TestChatCanceled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newAdapter(t, srv.URL).Chat(ctx, &llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}}})
	if gwerr.KindOf(err) != gwerr.Canceled {
		t.Errorf("err = %v, want Canceled", err)
	}
}

func TestNewValidates(t *testing.T) {
	var opts yaml.Node
	if err := yaml.Unmarshal([]byte("foo: 1"), &opts); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		d    config.Deployment
	}{
		// Without a model id there is nothing to send.
		{"no model", config.Deployment{Provider: Kind}},
		// A relative base URL would send keys who knows where.
		{"bad base", config.Deployment{Provider: Kind, Model: "m", BaseURL: "api.mistral.ai"}},
		// Mistral has no options; a typo must not pass silently.
		{"options", config.Deployment{Provider: Kind, Model: "m", Options: *opts.Content[0]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.d, providers.Deps{}); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
