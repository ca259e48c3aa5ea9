// Package bedrock emulates the AWS Bedrock runtime's Converse API
// (PROVIDERS.md §2): POST /model/{modelId}/converse and
// /model/{modelId}/converse-stream, SigV4 (or Bedrock API key) auth, and
// the binary application/vnd.amazon.eventstream stream. It is written from
// AWS's documented wire format with the standard library (plus smithy-go's
// event-stream encoder) and shares no code with the adapter, so the
// adapter's tests compare two independent readings of the spec.
package bedrock

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// maxBody bounds a request body.
const maxBody = 32 << 20

// DefaultRegion is the region the emulator serves: a request signed for
// another region is rejected, as a regional Bedrock endpoint does.
const DefaultRegion = "eu-west-1"

// DefaultAccessKeyID is the access key id paired with Options.APIKey as
// secret when the key does not name its own id ("AKID:SECRET").
const DefaultAccessKeyID = "AKIAEMULATOR00000000"

// DefaultModels are the Bedrock model ids served when Options.Models is
// empty: Mistral models Bedrock lists (it sells no Medium) and the eu./us.
// inference profiles of one of them.
func DefaultModels() []string {
	return []string{
		"mistral.mistral-large-3-675b-instruct",
		"mistral.mistral-large-2407-v1:0",
		"mistral.pixtral-large-2502-v1:0",
		"eu.mistral.pixtral-large-2502-v1:0",
		"us.mistral.pixtral-large-2502-v1:0",
	}
}

// Server is the Bedrock emulator.
type Server struct {
	opts   emukit.Options
	ctl    *emukit.Controller
	mux    *http.ServeMux
	auth   verifier
	region string
}

// New returns an emulator for DefaultRegion configured by opts (defaults
// filled in). Options.APIKey is both the Bedrock API key accepted as a
// bearer token and the SigV4 key pair: "AKID:SECRET", or a bare secret
// paired with DefaultAccessKeyID.
func New(opts emukit.Options) *Server { return NewInRegion(opts, DefaultRegion) }

// NewInRegion is New for another region.
func NewInRegion(opts emukit.Options, region string) *Server {
	opts = opts.WithDefaults(DefaultModels())
	id, secret, ok := strings.Cut(opts.APIKey, ":")
	if !ok {
		id, secret = DefaultAccessKeyID, opts.APIKey
	}
	s := &Server{opts: opts, ctl: opts.NewController(), mux: http.NewServeMux(), region: region,
		auth: verifier{accessKeyID: id, secret: secret, bearer: opts.APIKey, region: region, service: "bedrock", now: opts.Now}}
	s.mux.HandleFunc("POST /model/{modelId}/converse", func(w http.ResponseWriter, r *http.Request) { s.converse(w, r, false) })
	s.mux.HandleFunc("POST /model/{modelId}/converse-stream", func(w http.ResponseWriter, r *http.Request) { s.converse(w, r, true) })
	s.ctl.Register(s.mux)
	return s
}

// Controller returns the emulator's fault and stats controller.
func (s *Server) Controller() *emukit.Controller { return s.ctl }

// ServeHTTP implements http.Handler. Unknown routes get Bedrock's 404
// UnknownOperationException.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		writeError(w, http.StatusNotFound, "UnknownOperationException", "", s.requestID())
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) requestID() string {
	n := s.ctl.NextID()
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", n>>16, n)
}

func (s *Server) converse(w http.ResponseWriter, r *http.Request, stream bool) {
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	f := s.ctl.Begin(stream)
	rid := s.requestID()
	w.Header().Set("X-Amzn-Requestid", rid)
	if readErr != nil {
		s.fail(w, http.StatusBadRequest, "ValidationException", "The request body could not be read.", 0)
		return
	}
	if e := s.auth.check(r, body); e != nil {
		s.fail(w, e.status, e.code, e.message, 0)
		return
	}
	inBand := stream && f.InBandErrorAfter.On
	if f.Fails() && !inBand && f.ErrorKind != emukit.KindContentFilter {
		st, code, msg := faultError(&f)
		s.fail(w, st, code, msg, f.RetryAfter)
		return
	}
	model := r.PathValue("modelId")
	req, verr := decode(body)
	if verr != "" {
		s.fail(w, http.StatusBadRequest, "ValidationException", verr, 0)
		return
	}
	if !s.servesModel(model) {
		s.fail(w, http.StatusBadRequest, "ValidationException", "The provided model identifier is invalid.", 0)
		return
	}
	reply := emukit.Respond(&req.conv)
	if reply.PromptTokens > s.opts.ContextTokens {
		s.fail(w, http.StatusBadRequest, "ValidationException", "Input is too long for requested model.", 0)
		return
	}
	a := answerOf(&reply, f.ErrorKind == emukit.KindContentFilter)
	if stream {
		s.stream(w, r, f, &a)
		return
	}
	s.ctl.Answer(w, r, f, a.converseBody())
}

// servesModel accepts a served id, or an ARN whose resource (a foundation
// model or an inference profile) is a served id.
func (s *Server) servesModel(id string) bool {
	if strings.HasPrefix(id, "arn:") {
		parts := strings.SplitN(id, ":", 6)
		if len(parts) != 6 || parts[3] != s.region {
			return false
		}
		_, res, ok := strings.Cut(parts[5], "/")
		return ok && emukit.HasModel(s.opts.Models, res)
	}
	return emukit.HasModel(s.opts.Models, id)
}

func (s *Server) fail(w http.ResponseWriter, status int, code, msg string, retryAfter int) {
	setErrorType(w, code)
	s.ctl.Fail(w, status, errorBody(msg), retryAfter)
}
