package openrouter

import (
	"net/http"
	"strings"
	"time"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// kindForStatus is OpenRouter's status table (PROVIDERS.md §6.4). It also
// classifies numeric codes of in-band stream errors, which use the same
// numbers.
//
// 402 (insufficient credits) is Auth: like a revoked key it makes the
// deployment unusable until a human acts, and Auth is exactly "mark this
// deployment, move on" for the executor. Overloaded would instead invite
// retrying the same empty account after a backoff.
// 403 is a moderation or guardrail flag on the input: the request's own
// fault, so InvalidRequest with code content_filter.
func kindForStatus(status int) (gwerr.Kind, string) {
	switch status {
	case http.StatusPaymentRequired:
		return gwerr.Auth, "insufficient_quota"
	case http.StatusForbidden:
		return gwerr.InvalidRequest, "content_filter"
	case http.StatusBadGateway:
		return gwerr.Upstream, ""
	}
	return oaicompat.KindForStatus(status), ""
}

// classifyError maps a non-2xx OpenRouter response to a *gwerr.Error. The
// body is {"error":{"code":<status>,"message":…,"metadata":{…}}}; metadata
// (which may quote flagged input) is never passed on.
func classifyError(status int, h http.Header, body []byte, now time.Time, secret string) *gwerr.Error {
	eb := oaicompat.ParseErrorBody(body)
	msg := oaicompat.Sanitize(eb.Message, secret)
	if msg == "" {
		msg = http.StatusText(status)
	}
	kind, code := kindForStatus(status)
	e := &gwerr.Error{Kind: kind, Code: code, Message: "openrouter: " + msg, Status: status}
	lower := strings.ToLower(eb.Message)
	switch {
	case status == http.StatusBadRequest && strings.Contains(lower, "context length"):
		e.Code = "context_length_exceeded"
	case status == http.StatusNotFound,
		status == http.StatusBadRequest && strings.Contains(lower, "not a valid model id"):
		// A delisted slug ("No endpoints found for …") or one OpenRouter
		// never had: this deployment cannot serve it (PROVIDERS.md §0).
		e.Kind, e.Code = gwerr.ModelUnavailable, "model_not_found"
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.RetryAfter = oaicompat.RetryAfter(h, now)
	}
	return e
}

// classifyInBand maps a mid-stream error chunk (§6.3). error.code is a
// number (read as a status) or a string such as "server_error".
func classifyInBand(ib *oaicompat.InBandError) *gwerr.Error {
	e := oaicompat.ClassifyInBand(ib)
	if ib.Status >= 400 {
		e.Kind, e.Code = kindForStatus(ib.Status)
	}
	e.Message = "openrouter: " + e.Message
	return e
}
