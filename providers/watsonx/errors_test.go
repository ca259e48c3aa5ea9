package watsonx

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

func envelope(status int, code, msg string) string {
	return `{"errors":[{"code":"` + code + `","message":"` + msg + `","more_info":"https://cloud.ibm.com/apidocs/watsonx-ai"}],"trace":"23e1","status_code":` + itoa(status) + `}`
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestClassifyError(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	const key = "ibm-api-key-secret"
	type want struct {
		Kind       gwerr.Kind
		Code       string
		RetryAfter time.Duration
	}
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   want
		reauth bool // a fresh token may cure it
	}{
		// An expired token: Auth, but worth one refetch.
		{"401 expired", 401, nil, envelope(401, "authentication_token_expired", "Failed to authenticate the request due to an expired token"), want{Kind: gwerr.Auth}, true},
		// A token watsonx does not know: same.
		{"401 not valid", 401, nil, envelope(401, "authentication_token_not_valid", "Failed to authenticate the httpRequest due to invalid token"), want{Kind: gwerr.Auth}, true},
		// No access to the project: Auth, and a new token will not help.
		{"403 rejected", 403, nil, envelope(403, "authorization_rejected", "Authorization rejected"), want{Kind: gwerr.Auth}, false},
		{"403 user", 403, nil, envelope(403, "user_authorization_failed", "User authorization failed"), want{Kind: gwerr.Auth}, false},
		// The plan's token quota is spent: the deployment, until a human acts.
		{"quota", 403, nil, envelope(403, "token_quota_reached", "Token quota reached"), want{Kind: gwerr.Auth, Code: "insufficient_quota"}, false},
		// Throttling with a wait hint.
		{"429", 429, map[string]string{"Retry-After": "7"}, envelope(429, "too_many_requests", "Rate limit"), want{Kind: gwerr.RateLimited, RetryAfter: 7 * time.Second}, false},
		// The model is not served here: a deployment fault, fail over.
		{"404 model", 404, nil, envelope(404, "model_not_supported", "Model 'mistralai/mistral-medium-2505' is not supported"), want{Kind: gwerr.ModelUnavailable, Code: "model_not_found"}, false},
		{"400 model", 400, nil, envelope(400, "model_not_supported", "Model 'x' has been withdrawn"), want{Kind: gwerr.ModelUnavailable, Code: "model_not_found"}, false},
		{"404 model words", 404, nil, envelope(404, "not_found", "Model not found"), want{Kind: gwerr.ModelUnavailable, Code: "model_not_found"}, false},
		// Another 404 (a wrong URL or project): another deployment may work.
		{"404 other", 404, nil, `<html>nope</html>`, want{Kind: gwerr.Upstream}, false},
		// A prompt over the window: the client's fault, with OpenAI's code.
		{"context", 400, nil, envelope(400, "invalid_input_argument", "The number of input tokens (140000) exceeds the maximum sequence length of the model (131072 tokens)."),
			want{Kind: gwerr.InvalidRequest, Code: gwerr.CodeContextLength}, false},
		// Other invalid input: stop, return it.
		{"400 invalid", 400, nil, envelope(400, "json_validation_error", "Json field validation failed"), want{Kind: gwerr.InvalidRequest}, false},
		{"422", 422, nil, envelope(422, "invalid_request_entity", "Invalid request entity"), want{Kind: gwerr.InvalidRequest}, false},
		// Server side: retry elsewhere.
		{"500", 500, nil, envelope(500, "internal_server_error", "Internal"), want{Kind: gwerr.Upstream}, false},
		{"502", 502, nil, ``, want{Kind: gwerr.Upstream}, false},
		{"503", 503, map[string]string{"Retry-After": "2"}, envelope(503, "service_unavailable", "Busy"), want{Kind: gwerr.Overloaded, RetryAfter: 2 * time.Second}, false},
		{"504", 504, nil, ``, want{Kind: gwerr.Timeout}, false},
		{"520", 520, nil, ``, want{Kind: gwerr.Upstream}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			e := classifyError(tt.status, h, []byte(tt.body), now, key)
			if diff := cmp.Diff(tt.want, want{Kind: e.Kind, Code: e.Code, RetryAfter: e.RetryAfter}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if e.Status != tt.status || !strings.HasPrefix(e.Message, "watsonx: ") {
				t.Errorf("status %d message %q", e.Status, e.Message)
			}
			if got := tokenRejected(tt.status, []byte(tt.body)); got != tt.reauth {
				t.Errorf("tokenRejected = %v, want %v", got, tt.reauth)
			}
		})
	}
}

// A message that echoes the API key never passes it on.
func TestClassifyErrorRedacts(t *testing.T) {
	const key = "ibm-api-key-secret"
	e := classifyError(400, nil, []byte(envelope(400, "invalid_input_argument", "bad key ibm-api-key-secret")), time.Now(), key)
	if strings.Contains(e.Error(), key) {
		t.Errorf("key leaked: %v", e)
	}
}

// A mid-stream `event: error` is classified by its status_code; a late 4xx
// is the provider's failure, not the client's.
func TestClassifyStreamError(t *testing.T) {
	tests := []struct {
		name string
		data string
		kind gwerr.Kind
	}{
		{"500", envelope(500, "internal_server_error", "Generation failed"), gwerr.Upstream},                          // model server died
		{"429", envelope(429, "too_many_requests", "Rate limit"), gwerr.RateLimited},                                  // throttled mid-way
		{"400 late", envelope(400, "invalid_input_argument", "bad"), gwerr.Upstream},                                  // input was accepted already
		{"no status", `{"errors":[{"code":"x","message":"y"}]}`, gwerr.Upstream},                                      // envelope without status_code
		{"not json", `oops`, gwerr.Upstream},                                                                          // garbage
		{"context", envelope(400, "invalid_input_argument", "input tokens exceed the maximum"), gwerr.InvalidRequest}, // still the client's window
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classifyStreamError([]byte(tt.data)).Kind; got != tt.kind {
				t.Errorf("kind = %v, want %v", got, tt.kind)
			}
		})
	}
}
