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
	if status == http.StatusTooManyRequests && (eb.Code == "insufficient_quota" || eb.Type == "insufficient_quota") {
		e.Kind = gwerr.Auth
	}
	if e.Kind == gwerr.RateLimited || e.Kind == gwerr.Overloaded {
		e.RetryAfter = oaicompat.RetryAfter(h, now)
	}
	return e
}
