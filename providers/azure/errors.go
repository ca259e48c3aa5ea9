package azure

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// CodeContentFilter is OpenAI's and Azure's code for a content-safety block.
const CodeContentFilter = "content_filter"

// classifyError maps a non-2xx Azure answer to a *gwerr.Error
// (PROVIDERS.md §3.5). The body is {"error":{"code","message",…}}; code
// is a string ("DeploymentNotFound", "content_filter", "429") or a number.
//
//	400 content_filter        InvalidRequest, code content_filter (the client's input; no failover)
//	400 context overflow      InvalidRequest, code context_length_exceeded
//	400 unknown_model         ModelUnavailable (the deployment name is wrong here)
//	401, 403                  Auth
//	404 (DeploymentNotFound)  ModelUnavailable: this deployment cannot serve it, fail over
//	408, 504                  Timeout
//	429                       RateLimited, wait from retry-after-ms, retry-after, x-ratelimit-reset-*
//	503                       Overloaded, same wait headers
//	other 4xx                 InvalidRequest; other 5xx Upstream
func classifyError(status int, h http.Header, body []byte, now time.Time, secret string) *gwerr.Error {
	eb := oaicompat.ParseErrorBody(body)
	msg := oaicompat.Sanitize(eb.Message, secret)
	if msg == "" {
		msg = http.StatusText(status)
	}
	code := eb.Code
	e := &gwerr.Error{Kind: oaicompat.KindForStatus(status), Message: "azure: " + msg, Status: status, Param: eb.Param}
	lower := strings.ToLower(eb.Message)
	switch {
	case status == http.StatusNotFound:
		e.Kind, e.Code = gwerr.ModelUnavailable, gwerr.CodeModelUnavailable
	case strings.EqualFold(code, "unknown_model") || strings.EqualFold(code, "DeploymentNotFound") ||
		strings.EqualFold(code, "model_not_found"):
		e.Kind, e.Code = gwerr.ModelUnavailable, gwerr.CodeModelUnavailable
	case strings.EqualFold(code, CodeContentFilter):
		e.Kind, e.Code = gwerr.InvalidRequest, CodeContentFilter
		if detail := filterDetail(body); detail != "" {
			e.Message += " (" + detail + ")"
		}
	case code == gwerr.CodeContextLength || strings.Contains(lower, "maximum context length") ||
		strings.Contains(lower, "context length") && strings.Contains(lower, "too large"):
		e.Kind, e.Code = gwerr.InvalidRequest, gwerr.CodeContextLength
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.RetryAfter = retryAfter(h, now)
	}
	return e
}

// retryAfter reads Azure's wait hints, most precise first: retry-after-ms
// (milliseconds), Retry-After (seconds or an HTTP date), then the reset of
// the exhausted limit from x-ratelimit-reset-requests / -tokens (or the
// longer of the two when neither says it is exhausted).
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("retry-after-ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return capped(ms / 1000)
		}
	}
	if d := oaicompat.RetryAfter(h, now); d > 0 {
		return d
	}
	req, reqOK := resetIn(h.Get("x-ratelimit-reset-requests"))
	tok, tokOK := resetIn(h.Get("x-ratelimit-reset-tokens"))
	switch {
	case reqOK && exhausted(h.Get("x-ratelimit-remaining-requests")):
		return req
	case tokOK && exhausted(h.Get("x-ratelimit-remaining-tokens")):
		return tok
	}
	return max(req, tok)
}

// resetIn parses a reset header: seconds ("2", "0.5") or a Go-style
// duration as OpenAI writes it ("1s", "6m0s", "250ms").
func resetIn(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 {
		return capped(f), true
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return min(d, time.Hour), true
	}
	return 0, false
}

// capped converts seconds to a wait of at most an hour (a longer hint is
// a bug upstream), without overflowing on huge or infinite values.
func capped(secs float64) time.Duration {
	if secs >= time.Hour.Seconds() {
		return time.Hour
	}
	return time.Duration(secs * float64(time.Second))
}

// exhausted reports whether a remaining-count header says the limit is
// used up (Azure's remaining tokens can go negative).
func exhausted(v string) bool {
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	return err == nil && n <= 0
}

// filterDetail summarises a content-filter innererror: its code and the
// categories that were filtered, e.g. "ResponsibleAIPolicyViolation: hate
// high". It never quotes the filtered text.
func filterDetail(body []byte) string {
	var p fastjson.Parser
	v, err := p.ParseBytes(body)
	if err != nil {
		return ""
	}
	inner := v.Get("error", "innererror")
	if inner == nil {
		return ""
	}
	parts := []string{}
	if c := string(inner.GetStringBytes("code")); c != "" {
		parts = append(parts, oaicompat.Sanitize(c, ""))
	}
	var cats []string
	if res := inner.GetObject("content_filter_result"); res != nil {
		res.Visit(func(k []byte, cat *fastjson.Value) {
			if cat.GetBool("filtered") {
				s := string(k)
				if sev := string(cat.GetStringBytes("severity")); sev != "" {
					s += " " + sev
				}
				cats = append(cats, oaicompat.Sanitize(s, ""))
			}
		})
	}
	if len(cats) > 0 {
		parts = append(parts, strings.Join(cats, ", "))
	}
	return strings.Join(parts, ": ")
}
