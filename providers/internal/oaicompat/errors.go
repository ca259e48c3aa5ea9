package oaicompat

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/valyala/fastjson"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

// maxMessage caps a provider message passed on to clients.
const maxMessage = 512

// ErrorBody is what an error response said, whatever envelope it used:
// OpenAI's {"error":{…}}, Mistral's flat {"object":"error","message":…},
// a gateway's {"message":…} or {"detail":…}.
type ErrorBody struct {
	Message string // "" when the body had none
	Type    string
	Param   string
	Code    string // error.code when a string
	CodeNum int    // error.code when a number
	// Details are pydantic-style validation items rendered "loc: msg".
	Details []string
}

// ParseErrorBody extracts the message and codes from an error body. It never
// fails: an unparsable body yields an empty ErrorBody.
func ParseErrorBody(body []byte) ErrorBody {
	var out ErrorBody
	var p fastjson.Parser
	v, err := p.ParseBytes(body)
	if err != nil || v.Type() != fastjson.TypeObject {
		return out
	}
	if e := v.Get("error"); e != nil && e.Type() == fastjson.TypeObject {
		v = e
	} else if e != nil && e.Type() == fastjson.TypeString {
		out.Message = string(e.GetStringBytes())
	}
	out.Type = string(v.GetStringBytes("type"))
	out.Param = string(v.GetStringBytes("param"))
	if code := v.Get("code"); code != nil {
		switch code.Type() {
		case fastjson.TypeString:
			out.Code = string(code.GetStringBytes())
		case fastjson.TypeNumber:
			out.CodeNum = code.GetInt()
		}
	}
	for _, key := range []string{"message", "detail"} {
		m := v.Get(key)
		if m == nil {
			continue
		}
		switch m.Type() {
		case fastjson.TypeString:
			if out.Message == "" {
				out.Message = string(m.GetStringBytes())
			}
		case fastjson.TypeObject: // Mistral 422: {"message":{"detail":[…]}}
			out.Details = append(out.Details, renderDetails(m.GetArray("detail"))...)
		case fastjson.TypeArray: // FastAPI: {"detail":[…]}
			out.Details = append(out.Details, renderDetails(m.GetArray())...)
		}
	}
	if out.Message == "" && len(out.Details) > 0 {
		out.Message = strings.Join(out.Details, "; ")
	}
	return out
}

// renderDetails turns pydantic items into "body.field: msg" lines.
func renderDetails(items []*fastjson.Value) []string {
	var out []string
	for _, it := range items {
		var loc []string
		for _, l := range it.GetArray("loc") {
			switch l.Type() {
			case fastjson.TypeString:
				loc = append(loc, string(l.GetStringBytes()))
			case fastjson.TypeNumber:
				loc = append(loc, l.String())
			}
		}
		msg := string(it.GetStringBytes("msg"))
		if len(loc) > 0 {
			msg = strings.Join(loc, ".") + ": " + msg
		}
		out = append(out, msg)
	}
	return out
}

// Sanitize makes a provider message safe to show: the secret (when
// non-empty) is redacted, control characters become spaces, and the text
// is capped.
func Sanitize(msg, secret string) string {
	if secret != "" {
		msg = strings.ReplaceAll(msg, secret, "[redacted]")
	}
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, msg)
	msg = strings.TrimSpace(msg)
	if len(msg) > maxMessage {
		cut := maxMessage
		for cut > 0 && !isRuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// RetryAfter reads a delay from h: Retry-After (delta seconds or an HTTP
// date, measured from now), then the fallback headers in order (each in
// seconds, e.g. Mistral's ratelimitbysize-reset). It returns 0 when none
// says anything usable.
func RetryAfter(h http.Header, now time.Time, fallbacks ...string) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if d, ok := parseSeconds(v); ok {
			return d
		}
		if t, err := http.ParseTime(v); err == nil {
			if d := t.Sub(now); d > 0 {
				return d
			}
			return 0
		}
	}
	for _, name := range fallbacks {
		if d, ok := parseSeconds(strings.TrimSpace(h.Get(name))); ok {
			return d
		}
	}
	return 0
}

// maxRetryAfter bounds a provider's hint; a day-long wait is a bug upstream.
const maxRetryAfter = time.Hour

func parseSeconds(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f != f {
		return 0, false
	}
	d := time.Duration(f * float64(time.Second))
	if f > maxRetryAfter.Seconds() {
		d = maxRetryAfter
	}
	return d, true
}

// KindForStatus is the generic status → Kind table for OpenAI-dialect
// providers; adapters refine it from the body.
func KindForStatus(status int) gwerr.Kind {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return gwerr.Auth
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return gwerr.Timeout
	case status == http.StatusTooManyRequests:
		return gwerr.RateLimited
	case status == http.StatusServiceUnavailable || status == 529:
		return gwerr.Overloaded
	case status == http.StatusNotFound:
		// A 404 means the deployment's URL or model is wrong, not the
		// request: another deployment may well serve it.
		return gwerr.Upstream
	case status >= 400 && status < 500:
		return gwerr.InvalidRequest
	}
	return gwerr.Upstream
}

// ClassifyInBand is the default classification of an in-band stream error:
// a numeric code is read as an HTTP status, a string code by name, and
// anything unknown is Upstream (the provider failed mid-generation).
func ClassifyInBand(e *InBandError) *gwerr.Error {
	msg := Sanitize(e.Message, "")
	if msg == "" {
		msg = "the provider failed mid-stream"
	}
	kind := gwerr.Upstream
	if e.Status >= 400 {
		kind = KindForStatus(e.Status)
	}
	switch strings.ToLower(e.Code) {
	case "rate_limit_exceeded", "rate_limited", "too_many_requests":
		kind = gwerr.RateLimited
	case "overloaded", "service_unavailable", "overloaded_error":
		kind = gwerr.Overloaded
	case "timeout", "request_timeout":
		kind = gwerr.Timeout
	case "context_length_exceeded":
		kind = gwerr.InvalidRequest
	case "content_filter", "moderation":
		kind = gwerr.InvalidRequest
	}
	return &gwerr.Error{Kind: kind, Message: msg, Code: e.Code, Status: e.Status}
}
