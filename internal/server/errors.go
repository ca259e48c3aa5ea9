package server

import (
	"net/http"
	"strconv"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/openaiapi"
)

// writeError writes err in OpenAI's envelope with the status from the one
// gwerr table. It returns the status, for logs and metrics.
func writeError(w http.ResponseWriter, err error) int {
	status := gwerr.HTTPStatus(err)
	if status == gwerr.StatusClientClosed {
		return status // nobody is listening
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if ge := gwerr.As(err); ge.RetryAfter > 0 {
		secs := int64((ge.RetryAfter + 999_999_999) / 1_000_000_000)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	w.WriteHeader(status)
	buf := openaiapi.AppendError(make([]byte, 0, 256), err)
	_, _ = w.Write(buf)
	return status
}

func notFound(format string, args ...any) error {
	e := gwerr.New(gwerr.NotFound, format, args...)
	e.Code = "not_found"
	return e
}

// methodNotAllowed is a 404 in OpenAI's envelope too: OpenAI answers wrong
// methods on its routes the same way.
func methodNotAllowed(method, path string) error {
	e := gwerr.New(gwerr.NotFound, "%s is not supported on %s", method, path)
	e.Code = "method_not_allowed"
	return e
}

func unknownModel(name string) error {
	e := gwerr.New(gwerr.NotFound, "The model %q does not exist or you do not have access to it.", name)
	e.Param, e.Code = "model", "model_not_found"
	return e
}
