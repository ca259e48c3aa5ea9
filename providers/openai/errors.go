package openai

import (
	"net/http"
	"strings"
	"time"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// classifyError maps a non-2xx answer in OpenAI's envelope
// ({"error":{"message","type","param","code"}}) to a *gwerr.Error. The
// status decides the Kind; OpenAI's string code and param pass through so a
// client sees e.g. context_length_exceeded. A 429 with code or type
// insufficient_quota is an empty account, not throttling: Auth, so the
// executor moves on instead of waiting.
func classifyError(status int, h http.Header, body []byte, now time.Time, secret string) *gwerr.Error {
	eb := oaicompat.ParseErrorBody(body)
	msg := oaicompat.Sanitize(eb.Message, secret)
	if msg == "" {
		msg = http.StatusText(status)
	}
	e := &gwerr.Error{
		Kind:    oaicompat.KindForStatus(status),
		Message: msg,
		Param:   eb.Param,
		Code:    eb.Code,
		Status:  status,
	}
	if status == http.StatusBadRequest && e.Code == "" && strings.Contains(strings.ToLower(eb.Message), "maximum context length") {
		// vLLM and OpenRouter-style servers say so only in the message.
		e.Code = "context_length_exceeded"
	}
	if isModelUnavailable(status, eb.Code, strings.ToLower(eb.Message)) {
		e.Kind = gwerr.ModelUnavailable
	}
	if status == http.StatusTooManyRequests && (eb.Code == "insufficient_quota" || eb.Type == "insufficient_quota") {
		e.Kind = gwerr.Auth
	}
	if e.Kind == gwerr.RateLimited || e.Kind == gwerr.Overloaded {
		e.RetryAfter = oaicompat.RetryAfter(h, now)
	}
	return e
}

// isModelUnavailable recognises an endpoint that does not serve the model:
// OpenAI's 404 model_not_found, OpenRouter's 404 for a delisted slug and
// its 400 "is not a valid model ID", vLLM's 404 "model … does not exist".
// It is the deployment's fault: another deployment may serve the model.
func isModelUnavailable(status int, code, lower string) bool {
	switch {
	case status == http.StatusNotFound, code == "model_not_found":
		return true
	case status == http.StatusBadRequest:
		return strings.Contains(lower, "not a valid model id") || strings.Contains(lower, "does not exist")
	}
	return false
}
