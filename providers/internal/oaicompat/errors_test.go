package oaicompat

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

func TestParseErrorBody(t *testing.T) {
	tests := []struct {
		name string
		body string
		want ErrorBody
	}{
		// Mistral's flat envelope with a string code.
		{"mistral flat", `{"object":"error","message":"Invalid model: no-such-model","type":"invalid_model","param":null,"code":"1500"}`,
			ErrorBody{Message: "Invalid model: no-such-model", Type: "invalid_model", Code: "1500"}},
		// Mistral's 422: pydantic details rendered loc: msg.
		{"mistral 422", `{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","reasoning_effort"],"msg":"Extra inputs are not permitted","input":"high"}]},"type":"invalid_request_message_error","param":null,"code":null}`,
			ErrorBody{Message: "body.reasoning_effort: Extra inputs are not permitted", Type: "invalid_request_message_error", Details: []string{"body.reasoning_effort: Extra inputs are not permitted"}}},
		// OpenRouter: nested error with a numeric code.
		{"openrouter", `{"error":{"code":402,"message":"Insufficient credits","metadata":{}}}`,
			ErrorBody{Message: "Insufficient credits", CodeNum: 402}},
		// OpenAI's envelope with param and string code.
		{"openai", `{"error":{"message":"too long","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`,
			ErrorBody{Message: "too long", Type: "invalid_request_error", Param: "messages", Code: "context_length_exceeded"}},
		// Mistral's older auth body.
		{"detail string", `{"detail":"Unauthorized"}`, ErrorBody{Message: "Unauthorized"}},
		// FastAPI's list form, with a numeric loc element.
		{"detail list", `{"detail":[{"loc":["body","messages",0],"msg":"bad"}]}`,
			ErrorBody{Message: "body.messages.0: bad", Details: []string{"body.messages.0: bad"}}},
		// A proxy's HTML page: nothing to extract, no failure.
		{"html", `<html>502 Bad Gateway</html>`, ErrorBody{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ParseErrorBody([]byte(tt.body))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		// Delta seconds, the common form.
		{"seconds", map[string]string{"Retry-After": "7"}, 7 * time.Second},
		// An HTTP date is measured from the injected clock.
		{"date", map[string]string{"Retry-After": now.Add(30 * time.Second).Format(http.TimeFormat)}, 30 * time.Second},
		// A date in the past means "now", not a negative wait.
		{"past date", map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0},
		// Mistral's ratelimitbysize-reset is used when Retry-After is absent.
		{"fallback", map[string]string{"Ratelimitbysize-Reset": "12"}, 12 * time.Second},
		// Garbage is ignored rather than trusted.
		{"garbage", map[string]string{"Retry-After": "soon"}, 0},
		// A huge value is capped.
		{"capped", map[string]string{"Retry-After": "999999"}, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			if got := RetryAfter(h, now, "ratelimitbysize-reset"); got != tt.want {
				t.Errorf("RetryAfter = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	// A provider echoing our key must never pass it on.
	if got := Sanitize("bad key sk-secret-123 given", "sk-secret-123"); strings.Contains(got, "sk-secret") {
		t.Errorf("key leaked: %q", got)
	}
	// Control characters could forge log lines.
	if got := Sanitize("a\nb\x00c", ""); got != "a b c" {
		t.Errorf("got %q", got)
	}
	// Long messages are capped on a rune boundary.
	got := Sanitize(strings.Repeat("é", 600), "")
	if len(got) > maxMessage+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("len %d, suffix %q", len(got), got[len(got)-3:])
	}
}

func TestClassifyInBand(t *testing.T) {
	tests := []struct {
		name string
		in   InBandError
		want gwerr.Kind
	}{
		// OpenRouter's documented example.
		{"server_error", InBandError{Code: "server_error", Message: "Provider disconnected"}, gwerr.Upstream},
		// A numeric code is read as a status.
		{"429", InBandError{Status: 429}, gwerr.RateLimited},
		{"503", InBandError{Status: 503}, gwerr.Overloaded},
		{"502", InBandError{Status: 502}, gwerr.Upstream},
		// A string rate-limit code.
		{"rate_limit_exceeded", InBandError{Code: "rate_limit_exceeded"}, gwerr.RateLimited},
		// No code at all (Mistral's finish_reason "error").
		{"none", InBandError{}, gwerr.Upstream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if got := ClassifyInBand(&in).Kind; got != tt.want {
				t.Errorf("kind = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTransportErrorClassification(t *testing.T) {
	// A network error without context trouble is the upstream's failure.
	err := TransportError(t.Context(), http.ErrHandlerTimeout, "p")
	if err.Kind != gwerr.Upstream {
		t.Errorf("kind = %v, want upstream", err.Kind)
	}
}
