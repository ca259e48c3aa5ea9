package vertex

import (
	"net/http"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// Google's texts for the errors Vertex itself answers (PROVIDERS.md §4.4).
const (
	msgUnauthenticated = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
	msgInternal        = "Internal error encountered."
	msgUnavailable     = "The service is currently unavailable."
	msgDeadline        = "Deadline expired before operation could complete."
)

func quotaExceeded(model string) string {
	return "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: " + model +
		". Please submit a quota increase request. https://cloud.google.com/vertex-ai/docs/generative-ai/quotas-genai."
}

func publisherModelNotFound(endpoint string) string {
	return "Publisher Model `" + endpoint + "` was not found or your project does not have access to it. Please ensure you are using a valid model version."
}

// vertexFault answers the faults Vertex itself would raise (quota,
// capacity, auth, server, deadline, a retired model) as gRPC statuses.
// It returns nil for faults the container answers (context length, an
// invalid model in the body, other 4xx statuses) and for healthy requests.
func (s *Server) vertexFault(f *emukit.Faults, endpoint string, r resource) error {
	if !f.Fails() {
		return nil
	}
	switch kind := f.ErrorKind; {
	case kind == emukit.KindRateLimit || kind == "" && f.Status == http.StatusTooManyRequests:
		return s.fail(codes.ResourceExhausted, quotaExceeded(r.model), f.RetryAfter)
	case kind == emukit.KindCapacity:
		return s.fail(codes.ResourceExhausted, "Resource exhausted: the shared capacity for "+r.model+" is exhausted. Please try again later.", f.RetryAfter)
	case kind == emukit.KindAuth || kind == "" && f.Status == http.StatusUnauthorized:
		return s.fail(codes.Unauthenticated, msgUnauthenticated, 0)
	case kind == "" && f.Status == http.StatusForbidden:
		return s.fail(codes.PermissionDenied, "Permission 'aiplatform.endpoints.predict' denied on resource '//aiplatform.googleapis.com/"+endpoint+"' (or it may not exist).", 0)
	case kind == emukit.KindModelRetired || kind == "" && f.Status == http.StatusNotFound:
		return s.fail(codes.NotFound, publisherModelNotFound(endpoint), 0)
	case kind == emukit.KindCredits || kind == "" && f.Status == http.StatusPaymentRequired:
		return s.fail(codes.FailedPrecondition, "Billing account for project '"+r.project+"' is disabled in state closed.", 0)
	case kind == emukit.KindTimeout || kind == "" && f.Status == http.StatusGatewayTimeout:
		return s.fail(codes.DeadlineExceeded, msgDeadline, 0)
	case kind == emukit.KindServer || kind == "" && f.Status >= 500:
		code := codeOfHTTP(f.Status)
		if f.Status == 0 {
			code = codes.Internal
		}
		msg := msgInternal
		if code == codes.Unavailable {
			msg = msgUnavailable
		}
		return s.fail(code, msg, f.RetryAfter)
	}
	return nil
}

// containerFaults is the part of f the container applies: the stream and
// delay faults, and the error faults vertexFault left to it.
func containerFaults(f emukit.Faults) emukit.Faults {
	f.Rate = 0 // already sampled by Begin
	return f
}

// statusError builds a status; retryAfter > 0 adds a google.rpc.RetryInfo
// detail (Google's retry hint) to a RESOURCE_EXHAUSTED or UNAVAILABLE.
func statusError(code codes.Code, msg string, retryAfter int) error {
	st := status.New(code, msg)
	if retryAfter > 0 && (code == codes.ResourceExhausted || code == codes.Unavailable) {
		if d, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(time.Duration(retryAfter) * time.Second)}); err == nil {
			st = d
		}
	}
	return st.Err()
}

// codeOfHTTP is the gRPC code Google's frontends give an HTTP status.
func codeOfHTTP(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return codes.InvalidArgument
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusNotFound:
		return codes.NotFound
	case http.StatusConflict:
		return codes.Aborted
	case http.StatusTooManyRequests:
		return codes.ResourceExhausted
	case emukit.StatusClientClosed:
		return codes.Canceled
	case http.StatusNotImplemented:
		return codes.Unimplemented
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return codes.Unavailable
	case http.StatusGatewayTimeout:
		return codes.DeadlineExceeded
	}
	if httpStatus >= 500 {
		return codes.Internal
	}
	return codes.FailedPrecondition
}

// httpStatusOf is the HTTP status Google's REST surface gives a code (for
// the stats only).
func httpStatusOf(code codes.Code) int {
	switch code {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		return http.StatusBadRequest
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.NotFound:
		return http.StatusNotFound
	case codes.Aborted, codes.AlreadyExists:
		return http.StatusConflict
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	case codes.Canceled:
		return emukit.StatusClientClosed
	case codes.Unimplemented:
		return http.StatusNotImplemented
	case codes.Unavailable:
		return http.StatusServiceUnavailable
	case codes.DeadlineExceeded:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}
