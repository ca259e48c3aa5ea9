package azure

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

// One row per line of classifyError's table (PROVIDERS.md §3.5).
func TestClassifyError(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	const key = "azure-key-0123456789abcdef"
	type want struct {
		Kind       gwerr.Kind
		Code       string
		RetryAfter time.Duration
		Message    string
	}
	filter := `{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","type":null,"param":"prompt","code":"content_filter","status":400,` +
		`"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":true,"severity":"high"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":true,"severity":"medium"}}}}}`
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   want
	}{
		// The prompt tripped the content filter: the client's input, passed
		// on in OpenAI's shape with the categories, never failed over.
		{"400 content filter", 400, nil, filter, want{Kind: gwerr.InvalidRequest, Code: "content_filter",
			Message: "azure: The response was filtered due to the prompt triggering Azure OpenAI's content management policy. (ResponsibleAIPolicyViolation: hate high, violence medium)"}},
		// Context overflow, Azure OpenAI style code.
		{"400 context code", 400, nil, `{"error":{"code":"context_length_exceeded","message":"This model's maximum context length is 131072 tokens."}}`,
			want{Kind: gwerr.InvalidRequest, Code: gwerr.CodeContextLength, Message: "azure: This model's maximum context length is 131072 tokens."}},
		// Context overflow in Mistral's words, relayed by Azure.
		{"400 context mistral", 400, nil, `{"error":{"code":"Invalid input","message":"Prompt contains 140000 tokens, too large for model with 131072 maximum context length"}}`,
			want{Kind: gwerr.InvalidRequest, Code: gwerr.CodeContextLength, Message: "azure: Prompt contains 140000 tokens, too large for model with 131072 maximum context length"}},
		// The deployment name is unknown on the models route: this
		// deployment's fault.
		{"400 unknown model", 400, nil, `{"error":{"code":"unknown_model","message":"Unknown model: mistral-medium-2505","details":"Unknown model: mistral-medium-2505"}}`,
			want{Kind: gwerr.ModelUnavailable, Code: gwerr.CodeModelUnavailable, Message: "azure: Unknown model: mistral-medium-2505"}},
		// Extra parameters refused: the request's fault.
		{"422 extra", 422, nil, `{"error":{"code":"Invalid input","message":"Extra parameters ['foo'] are not allowed"}}`,
			want{Kind: gwerr.InvalidRequest, Message: "azure: Extra parameters ['foo'] are not allowed"}},
		// Bad key and no access are the deployment's credentials.
		{"401", 401, nil, `{"error":{"code":"401","message":"Access denied due to invalid subscription key"}}`, want{Kind: gwerr.Auth, Message: "azure: Access denied due to invalid subscription key"}},
		{"403", 403, nil, `{"error":{"code":"PermissionDenied","message":"Principal does not have access"}}`, want{Kind: gwerr.Auth, Message: "azure: Principal does not have access"}},
		// Deployment not found (or retired): fail over, never a client 404.
		{"404 deployment", 404, nil, `{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}`,
			want{Kind: gwerr.ModelUnavailable, Code: gwerr.CodeModelUnavailable, Message: "azure: The API deployment for this resource does not exist."}},
		// A bare 404 (a wrong route on this resource) is the same fault.
		{"404 bare", 404, nil, `{"error":{"code":"404","message":"Resource not found"}}`, want{Kind: gwerr.ModelUnavailable, Code: gwerr.CodeModelUnavailable, Message: "azure: Resource not found"}},
		// Throttling: retry-after-ms is the most precise hint and wins.
		{"429 retry-after-ms", 429, map[string]string{"retry-after-ms": "1500", "Retry-After": "2"}, `{"error":{"code":"429","message":"Rate limit is exceeded. Try again in 2 seconds."}}`,
			want{Kind: gwerr.RateLimited, RetryAfter: 1500 * time.Millisecond, Message: "azure: Rate limit is exceeded. Try again in 2 seconds."}},
		// Retry-After in seconds alone.
		{"429 retry-after", 429, map[string]string{"Retry-After": "7"}, `{"error":{"code":"429","message":"Rate limit is exceeded."}}`,
			want{Kind: gwerr.RateLimited, RetryAfter: 7 * time.Second, Message: "azure: Rate limit is exceeded."}},
		// Only the reset headers: the exhausted limit's reset counts.
		{"429 reset requests", 429, map[string]string{"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "4", "x-ratelimit-reset-tokens": "30"},
			`{"error":{"code":"429","message":"Rate limit is exceeded."}}`, want{Kind: gwerr.RateLimited, RetryAfter: 4 * time.Second, Message: "azure: Rate limit is exceeded."}},
		// Tokens exhausted (remaining negative), reset as a duration string.
		{"429 reset tokens", 429, map[string]string{"x-ratelimit-remaining-requests": "12", "x-ratelimit-remaining-tokens": "-250", "x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "6m0s"},
			`{"error":{"code":"429","message":"Rate limit is exceeded."}}`, want{Kind: gwerr.RateLimited, RetryAfter: 6 * time.Minute, Message: "azure: Rate limit is exceeded."}},
		// Neither says it is exhausted: wait for the longer reset.
		{"429 reset unknown", 429, map[string]string{"x-ratelimit-reset-requests": "250ms", "x-ratelimit-reset-tokens": "2"},
			`{"error":{"code":"429","message":"Rate limit is exceeded."}}`, want{Kind: gwerr.RateLimited, RetryAfter: 2 * time.Second, Message: "azure: Rate limit is exceeded."}},
		// An absurd hint is capped at an hour, never overflowed.
		{"429 huge hint", 429, map[string]string{"retry-after-ms": "1e300"}, `{"error":{"code":"429","message":"Rate limit is exceeded."}}`,
			want{Kind: gwerr.RateLimited, RetryAfter: time.Hour, Message: "azure: Rate limit is exceeded."}},
		// Timeouts.
		{"408", 408, nil, `{"error":{"code":"Timeout","message":"The operation was timeout."}}`, want{Kind: gwerr.Timeout, Message: "azure: The operation was timeout."}},
		{"504", 504, nil, ``, want{Kind: gwerr.Timeout, Message: "azure: Gateway Timeout"}},
		// Server failures: retry elsewhere.
		{"500", 500, nil, `{"error":{"code":"InternalServerError","message":"The server had an error"}}`, want{Kind: gwerr.Upstream, Message: "azure: The server had an error"}},
		{"502 html", 502, nil, `<html>bad gateway</html>`, want{Kind: gwerr.Upstream, Message: "azure: Bad Gateway"}},
		// Capacity, with its wait.
		{"503", 503, map[string]string{"retry-after-ms": "250"}, `{"error":{"code":"ServiceUnavailable","message":"The service is temporarily unable to process your request."}}`,
			want{Kind: gwerr.Overloaded, RetryAfter: 250 * time.Millisecond, Message: "azure: The service is temporarily unable to process your request."}},
		// A numeric code and an echoed key: the key never leaks.
		{"key echoed", 401, nil, `{"error":{"code":401,"message":"bad key azure-key-0123456789abcdef"}}`, want{Kind: gwerr.Auth, Message: "azure: bad key [redacted]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			e := classifyError(tt.status, h, []byte(tt.body), now, key)
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
