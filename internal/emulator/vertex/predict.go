package vertex

import (
	"context"
	"crypto/subtle"
	"net/url"
	"strings"

	"cloud.google.com/go/aiplatform/apiv1/aiplatformpb"
	"github.com/valyala/fastjson"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// RawPredict answers one Mistral chat request (non-stream).
func (s *Server) RawPredict(ctx context.Context, req *aiplatformpb.RawPredictRequest) (*httpbody.HttpBody, error) {
	f := s.ctl.Begin(false)
	if err := s.admit(ctx, req.GetEndpoint(), req.GetHttpBody(), &f); err != nil {
		return nil, err
	}
	w := newContainerWriter(nil, nil)
	if err := s.runContainer(ctx, w, req.GetHttpBody().GetData(), containerFaults(f)); err != nil {
		return nil, err
	}
	if w.status != 200 {
		return nil, s.containerError(w)
	}
	return &httpbody.HttpBody{ContentType: "application/json", Data: w.buf}, nil
}

// StreamRawPredict answers one Mistral chat request as a stream of
// HttpBody messages carrying the container's SSE bytes.
func (s *Server) StreamRawPredict(req *aiplatformpb.StreamRawPredictRequest, st aiplatformpb.PredictionService_StreamRawPredictServer) error {
	ctx := st.Context()
	f := s.ctl.Begin(true)
	if err := s.admit(ctx, req.GetEndpoint(), req.GetHttpBody(), &f); err != nil {
		return err
	}
	send := func(b []byte) error {
		return st.Send(&httpbody.HttpBody{ContentType: "text/event-stream", Data: b})
	}
	w := newContainerWriter(send, s.splitter())
	if err := s.runContainer(ctx, w, req.GetHttpBody().GetData(), containerFaults(f)); err != nil {
		return err
	}
	if w.status != 200 {
		return s.containerError(w)
	}
	return w.finish()
}

// admit runs Vertex's own checks, in the order a request meets them: the
// token, the routing header, the resource name, Vertex-level faults, and
// the body fields Vertex rejects before the container sees them.
func (s *Server) admit(ctx context.Context, endpoint string, body *httpbody.HttpBody, f *emukit.Faults) error {
	md, _ := metadata.FromIncomingContext(ctx)
	if !bearerOK(md, s.opts.APIKey) {
		return s.fail(codes.Unauthenticated, msgUnauthenticated, 0)
	}
	if got := requestParam(md, "endpoint"); got != endpoint {
		return s.fail(codes.InvalidArgument, "x-goog-request-params: endpoint="+got+" does not match the request's endpoint "+endpoint, 0)
	}
	r, err := parseResource(endpoint)
	if err != nil {
		return s.fail(codes.InvalidArgument, err.Error(), 0)
	}
	switch {
	case !emukit.HasModel(s.opts.Models, r.model):
		return s.fail(codes.NotFound, publisherModelNotFound(endpoint), 0)
	case !emukit.HasModel(Locations, r.location) && r.location != "global":
		return s.fail(codes.InvalidArgument, "Model "+r.model+" is not servable in region "+r.location+".", 0)
	}
	if err := s.vertexFault(f, endpoint, r); err != nil {
		return err
	}
	if ct := body.GetContentType(); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return s.fail(codes.InvalidArgument, "HttpBody content_type must be application/json, got "+ct, 0)
	}
	var p fastjson.Parser
	if v, err := p.ParseBytes(body.GetData()); err == nil && v.Exists("safe_prompt") {
		// Vertex's container rejects La Plateforme's safe_prompt
		// (PROVIDERS.md §0); its exact answer is not documented, so this is
		// Mistral's own extra_forbidden shape.
		return s.fail(codes.InvalidArgument, `{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","safe_prompt"],"msg":"Extra inputs are not permitted","input":true}]},"type":"invalid_request_message_error","param":null,"code":null}`, 0)
	}
	return nil
}

// bearerOK reports whether md carries "authorization: Bearer <key>",
// compared in constant time.
func bearerOK(md metadata.MD, key string) bool {
	for _, v := range md.Get("authorization") {
		if tok, ok := strings.CutPrefix(v, "Bearer "); ok && subtle.ConstantTimeCompare([]byte(tok), []byte(key)) == 1 {
			return true
		}
	}
	return false
}

// requestParam reads one key of the x-goog-request-params header, the
// routing header Google's clients send with the resource name.
func requestParam(md metadata.MD, key string) string {
	for _, v := range md.Get("x-goog-request-params") {
		if q, err := url.ParseQuery(v); err == nil && q.Get(key) != "" {
			return q.Get(key)
		}
	}
	return ""
}

// resource is a parsed publisher-model resource name.
type resource struct {
	project, location, model, version string
}

// parseResource parses
// projects/{p}/locations/{l}/publishers/mistralai/models/{model}[@version].
func parseResource(name string) (resource, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 8 || parts[0] != "projects" || parts[2] != "locations" || parts[4] != "publishers" || parts[6] != "models" ||
		parts[1] == "" || parts[3] == "" || parts[7] == "" {
		return resource{}, errString("Invalid resource name " + name + ": want projects/{project}/locations/{location}/publishers/mistralai/models/{model}")
	}
	if parts[5] != "mistralai" {
		return resource{}, errString("publisher " + parts[5] + " does not serve this emulator's models (want mistralai)")
	}
	model, version, _ := strings.Cut(parts[7], "@")
	return resource{project: parts[1], location: parts[3], model: model, version: version}, nil
}

type errString string

func (e errString) Error() string { return string(e) }

// fail counts a refused request under the HTTP status Google's REST
// surface would give it and returns the status error.
func (s *Server) fail(code codes.Code, msg string, retryAfter int) error {
	s.ctl.Record(httpStatusOf(code))
	return statusError(code, msg, retryAfter)
}
