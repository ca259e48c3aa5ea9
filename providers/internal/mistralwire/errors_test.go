package mistralwire

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

func TestClassifyError(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const key = "sk-mistral-secret"
	type want struct {
		Kind       gwerr.Kind
		Code       string
		RetryAfter time.Duration
		Message    string
	}
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   want
	}{
		// The gateway's auth rejection.
		{"401", 401, nil, `{"message":"Unauthorized","request_id":"abc"}`, want{Kind: gwerr.Auth, Message: "mistral: Unauthorized"}},
		// The older auth body.
		{"401 detail", 401, nil, `{"detail":"Unauthorized"}`, want{Kind: gwerr.Auth, Message: "mistral: Unauthorized"}},
		// 403 is a key without access to the model: the deployment, not the request.
		{"403", 403, nil, `{"message":"Forbidden"}`, want{Kind: gwerr.Auth, Message: "mistral: Forbidden"}},
		// Rate limit with Retry-After in seconds.
		{"429 retry-after", 429, map[string]string{"Retry-After": "3"}, `{"object":"error","message":"Rate limit exceeded","type":"rate_limited","param":null,"code":"1300","raw_status_code":429}`,
			want{Kind: gwerr.RateLimited, RetryAfter: 3 * time.Second, Message: "mistral: Rate limit exceeded"}},
		// Rate limit with an HTTP-date Retry-After.
		{"429 date", 429, map[string]string{"Retry-After": now.Add(2 * time.Minute).Format(http.TimeFormat)}, `{"message":"Requests rate limit exceeded"}`,
			want{Kind: gwerr.RateLimited, RetryAfter: 2 * time.Minute, Message: "mistral: Requests rate limit exceeded"}},
		// Mistral's own reset header when there is no Retry-After.
		{"429 ratelimitbysize-reset", 429, map[string]string{"ratelimitbysize-reset": "9"}, `{"message":"Requests rate limit exceeded"}`,
			want{Kind: gwerr.RateLimited, RetryAfter: 9 * time.Second, Message: "mistral: Requests rate limit exceeded"}},
		// A capacity 429 is the provider's shortage: Overloaded.
		{"429 capacity", 429, nil, `{"object":"error","message":"Service tier capacity exceeded for this model.","type":"invalid_request_error","param":null,"code":null}`,
			want{Kind: gwerr.Overloaded, Message: "mistral: Service tier capacity exceeded for this model."}},
		// Context overflow gets OpenAI's code so clients recognise it.
		{"400 context", 400, nil, `{"object":"error","message":"Prompt contains 40960 tokens and 0 draft tokens, too large for model with 32768 maximum context length","type":"invalid_request_message_error","param":null,"code":null}`,
			want{Kind: gwerr.InvalidRequest, Code: "context_length_exceeded", Message: "mistral: Prompt contains 40960 tokens and 0 draft tokens, too large for model with 32768 maximum context length"}},
		// An unknown model id: the deployment's fault, fail over.
		{"400 model", 400, nil, `{"object":"error","message":"Invalid model: no-such-model","type":"invalid_model","param":null,"code":"1500"}`,
			want{Kind: gwerr.ModelUnavailable, Code: "model_not_found", Message: "mistral: Invalid model: no-such-model"}},
		// A retired id answers 404 (Mistral's model-lifecycle page).
		{"404 retired", 404, nil, `{"object":"error","message":"Model mistral-medium-2508 has been retired","type":"invalid_model","param":null,"code":"1500","raw_status_code":404}`,
			want{Kind: gwerr.ModelUnavailable, Code: "model_not_found", Message: "mistral: Model mistral-medium-2508 has been retired"}},
		// A model outside the account's tier is unavailable at this deployment.
		{"403 tier", 403, nil, `{"object":"error","message":"This model is not available in your subscription tier","type":"tier_not_allowed","param":null,"code":"1910","raw_status_code":403}`,
			want{Kind: gwerr.ModelUnavailable, Code: "model_not_found", Message: "mistral: This model is not available in your subscription tier"}},
		// The tool-call id rejection (should never happen after rewriting).
		{"400 tool id", 400, nil, `{"object":"error","message":"Tool call id was call_0fypS1hVX but must be a-z, A-Z, 0-9, with a length of 9.","type":"invalid_function_call","param":null,"code":"3280","raw_status_code":400}`,
			want{Kind: gwerr.InvalidRequest, Code: "invalid_function_call", Message: "mistral: Tool call id was call_0fypS1hVX but must be a-z, A-Z, 0-9, with a length of 9."}},
		// pydantic 422: the detail rendered as loc: msg.
		{"422", 422, nil, `{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","reasoning_effort"],"msg":"Extra inputs are not permitted","input":"high"}]},"type":"invalid_request_message_error","param":null,"code":null}`,
			want{Kind: gwerr.InvalidRequest, Message: "mistral: body.reasoning_effort: Extra inputs are not permitted"}},
		// Server errors: Upstream, 503 Overloaded (with its Retry-After).
		{"500", 500, nil, `{"message":"Internal"}`, want{Kind: gwerr.Upstream, Message: "mistral: Internal"}},
		{"502 html", 502, nil, `<html>bad gateway</html>`, want{Kind: gwerr.Upstream, Message: "mistral: Bad Gateway"}},
		{"503", 503, map[string]string{"Retry-After": "1"}, ``, want{Kind: gwerr.Overloaded, RetryAfter: time.Second, Message: "mistral: Service Unavailable"}},
		{"504", 504, nil, ``, want{Kind: gwerr.Timeout, Message: "mistral: Gateway Timeout"}},
		// A provider echoing the key must not leak it.
		{"key echoed", 401, nil, `{"message":"bad key sk-mistral-secret"}`, want{Kind: gwerr.Auth, Message: "mistral: bad key [redacted]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			e := ClassifyError("mistral", tt.status, h, []byte(tt.body), now, key)
			got := want{Kind: e.Kind, Code: e.Code, RetryAfter: e.RetryAfter, Message: e.Message}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if e.Status != tt.status {
				t.Errorf("Status = %d, want %d", e.Status, tt.status)
			}
			if strings.Contains(e.Error(), key) {
				t.Errorf("key leaked: %v", e)
			}
		})
	}
}
