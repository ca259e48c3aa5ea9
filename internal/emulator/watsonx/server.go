// Package watsonx emulates IBM watsonx.ai's chat API and the IBM Cloud IAM
// token service in front of it (PROVIDERS.md §5), written from the
// documented wire format alone so that the adapter's tests compare two
// independent readings of the spec.
//
// One handler serves both hosts: POST /identity/token (IAM's API key grant)
// and POST /ml/v1/text/chat and /ml/v1/text/chat_stream, which accept only
// tokens it issued and not yet expired. Point the adapter's iam_url and
// base_url at the same address.
package watsonx

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// maxBody bounds a request body; a full 128k-token prompt fits easily.
const maxBody = 32 << 20

// DefaultModels are the model ids served when Options.Models is empty.
func DefaultModels() []string { return []string{"mistralai/mistral-medium-2505"} }

// Server is the watsonx emulator.
type Server struct {
	opts    emukit.Options
	ctl     *emukit.Controller
	iam     *iam
	mux     *http.ServeMux
	parsers fastjson.ParserPool
}

// New returns an emulator configured by opts, with an honest IAM whose
// tokens live DefaultTokenLifetime. opts.APIKey is the IAM API key.
func New(opts emukit.Options) *Server { return NewWithIAM(opts, IAM{}) }

// NewWithIAM returns an emulator whose token service behaves as cfg says.
func NewWithIAM(opts emukit.Options, cfg IAM) *Server {
	opts = opts.WithDefaults(DefaultModels())
	s := &Server{opts: opts, ctl: opts.NewController(), mux: http.NewServeMux()}
	s.iam = newIAM(opts.APIKey, opts.Now, cfg)
	s.mux.HandleFunc("POST /identity/token", s.token)
	s.mux.HandleFunc("POST /ml/v1/text/chat", func(w http.ResponseWriter, r *http.Request) { s.chat(w, r, false) })
	s.mux.HandleFunc("POST /ml/v1/text/chat_stream", func(w http.ResponseWriter, r *http.Request) { s.chat(w, r, true) })
	s.mux.HandleFunc("GET /ml/v1/foundation_model_specs", s.specs)
	s.mux.HandleFunc("POST /_emulator/iam", s.postIAM)
	s.mux.HandleFunc("GET /_emulator/iam", s.getIAM)
	s.ctl.Register(s.mux)
	return s
}

// Controller returns the emulator's fault and stats controller.
func (s *Server) Controller() *emukit.Controller { return s.ctl }

// IAMStats returns the token service's counters.
func (s *Server) IAMStats() IAMStats { return s.iam.stats() }

// SetIAM replaces the token service's settings; tokens already issued keep
// their lifetimes.
func (s *Server) SetIAM(cfg IAM) { s.iam.cfg.Store(&cfg) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) fail(w http.ResponseWriter, status int, code, msg string, seq uint64) {
	s.ctl.Fail(w, status, errorBody(status, code, msg, seq), 0)
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request, stream bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	p := s.parsers.Get()
	defer s.parsers.Put(p)
	var v *fastjson.Value
	if err == nil {
		v, err = p.ParseBytes(body)
	}
	f := s.ctl.Begin(stream)
	seq := s.ctl.NextID()
	if code := s.iam.check(r); code != "" {
		s.fail(w, http.StatusUnauthorized, code, tokenMessage(code), seq)
		return
	}
	switch {
	case f.Fails():
		status, b := s.faultError(&f, seq)
		s.ctl.Fail(w, status, b, f.RetryAfter)
		return
	case r.URL.Query().Get("version") == "":
		s.fail(w, http.StatusBadRequest, codeInvalidInput, "Missing required query parameter: version", seq)
		return
	case err != nil:
		s.fail(w, http.StatusBadRequest, codeJSONType, "The request body is not valid JSON", seq)
		return
	}
	req, e := decode(v)
	if e != nil {
		s.fail(w, http.StatusBadRequest, e.code, e.msg, seq)
		return
	}
	if !emukit.HasModel(s.opts.Models, req.model) {
		s.fail(w, http.StatusNotFound, codeModel, fmt.Sprintf("Model '%s' is not supported", req.model), seq)
		return
	}
	if id, badID := badToolCallID(&req.conv); badID && strings.HasPrefix(req.model, "mistralai/") {
		s.fail(w, http.StatusBadRequest, codeInvalidInput,
			"Tool call id was "+id+" but must be a-z, A-Z, 0-9, with a length of 9.", seq)
		return
	}
	replies := emukit.RespondN(&req.conv)
	if p := replies[0].PromptTokens; p > s.opts.ContextTokens {
		s.fail(w, http.StatusBadRequest, codeInvalidInput, contextMessage(p, s.opts.ContextTokens), seq)
		return
	}
	m := meta{id: fmt.Sprintf("chatcmpl-%032x", seq), created: s.opts.Now(), model: req.model}
	if stream {
		var deadline time.Time
		if req.timeLimit > 0 {
			deadline = time.Now().Add(time.Duration(req.timeLimit) * time.Millisecond)
		}
		s.stream(w, r, f, &m, replies, deadline)
		return
	}
	s.ctl.Answer(w, r, f, m.response(replies))
}

// specs serves GET /ml/v1/foundation_model_specs, the public model catalogue
// (no token needed), listing the served models with their context window.
func (s *Server) specs(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("version") == "" {
		s.fail(w, http.StatusBadRequest, codeInvalidInput, "Missing required query parameter: version", s.ctl.NextID())
		return
	}
	b := []byte(`{"total_count":`)
	b = strconv.AppendInt(b, int64(len(s.opts.Models)), 10)
	b = append(b, `,"resources":[`...)
	for i, id := range s.opts.Models {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"model_id":`...)
		b = emukit.AppendString(b, id)
		b = append(b, `,"provider":"Mistral AI","functions":[{"id":"text_chat"}],"model_limits":{"max_sequence_length":`...)
		b = strconv.AppendInt(b, int64(s.opts.ContextTokens), 10)
		b = append(b, `}}`...)
	}
	emukit.WriteJSON(w, http.StatusOK, append(b, `]}`...))
}
