package bedrock

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/providers/internal/oaicompat"
)

// rule is one row of the error table: an SDK typed error (matched with
// errors.As) or, for exceptions the SDK does not model (the auth layer's),
// the error code of smithy.APIError.
type rule struct {
	code   string
	is     func(error) bool // nil: match by code only
	kind   gwerr.Kind
	status int // Bedrock's documented status, used when no HTTP response is at hand (in-stream exceptions)
}

func as[T error](err error) bool {
	var t T
	return errors.As(err, &t)
}

// rules is the one table from Bedrock's exceptions to windrose's kinds
// (PROVIDERS.md §2.8). ValidationException is refined by message in
// validationKind.
var rules = []rule{
	{"ThrottlingException", as[*types.ThrottlingException], gwerr.RateLimited, 429},
	{"ServiceQuotaExceededException", as[*types.ServiceQuotaExceededException], gwerr.RateLimited, 400},
	{"ModelNotReadyException", as[*types.ModelNotReadyException], gwerr.Overloaded, 429},
	{"ServiceUnavailableException", as[*types.ServiceUnavailableException], gwerr.Overloaded, 503},
	{"InternalServerException", as[*types.InternalServerException], gwerr.Upstream, 500},
	{"ModelErrorException", as[*types.ModelErrorException], gwerr.Upstream, 424},
	{"ModelStreamErrorException", as[*types.ModelStreamErrorException], gwerr.Upstream, 424},
	{"ModelTimeoutException", as[*types.ModelTimeoutException], gwerr.Timeout, 408},
	{"ResourceNotFoundException", as[*types.ResourceNotFoundException], gwerr.ModelUnavailable, 404},
	{"AccessDeniedException", as[*types.AccessDeniedException], gwerr.Auth, 403},
	{"ValidationException", as[*types.ValidationException], gwerr.InvalidRequest, 400},
	{"ConflictException", as[*types.ConflictException], gwerr.InvalidRequest, 400},
	// The signing layer's answers, which the SDK leaves as generic API errors.
	{"UnrecognizedClientException", nil, gwerr.Auth, 403},
	{"InvalidSignatureException", nil, gwerr.Auth, 403},
	{"IncompleteSignatureException", nil, gwerr.Auth, 403},
	{"MissingAuthenticationTokenException", nil, gwerr.Auth, 403},
	{"ExpiredTokenException", nil, gwerr.Auth, 403},
	{"InvalidClientTokenId", nil, gwerr.Auth, 403},
	{"SignatureDoesNotMatch", nil, gwerr.Auth, 403},
}

// classify turns an SDK error into a *gwerr.Error. secret is redacted from
// any quoted message.
func classify(ctx context.Context, err error, now time.Time, secret string) *gwerr.Error {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return classifyOther(ctx, err)
	}
	msg := oaicompat.Sanitize(api.ErrorMessage(), secret)
	if msg == "" {
		msg = api.ErrorCode()
	}
	e := &gwerr.Error{Message: "bedrock: " + api.ErrorCode() + ": " + msg, Err: err}
	r, matched := match(err, api.ErrorCode())
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		e.Status = re.HTTPStatusCode()
		e.RetryAfter = oaicompat.RetryAfter(re.Response.Header, now)
	}
	switch {
	case matched:
		e.Kind = r.kind
		if e.Status == 0 {
			e.Status = r.status
		}
	case e.Status != 0:
		e.Kind = oaicompat.KindForStatus(e.Status)
	default:
		e.Kind = gwerr.Upstream
	}
	if r.code == "ValidationException" {
		e.Kind, e.Code = validationKind(msg)
	}
	return e
}

func match(err error, code string) (rule, bool) {
	for _, r := range rules {
		if r.is != nil && r.is(err) {
			return r, true
		}
	}
	for _, r := range rules {
		if r.code == code {
			return r, true
		}
	}
	return rule{}, false
}

// validationKind refines a ValidationException by its text: a prompt over
// the context window is the client's (with OpenAI's code), an invalid,
// unknown or end-of-life model id is this deployment's fault.
func validationKind(msg string) (gwerr.Kind, string) {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "too long"), strings.Contains(m, "context window"), strings.Contains(m, "context length"),
		strings.Contains(m, "too many input tokens"), strings.Contains(m, "maximum context"):
		return gwerr.InvalidRequest, gwerr.CodeContextLength
	case strings.Contains(m, "model identifier is invalid"), strings.Contains(m, "end of its life"),
		strings.Contains(m, "end of life"), strings.Contains(m, "model not found"),
		strings.Contains(m, "on-demand throughput isn"):
		return gwerr.ModelUnavailable, ""
	}
	return gwerr.InvalidRequest, ""
}

// classifyOther handles failures that never got an API answer: the
// caller's cancel or deadline, the network, or missing credentials.
func classifyOther(ctx context.Context, err error) *gwerr.Error {
	var se *v4.SigningError
	if errors.As(err, &se) || strings.Contains(err.Error(), "retrieve credentials") ||
		strings.Contains(err.Error(), "bearer token") || strings.Contains(err.Error(), "API key over plain HTTP") {
		return gwerr.Wrap(gwerr.Auth, err, "bedrock: no usable AWS credentials")
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil && re.HTTPStatusCode() >= http.StatusBadRequest {
		e := gwerr.Wrap(oaicompat.KindForStatus(re.HTTPStatusCode()), err, "bedrock answered %d", re.HTTPStatusCode())
		e.Status = re.HTTPStatusCode()
		return e
	}
	return oaicompat.TransportError(ctx, err, Kind)
}
