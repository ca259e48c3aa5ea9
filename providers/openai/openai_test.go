package openai

import (
	"encoding/json"
	"flag"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/internal/golden"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The pass-through kind forwards Extra and always asks a stream for usage.
func TestRequestGolden(t *testing.T) {
	req := &llm.ChatRequest{
		Model:    "alias",
		Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}},
		User:     "u1",
		Extra:    map[string]json.RawMessage{"guided_json": json.RawMessage(`{"type":"object"}`), "top_k": json.RawMessage(`5`)},
	}
	for _, stream := range []bool{false, true} {
		name := map[bool]string{false: "chat", true: "stream"}[stream]
		t.Run(name, func(t *testing.T) {
			body := encodeRequest(req, "mistral-medium-2505", stream)
			golden.Check(t, filepath.Join("testdata", "request", name+".json"), golden.Indent(t, body), *update)
		})
	}
}

func TestClassifyError(t *testing.T) {
	type want struct {
		Kind       gwerr.Kind
		Code       string
		RetryAfter time.Duration
	}
	tests := []struct {
		name   string
		status int
		body   string
		want   want
	}{
		// OpenAI's own code passes through.
		{"context code", 400, `{"error":{"message":"too long","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`, want{gwerr.InvalidRequest, "context_length_exceeded", 0}},
		// vLLM says it only in the message.
		{"context message", 400, `{"object":"error","message":"This model's maximum context length is 32768 tokens.","type":"BadRequestError","code":400}`, want{gwerr.InvalidRequest, "context_length_exceeded", 0}},
		{"401", 401, `{"error":{"message":"Incorrect API key","type":"invalid_request_error","code":"invalid_api_key"}}`, want{gwerr.Auth, "invalid_api_key", 0}},
		// An empty account is not throttling.
		{"quota", 429, `{"error":{"message":"quota","type":"insufficient_quota","code":"insufficient_quota"}}`, want{gwerr.Auth, "insufficient_quota", 0}},
		{"429", 429, `{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}`, want{gwerr.RateLimited, "rate_limit_exceeded", 2 * time.Second}},
		{"500", 500, `oops`, want{gwerr.Upstream, "", 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Retry-After": []string{"2"}}
			e := classifyError(tt.status, h, []byte(tt.body), time.Now(), "k")
			if diff := cmp.Diff(tt.want, want{e.Kind, e.Code, e.RetryAfter}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// base_url is required: there is no default OpenAI-compatible server.
func TestNewNeedsBaseURL(t *testing.T) {
	if _, err := New(config.Deployment{Provider: Kind, Model: "m"}, providers.Deps{}); err == nil {
		t.Fatal("no error without base_url")
	}
}
