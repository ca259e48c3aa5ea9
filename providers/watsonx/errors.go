package watsonx

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// errorBody is watsonx's error envelope (PROVIDERS.md §5.7), both as an HTTP
// error body and as the data of a mid-stream `event: error`:
// {"errors":[{"code","message","more_info"}],"trace","status_code"}.
type errorBody struct {
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
	Trace      string `json:"trace"`
	StatusCode int    `json:"status_code"`
}

// Codes watsonx answers a bad or stale bearer token with: the adapter
// fetches a new token once before it gives up on the deployment.
const (
	codeTokenExpired  = "authentication_token_expired"
	codeTokenNotValid = "authentication_token_not_valid"
)

// parseErrorBody reads the first error of the envelope; any other body
// (a proxy's HTML page) yields empty strings.
func parseErrorBody(body []byte) (code, msg string, status int) {
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil {
		return "", "", 0
	}
	if len(eb.Errors) > 0 {
		code, msg = eb.Errors[0].Code, eb.Errors[0].Message
	}
	return code, msg, eb.StatusCode
}

// classifyError maps a non-2xx watsonx answer to a *gwerr.Error by code
// first and status second:
//
//   - 429 → RateLimited, with Retry-After.
//   - token_quota_reached (any status) → Auth with code insufficient_quota:
//     like spent credits, the deployment is unusable until a human acts.
//   - 401 / 403 (authentication_token_expired, authentication_token_not_valid,
//     authorization_rejected, user_authorization_failed) → Auth.
//   - model_not_supported, or a 404 that speaks of the model →
//     ModelUnavailable: this deployment cannot serve the model.
//   - 400 / 422 invalid input → InvalidRequest; a token-limit message gets
//     code context_length_exceeded.
//   - 5xx → Upstream (503 Overloaded, 504 Timeout), as oaicompat's table.
func classifyError(status int, h http.Header, body []byte, now time.Time, secret string) *gwerr.Error {
	code, raw, _ := parseErrorBody(body)
	msg := oaicompat.Sanitize(raw, secret)
	if msg == "" {
		msg = http.StatusText(status)
	}
	if code != "" {
		msg = code + ": " + msg
	}
	e := &gwerr.Error{Kind: oaicompat.KindForStatus(status), Message: Kind + ": " + msg, Status: status}
	lower := strings.ToLower(raw)
	switch {
	case code == "token_quota_reached":
		e.Kind, e.Code = gwerr.Auth, "insufficient_quota"
	case code == "model_not_supported",
		status == http.StatusNotFound && strings.Contains(lower, "model"):
		e.Kind, e.Code = gwerr.ModelUnavailable, "model_not_found"
	case (status == http.StatusBadRequest || status == http.StatusUnprocessableEntity) && isContextTooLong(lower):
		e.Kind, e.Code = gwerr.InvalidRequest, gwerr.CodeContextLength
	case status == http.StatusUnprocessableEntity:
		e.Kind = gwerr.InvalidRequest
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.RetryAfter = oaicompat.RetryAfter(h, now)
	}
	return e
}

// isContextTooLong recognises a prompt over the model's window. watsonx's
// exact wording is unverified (PROVIDERS.md §5.7); these cover the phrasings
// its runtimes use for "input tokens exceed the maximum sequence length".
func isContextTooLong(lower string) bool {
	return strings.Contains(lower, "maximum sequence length") ||
		strings.Contains(lower, "context length") ||
		strings.Contains(lower, "context window") ||
		strings.Contains(lower, "token") && !strings.Contains(lower, "quota") &&
			(strings.Contains(lower, "exceed") || strings.Contains(lower, "maximum"))
}

// tokenRejected reports whether a 401 says the bearer token itself is stale
// or unknown, which a fresh token may cure.
func tokenRejected(status int, body []byte) bool {
	if status != http.StatusUnauthorized {
		return false
	}
	code, _, _ := parseErrorBody(body)
	return code == codeTokenExpired || code == codeTokenNotValid
}

// classifyStreamError maps the data of a mid-stream `event: error`. Its
// status_code plays the part of the HTTP status; without one the provider
// failed mid-generation (Upstream, status 0 → 500 for the table).
func classifyStreamError(data []byte) *gwerr.Error {
	_, _, status := parseErrorBody(data)
	if status < 400 {
		status = http.StatusInternalServerError
	}
	e := classifyError(status, nil, data, time.Time{}, "")
	if e.Kind == gwerr.InvalidRequest && e.Code == "" {
		// Input was accepted when the stream started; a late 4xx is the
		// provider's failure, and another deployment may well succeed.
		e.Kind = gwerr.Upstream
	}
	return e
}
