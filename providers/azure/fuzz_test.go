package azure

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzClassifyError: any error body and wait header is classified without
// a panic, and the secret never reaches the message.
func FuzzClassifyError(f *testing.F) {
	f.Add(429, `{"error":{"code":"429","message":"Rate limit"}}`, "1500", "6m0s")
	f.Add(400, `{"error":{"code":"content_filter","innererror":{"code":"X","content_filter_result":{"hate":{"filtered":true}}}}}`, "", "")
	f.Add(404, `not json`, "x", "-1")
	f.Add(429, `{}`, "1e300", "Inf")
	f.Fuzz(func(t *testing.T, status int, body, ms, reset string) {
		const secret = "fuzz-secret-value"
		h := http.Header{}
		h.Set("retry-after-ms", ms)
		h.Set("x-ratelimit-reset-tokens", reset)
		e := classifyError(status, h, []byte(body+secret), time.Unix(0, 0), secret)
		if strings.Contains(e.Message, secret) || e.RetryAfter < 0 || e.RetryAfter > time.Hour {
			t.Fatalf("classified %+v", e)
		}
	})
}
