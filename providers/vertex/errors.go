package vertex

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/valyala/fastjson"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// codeRule is how one gRPC status code is classified before its message is
// read: the Kind and the HTTP status Google's REST surface gives the same
// error (google.rpc.Code's documented mapping), kept as gwerr.Error.Status.
type codeRule struct {
	kind   gwerr.Kind
	status int
}

// codeTable is the one gRPC status → gwerr table (tested row by row).
var codeTable = map[codes.Code]codeRule{
	codes.Canceled:           {gwerr.Canceled, gwerr.StatusClientClosed},
	codes.Unknown:            {gwerr.Upstream, http.StatusInternalServerError},
	codes.InvalidArgument:    {gwerr.InvalidRequest, http.StatusBadRequest},
	codes.DeadlineExceeded:   {gwerr.Timeout, http.StatusGatewayTimeout},
	codes.NotFound:           {gwerr.ModelUnavailable, http.StatusNotFound},
	codes.AlreadyExists:      {gwerr.Upstream, http.StatusConflict},
	codes.PermissionDenied:   {gwerr.Auth, http.StatusForbidden},
	codes.ResourceExhausted:  {gwerr.RateLimited, http.StatusTooManyRequests},
	codes.FailedPrecondition: {gwerr.Auth, http.StatusBadRequest},
	codes.Aborted:            {gwerr.Upstream, http.StatusConflict},
	codes.OutOfRange:         {gwerr.InvalidRequest, http.StatusBadRequest},
	codes.Unimplemented:      {gwerr.Upstream, http.StatusNotImplemented},
	codes.Internal:           {gwerr.Upstream, http.StatusInternalServerError},
	codes.Unavailable:        {gwerr.Overloaded, http.StatusServiceUnavailable},
	codes.DataLoss:           {gwerr.Upstream, http.StatusInternalServerError},
	codes.Unauthenticated:    {gwerr.Auth, http.StatusUnauthorized},
}

// classify turns an error from the gRPC client into a *gwerr.Error. The
// caller's own cancellation or deadline wins over whatever status the
// client library made of it.
func (a *Adapter) classify(ctx context.Context, err error) *gwerr.Error {
	if ctx.Err() != nil {
		return oaicompat.TransportError(ctx, ctx.Err(), Kind)
	}
	st, ok := status.FromError(err)
	if !ok {
		return oaicompat.TransportError(ctx, err, Kind)
	}
	return classifyStatus(st, a.now(), a.secret, a.cooldown)
}

// classifyStatus classifies a gRPC status from Vertex.
//
// Vertex relays a Mistral container error with the container's JSON body
// as the status message; that body is classified by mistralwire (context
// length, invalid model, capacity…) under the container's HTTP status when
// the body names one. Vertex's own errors are plain text: a model that is
// not found, not servable in the region or not enabled is the deployment's
// fault (ModelUnavailable), a context-length text stays the client's. A
// google.rpc.RetryInfo detail sets RetryAfter; a RESOURCE_EXHAUSTED without
// one gets the configured cooldown.
func classifyStatus(st *status.Status, now time.Time, secret string, cooldown time.Duration) *gwerr.Error {
	rule, ok := codeTable[st.Code()]
	if !ok {
		rule = codeRule{gwerr.Upstream, http.StatusInternalServerError}
	}
	msg := st.Message()
	var e *gwerr.Error
	if httpStatus, isJSON := embeddedStatus([]byte(msg)); isJSON {
		if httpStatus == 0 {
			httpStatus = rule.status
		}
		e = mistralwire.ClassifyError(Kind, httpStatus, nil, []byte(msg), now, secret)
	} else {
		text := oaicompat.Sanitize(msg, secret)
		if text == "" {
			text = st.Code().String()
		}
		e = &gwerr.Error{Kind: rule.kind, Status: rule.status, Message: Kind + ": " + text}
		refineText(e, strings.ToLower(msg))
	}
	e.Err = errors.New("grpc status " + st.Code().String())
	if d := retryDelay(st); d > 0 {
		e.RetryAfter = d
	} else if e.Kind == gwerr.RateLimited && e.RetryAfter == 0 {
		e.RetryAfter = cooldown
	}
	return e
}

// refineText reads Vertex's plain-text messages.
func refineText(e *gwerr.Error, lower string) {
	switch {
	case mistralwire.ContextTooLong(lower):
		e.Kind, e.Code = gwerr.InvalidRequest, gwerr.CodeContextLength
	case modelUnavailableText(lower):
		e.Kind = gwerr.ModelUnavailable
	case e.Kind == gwerr.RateLimited && strings.Contains(lower, "capacity"):
		// Shared capacity, not our quota: another deployment is the answer.
		e.Kind = gwerr.Overloaded
	}
}

// modelUnavailableText recognises Vertex's "this model is not here"
// answers: "Publisher Model `…` was not found or your project does not
// have access to it", "model not found", "is not servable in region".
func modelUnavailableText(lower string) bool {
	return strings.Contains(lower, "publisher model") && strings.Contains(lower, "not found") ||
		strings.Contains(lower, "model not found") ||
		strings.Contains(lower, "not servable") ||
		strings.Contains(lower, "model") && strings.Contains(lower, "not supported in region")
}

// retryDelay is a google.rpc.RetryInfo detail's delay, or 0.
func retryDelay(st *status.Status) time.Duration {
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
			return ri.GetRetryDelay().AsDuration()
		}
	}
	return 0
}

// embeddedStatus reports whether b is a JSON error envelope and the HTTP
// status it names, if any: Mistral's raw_status_code, or Google's
// {"error":{"code":N}}.
func embeddedStatus(b []byte) (int, bool) {
	if len(b) == 0 || b[0] != '{' {
		return 0, false
	}
	var p fastjson.Parser
	v, err := p.ParseBytes(b)
	if err != nil || v.Type() != fastjson.TypeObject {
		return 0, false
	}
	if n := v.GetInt("raw_status_code"); n >= 400 {
		return n, true
	}
	if n := v.GetInt("error", "code"); n >= 400 {
		return n, true
	}
	isErr := string(v.GetStringBytes("object")) == "error" || v.Exists("error") || v.Exists("detail") || v.Exists("message")
	return 0, isErr
}

// bodyError classifies an HttpBody that carries the Mistral container's
// HTTP error instead of an answer (Vertex can relay one with status OK):
// a JSON error envelope that names its status. It returns nil for an
// answer.
func (a *Adapter) bodyError(b *httpbody.HttpBody) *gwerr.Error {
	ct := b.GetContentType()
	if ct != "" && !strings.HasPrefix(ct, "application/json") {
		return nil // an event stream
	}
	httpStatus, isErr := embeddedStatus(b.GetData())
	if !isErr || httpStatus < 400 {
		return nil
	}
	return mistralwire.ClassifyError(Kind, httpStatus, nil, b.GetData(), a.now(), a.secret)
}
