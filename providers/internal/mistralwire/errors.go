package mistralwire

import (
	"net/http"
	"strings"
	"time"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// ClassifyError maps a non-2xx Mistral-format response (from La Plateforme,
// or a Mistral container behind another cloud, named by provider) to a *gwerr.Error
// (PROVIDERS.md §1.5). secret is redacted from any echoed message.
//
// A 429 whose message speaks of capacity ("Service tier capacity
// exceeded") is Overloaded, not RateLimited: it is the provider's shortage,
// not our quota, and another deployment is the right answer.
func ClassifyError(provider string, status int, h http.Header, body []byte, now time.Time, secret string) *gwerr.Error {
	eb := oaicompat.ParseErrorBody(body)
	msg := oaicompat.Sanitize(eb.Message, secret)
	if msg == "" {
		msg = http.StatusText(status)
	}
	e := &gwerr.Error{
		Kind:    oaicompat.KindForStatus(status),
		Message: provider + ": " + msg,
		Status:  status,
		Param:   eb.Param,
	}
	lower := strings.ToLower(eb.Message)
	switch {
	case status == http.StatusTooManyRequests && strings.Contains(lower, "capacity"):
		e.Kind = gwerr.Overloaded
	case isModelUnavailable(status, eb.Type, lower):
		// Retired (404), unknown (400 "Invalid model") or not in this
		// account's tier (403 tier_not_allowed): the deployment cannot
		// serve the model, whatever the client sent (PROVIDERS.md §0).
		e.Kind, e.Code = gwerr.ModelUnavailable, "model_not_found"
	case status == http.StatusBadRequest && isContextTooLong(lower):
		e.Code = "context_length_exceeded"
	case status == http.StatusBadRequest && eb.Type == "invalid_function_call":
		e.Code = "invalid_function_call"
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.RetryAfter = oaicompat.RetryAfter(h, now, "ratelimitbysize-reset")
	}
	return e
}

// isModelUnavailable recognises Mistral's answers for a model this endpoint
// does not serve. The chat URL is fixed, so a 404 can only mean the model.
func isModelUnavailable(status int, typ, lower string) bool {
	switch status {
	case http.StatusNotFound:
		return true
	case http.StatusBadRequest:
		return typ == "invalid_model" || strings.HasPrefix(lower, "invalid model")
	case http.StatusForbidden:
		return typ == "tier_not_allowed" || strings.Contains(lower, "not available in your subscription")
	}
	return false
}

// isContextTooLong recognises Mistral's context overflow message: "Prompt
// contains 40960 tokens … too large for model with 32768 maximum context
// length".
func isContextTooLong(lower string) bool {
	return strings.Contains(lower, "maximum context length") ||
		strings.Contains(lower, "context length") && strings.Contains(lower, "too large")
}
