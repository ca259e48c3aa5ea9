package vertex

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

type classified struct {
	Kind       gwerr.Kind
	Code       string
	Status     int
	RetryAfter time.Duration
}

const cooldown = 2 * time.Second

// One row per gRPC status code: the table the executor's retry classes
// rest on.
func TestCodeTable(t *testing.T) {
	tests := []struct {
		code codes.Code
		want classified
	}{
		// The caller went away (only seen when the context is not yet done).
		{codes.Canceled, classified{Kind: gwerr.Canceled, Status: 499}},
		// An unclassified failure at Google: try elsewhere.
		{codes.Unknown, classified{Kind: gwerr.Upstream, Status: 500}},
		// The request itself is wrong: stop.
		{codes.InvalidArgument, classified{Kind: gwerr.InvalidRequest, Status: 400}},
		// Vertex's deadline: a timeout, retryable.
		{codes.DeadlineExceeded, classified{Kind: gwerr.Timeout, Status: 504}},
		// The model is not at this deployment: fail over.
		{codes.NotFound, classified{Kind: gwerr.ModelUnavailable, Status: 404}},
		// Not a prediction answer; treated as a provider failure.
		{codes.AlreadyExists, classified{Kind: gwerr.Upstream, Status: 409}},
		// The service account lacks aiplatform.endpoints.predict.
		{codes.PermissionDenied, classified{Kind: gwerr.Auth, Status: 403}},
		// Quota: rate limited, with the default cooldown (no Retry-After on Vertex).
		{codes.ResourceExhausted, classified{Kind: gwerr.RateLimited, Status: 429, RetryAfter: cooldown}},
		// Billing disabled, API not enabled: the deployment's account is unusable.
		{codes.FailedPrecondition, classified{Kind: gwerr.Auth, Status: 400}},
		// A concurrency conflict at Google: try again.
		{codes.Aborted, classified{Kind: gwerr.Upstream, Status: 409}},
		// A parameter outside its range: the client's.
		{codes.OutOfRange, classified{Kind: gwerr.InvalidRequest, Status: 400}},
		// The endpoint does not speak this method: a deployment fault.
		{codes.Unimplemented, classified{Kind: gwerr.Upstream, Status: 501}},
		// Google's internal error.
		{codes.Internal, classified{Kind: gwerr.Upstream, Status: 500}},
		// Overloaded or a dropped connection.
		{codes.Unavailable, classified{Kind: gwerr.Overloaded, Status: 503}},
		// Corrupted data: a provider failure.
		{codes.DataLoss, classified{Kind: gwerr.Upstream, Status: 500}},
		// A bad or expired token.
		{codes.Unauthenticated, classified{Kind: gwerr.Auth, Status: 401}},
	}
	if len(tests) != len(codeTable) {
		t.Fatalf("%d rows tested, table has %d", len(tests), len(codeTable))
	}
	for _, tt := range tests {
		t.Run(tt.code.String(), func(t *testing.T) {
			e := classifyStatus(status.New(tt.code, "something happened"), time.Now(), "", cooldown)
			got := classified{Kind: e.Kind, Code: e.Code, Status: e.Status, RetryAfter: e.RetryAfter}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if e.Message != "vertex: something happened" {
				t.Errorf("message = %q", e.Message)
			}
		})
	}
}

func withRetry(code codes.Code, msg string, d time.Duration) *status.Status {
	st, err := status.New(code, msg).WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(d)})
	if err != nil {
		panic(err)
	}
	return st
}

// Messages refine the table: Vertex's own texts and the container's
// relayed JSON bodies.
func TestClassifyMessages(t *testing.T) {
	const secret = "ya29.secret-token"
	tests := []struct {
		name string
		st   *status.Status
		want classified
	}{
		// A RetryInfo detail is Google's wait hint: it wins over the cooldown.
		{"retry info", withRetry(codes.ResourceExhausted, "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: mistral-medium-3.", 7*time.Second),
			classified{Kind: gwerr.RateLimited, Status: 429, RetryAfter: 7 * time.Second}},
		// Shared capacity is not our quota: overloaded, try another deployment.
		{"capacity", status.New(codes.ResourceExhausted, "Resource exhausted: the shared capacity for mistral-medium-3 is exhausted."),
			classified{Kind: gwerr.Overloaded, Status: 429}},
		// UNAVAILABLE with a hint keeps it.
		{"unavailable hint", withRetry(codes.Unavailable, "The service is currently unavailable.", time.Second),
			classified{Kind: gwerr.Overloaded, Status: 503, RetryAfter: time.Second}},
		// Vertex's text for a model it does not serve: a deployment fault, never the client's 400.
		{"publisher model not found", status.New(codes.InvalidArgument, "Publisher Model `projects/p/locations/europe-west4/publishers/mistralai/models/mistral-medium-3` was not found or your project does not have access to it."),
			classified{Kind: gwerr.ModelUnavailable, Status: 400}},
		// Not servable in this region: the deployment's configuration.
		{"not servable", status.New(codes.InvalidArgument, "Model mistral-medium-3 is not servable in region asia-east1."),
			classified{Kind: gwerr.ModelUnavailable, Status: 400}},
		// A plain "model not found".
		{"model not found", status.New(codes.FailedPrecondition, "Model not found."),
			classified{Kind: gwerr.ModelUnavailable, Status: 400}},
		// Mistral's context-length text in a plain message.
		{"context text", status.New(codes.InvalidArgument, "Prompt contains 140000 tokens and 0 draft tokens, too large for model with 131072 maximum context length"),
			classified{Kind: gwerr.InvalidRequest, Code: gwerr.CodeContextLength, Status: 400}},
		// The container's JSON body relayed as the message.
		{"container context", status.New(codes.InvalidArgument, `{"object":"error","message":"Prompt contains 140000 tokens and 0 draft tokens, too large for model with 131072 maximum context length","type":"invalid_request_message_error","param":null,"code":null}`),
			classified{Kind: gwerr.InvalidRequest, Code: gwerr.CodeContextLength, Status: 400}},
		// The container's invalid model: the deployment's model id is wrong.
		{"container invalid model", status.New(codes.InvalidArgument, `{"object":"error","message":"Invalid model: mistral-medium-3","type":"invalid_model","param":null,"code":"1500"}`),
			classified{Kind: gwerr.ModelUnavailable, Code: "model_not_found", Status: 400}},
		// A container body naming its own status wins over the code.
		{"container raw status", status.New(codes.Unknown, `{"object":"error","message":"Rate limit exceeded","type":"rate_limited","param":null,"code":"1300","raw_status_code":429}`),
			classified{Kind: gwerr.RateLimited, Status: 429, RetryAfter: cooldown}},
		// Google's JSON envelope.
		{"google envelope", status.New(codes.Unknown, `{"error":{"code":403,"message":"Permission denied","status":"PERMISSION_DENIED"}}`),
			classified{Kind: gwerr.Auth, Status: 403}},
		// The container's 422 validation body.
		{"container 422", status.New(codes.InvalidArgument, `{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","safe_prompt"],"msg":"Extra inputs are not permitted","input":true}]},"type":"invalid_request_message_error","param":null,"code":null}`),
			classified{Kind: gwerr.InvalidRequest, Status: 400}},
		// An unknown code is a provider failure.
		{"unknown code", status.New(codes.Code(99), "?"), classified{Kind: gwerr.Upstream, Status: 500}},
		// A token echoed in a message is redacted.
		{"secret echoed", status.New(codes.Unauthenticated, "bad token "+secret), classified{Kind: gwerr.Auth, Status: 401}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := classifyStatus(tt.st, time.Now(), secret, cooldown)
			got := classified{Kind: e.Kind, Code: e.Code, Status: e.Status, RetryAfter: e.RetryAfter}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s\n%v", diff, e)
			}
			if strings.Contains(e.Error(), secret) {
				t.Errorf("secret leaked: %v", e)
			}
		})
	}
}

// An HttpBody that carries the container's HTTP error is classified by
// that status; an answer or an event stream is not an error.
func TestBodyError(t *testing.T) {
	a := &Adapter{now: time.Now}
	tests := []struct {
		name string
		body *httpbody.HttpBody
		want *classified
	}{
		// A normal answer.
		{"answer", &httpbody.HttpBody{ContentType: "application/json", Data: []byte(`{"id":"x","object":"chat.completion","choices":[]}`)}, nil},
		// SSE bytes, whatever they hold.
		{"stream", &httpbody.HttpBody{ContentType: "text/event-stream", Data: []byte(`{"error":{"code":500}}`)}, nil},
		// A wrapped 429 from the container.
		{"wrapped 429", &httpbody.HttpBody{ContentType: "application/json", Data: []byte(`{"object":"error","message":"Rate limit exceeded","type":"rate_limited","code":"1300","raw_status_code":429}`)},
			&classified{Kind: gwerr.RateLimited, Status: 429}},
		// A wrapped Google envelope 503.
		{"wrapped 503", &httpbody.HttpBody{ContentType: "application/json", Data: []byte(`{"error":{"code":503,"message":"unavailable","status":"UNAVAILABLE"}}`)},
			&classified{Kind: gwerr.Overloaded, Status: 503}},
		// An error body without a status cannot be classified by it: left to the decoder.
		{"no status", &httpbody.HttpBody{ContentType: "application/json", Data: []byte(`{"message":"hm"}`)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := a.bodyError(tt.body)
			switch {
			case tt.want == nil && e != nil:
				t.Fatalf("got %v, want no error", e)
			case tt.want != nil && e == nil:
				t.Fatal("no error")
			case tt.want != nil:
				got := classified{Kind: e.Kind, Code: e.Code, Status: e.Status}
				if diff := cmp.Diff(*tt.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}
