package bedrock

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

// sdkError wraps an API error the way the SDK returns it from an
// operation: OperationError → ResponseError (with the HTTP response) → the
// typed or generic API error.
func sdkError(status int, retryAfter string, api error) error {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	resp := &smithyhttp.Response{Response: &http.Response{StatusCode: status, Header: h}}
	return &smithy.OperationError{ServiceID: "Bedrock Runtime", OperationName: "Converse",
		Err: &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{Response: resp, Err: api}, RequestID: "r"}}
}

func msg(s string) *string { return &s }

// TestClassify has one case per row of the error table, plus the
// ValidationException refinements and the failures without an answer.
func TestClassify(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	generic := func(code, m string) error { return &smithy.GenericAPIError{Code: code, Message: m} }
	tests := []struct {
		name   string
		err    error
		kind   gwerr.Kind
		code   string
		status int
		retry  time.Duration
	}{
		// Throttling: rate limited, honouring a Retry-After when one comes.
		{"throttling", sdkError(429, "3", &types.ThrottlingException{Message: msg("Too many requests, please wait before trying again.")}), gwerr.RateLimited, "", 429, 3 * time.Second},
		// A quota: rate limited (another deployment has its own quota).
		{"service quota", sdkError(400, "", &types.ServiceQuotaExceededException{Message: msg("quota")}), gwerr.RateLimited, "", 400, 0},
		// Not ready and unavailable: out of capacity, try elsewhere.
		{"model not ready", sdkError(429, "", &types.ModelNotReadyException{Message: msg("not ready")}), gwerr.Overloaded, "", 429, 0},
		{"service unavailable", sdkError(503, "1", &types.ServiceUnavailableException{Message: msg("unavailable")}), gwerr.Overloaded, "", 503, time.Second},
		// Bedrock's own failure and the model's.
		{"internal", sdkError(500, "", &types.InternalServerException{Message: msg("boom")}), gwerr.Upstream, "", 500, 0},
		{"model error", sdkError(424, "", &types.ModelErrorException{Message: msg("model failed")}), gwerr.Upstream, "", 424, 0},
		// In-stream exception frames have no HTTP response: the documented status.
		{"model stream error", &types.ModelStreamErrorException{Message: msg("lost")}, gwerr.Upstream, "", 424, 0},
		{"in-stream throttling", &types.ThrottlingException{Message: msg("slow down")}, gwerr.RateLimited, "", 429, 0},
		{"model timeout", sdkError(408, "", &types.ModelTimeoutException{Message: msg("timed out")}), gwerr.Timeout, "", 408, 0},
		// A model this deployment cannot serve: the deployment's fault.
		{"resource not found", sdkError(404, "", &types.ResourceNotFoundException{Message: msg("This model version has reached the end of its life.")}), gwerr.ModelUnavailable, "", 404, 0},
		{"invalid model id", sdkError(400, "", &types.ValidationException{Message: msg("The provided model identifier is invalid.")}), gwerr.ModelUnavailable, "", 400, 0},
		{"end of life", sdkError(400, "", &types.ValidationException{Message: msg("This model version has reached the end of its life. Please refer to the AWS documentation for more details.")}), gwerr.ModelUnavailable, "", 400, 0},
		{"on-demand unsupported", sdkError(400, "", &types.ValidationException{Message: msg("Invocation of model ID x with on-demand throughput isn't supported.")}), gwerr.ModelUnavailable, "", 400, 0},
		// Context overflow: the client's, with OpenAI's code.
		{"context length", sdkError(400, "", &types.ValidationException{Message: msg("Input is too long for requested model.")}), gwerr.InvalidRequest, gwerr.CodeContextLength, 400, 0},
		// Any other validation failure: the client's request.
		{"validation", sdkError(400, "", &types.ValidationException{Message: msg("A conversation must alternate between user and assistant roles.")}), gwerr.InvalidRequest, "", 400, 0},
		{"conflict", sdkError(400, "", &types.ConflictException{Message: msg("conflict")}), gwerr.InvalidRequest, "", 400, 0},
		// Credentials: mark the deployment and move on.
		{"access denied", sdkError(403, "", &types.AccessDeniedException{Message: msg("You don't have access to the model with the specified model ID.")}), gwerr.Auth, "", 403, 0},
		{"unrecognized client", sdkError(403, "", generic("UnrecognizedClientException", "The security token included in the request is invalid.")), gwerr.Auth, "", 403, 0},
		{"invalid signature", sdkError(403, "", generic("InvalidSignatureException", "Signature expired")), gwerr.Auth, "", 403, 0},
		{"incomplete signature", sdkError(403, "", generic("IncompleteSignatureException", "x")), gwerr.Auth, "", 403, 0},
		{"missing token", sdkError(403, "", generic("MissingAuthenticationTokenException", "Missing Authentication Token")), gwerr.Auth, "", 403, 0},
		{"expired token", sdkError(403, "", generic("ExpiredTokenException", "The security token included in the request is expired")), gwerr.Auth, "", 403, 0},
		{"invalid client token id", sdkError(403, "", generic("InvalidClientTokenId", "x")), gwerr.Auth, "", 403, 0},
		{"signature does not match", sdkError(403, "", generic("SignatureDoesNotMatch", "x")), gwerr.Auth, "", 403, 0},
		// An exception this table does not know: by its status.
		{"unknown 502", sdkError(502, "", generic("BadGatewayException", "x")), gwerr.Upstream, "", 502, 0},
		{"unknown 400", sdkError(400, "", generic("NewException", "x")), gwerr.InvalidRequest, "", 400, 0},
		// No credentials anywhere in the chain.
		{"no credentials", &smithy.OperationError{Err: errors.New("failed to retrieve credentials: no EC2 IMDS role found")}, gwerr.Auth, "", 0, 0},
		// Network failures.
		{"connection refused", &smithy.OperationError{Err: fmt.Errorf("dial tcp: %w", errors.New("connection refused"))}, gwerr.Upstream, "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := classify(context.Background(), tt.err, now, "super-secret")
			if e.Kind != tt.kind || e.Code != tt.code || e.Status != tt.status || e.RetryAfter != tt.retry {
				t.Errorf("got kind %v code %q status %d retry %v, want %v %q %d %v (%v)",
					e.Kind, e.Code, e.Status, e.RetryAfter, tt.kind, tt.code, tt.status, tt.retry, e)
			}
		})
	}
}

// The caller's deadline and cancel, and the secret never in a message.
func TestClassifyContextAndSecret(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	if k := classify(ctx, &smithy.OperationError{Err: context.DeadlineExceeded}, time.Now(), "").Kind; k != gwerr.Timeout {
		t.Errorf("deadline: kind %v, want Timeout", k)
	}
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if k := classify(cctx, &smithy.OperationError{Err: context.Canceled}, time.Now(), "").Kind; k != gwerr.Canceled {
		t.Errorf("cancel: kind %v, want Canceled", k)
	}
	e := classify(context.Background(), sdkError(400, "", &types.ValidationException{Message: msg("bad key super-secret-value here")}), time.Now(), "super-secret-value")
	if strings.Contains(e.Message, "super-secret-value") {
		t.Errorf("message leaks the secret: %q", e.Message)
	}
}
