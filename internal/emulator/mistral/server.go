// Package mistral emulates Mistral La Plateforme's chat-completions API
// (PROVIDERS.md §1), written from the documented wire format alone so that
// the adapter's tests compare two independent readings of the spec.
package mistral

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/valyala/fastjson"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// maxBody bounds a request body; a full 128k-token prompt fits easily.
const maxBody = 32 << 20

// DefaultModels are the model ids served when Options.Models is empty.
func DefaultModels() []string {
	return []string{"mistral-medium-2508", "mistral-medium-2505", "mistral-medium-3-5"}
}

// DefaultAliases are the moving names the Mistral API resolves (PROVIDERS.md
// §0): "mistral-medium-latest" and "mistral-medium-3" now mean Medium 3.5,
// and the answer names the model that served.
func DefaultAliases() map[string]string {
	return map[string]string{"mistral-medium-latest": "mistral-medium-3-5", "mistral-medium-3": "mistral-medium-3-5"}
}

// Server is the Mistral emulator: POST /v1/chat/completions, GET /v1/models
// and the /_emulator/ control endpoints.
type Server struct {
	opts    emukit.Options
	ctl     *emukit.Controller
	mux     *http.ServeMux
	parsers fastjson.ParserPool
}

// New returns an emulator configured by opts (defaults filled in). The
// initial faults are used as given: validate them first (Faults.Validate).
func New(opts emukit.Options) *Server {
	opts = opts.WithDefaults(DefaultModels())
	if opts.Aliases == nil {
		opts.Aliases = DefaultAliases()
	}
	s := &Server{opts: opts, ctl: opts.NewController(), mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /v1/chat/completions", s.chat)
	s.mux.HandleFunc("GET /v1/models", s.models)
	s.ctl.Register(s.mux)
	return s
}

// Controller returns the emulator's fault and stats controller.
func (s *Server) Controller() *emukit.Controller { return s.ctl }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	p := s.parsers.Get()
	defer s.parsers.Put(p)
	var v *fastjson.Value
	if err == nil {
		v, err = p.ParseBytes(body)
	}
	f := s.ctl.Begin(err == nil && v.GetBool("stream"))
	seq := s.ctl.NextID()
	switch {
	case !emukit.BearerOK(r, s.opts.APIKey):
		s.ctl.Fail(w, http.StatusUnauthorized, unauthorizedBody(fmt.Sprintf("%032x", seq)), 0)
		return
	case f.Fails():
		status, b := s.faultError(&f, fmt.Sprintf("%032x", seq), faultModel(v, s.opts.Models[0]))
		s.ctl.Fail(w, status, b, f.RetryAfter)
		return
	case err != nil:
		s.ctl.Fail(w, http.StatusUnprocessableEntity, validationBody([]detail{{Type: "json_invalid",
			Loc: []any{"body", 0}, Msg: "JSON decode error", Input: json.RawMessage("{}")}}), 0)
		return
	}
	req, details := decode(v)
	if details != nil {
		s.ctl.Fail(w, http.StatusUnprocessableEntity, validationBody(details), 0)
		return
	}
	served, ok := s.opts.Resolve(req.model)
	if !ok {
		s.ctl.Fail(w, http.StatusBadRequest, invalidModelBody(req.model), 0)
		return
	}
	if id, bad := badToolCallID(&req.conv); bad {
		s.ctl.Fail(w, http.StatusBadRequest, toolCallIDBody(id), 0)
		return
	}
	if msg, bad := prefixProblem(req, f.RefusePrefix); bad {
		s.ctl.Fail(w, http.StatusBadRequest, prefixBody(msg), 0)
		return
	}
	req.conv.Variant = f.ReplyVariant
	replies := emukit.RespondN(&req.conv)
	if p := replies[0].PromptTokens; p > s.opts.ContextTokens {
		s.ctl.Fail(w, http.StatusBadRequest, contextBody(p, s.opts.ContextTokens), 0)
		return
	}
	m := meta{id: fmt.Sprintf("cmpl-%032x", seq), created: s.opts.Now().Unix(), model: served}
	if req.stream {
		s.stream(w, r, f, &m, replies)
		return
	}
	s.ctl.Answer(w, r, f, m.response(replies))
}

// model is one entry of GET /v1/models.
type model struct {
	ID               string          `json:"id"`
	Object           string          `json:"object"`
	Created          int64           `json:"created"`
	OwnedBy          string          `json:"owned_by"`
	Capabilities     map[string]bool `json:"capabilities"`
	MaxContextLength int             `json:"max_context_length"`
	Type             string          `json:"type"`
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	if !emukit.BearerOK(r, s.opts.APIKey) {
		emukit.WriteJSON(w, http.StatusUnauthorized, unauthorizedBody(fmt.Sprintf("%032x", s.ctl.NextID())))
		return
	}
	list := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list"}
	for _, id := range s.opts.Models {
		list.Data = append(list.Data, model{ID: id, Object: "model", Created: s.opts.Now().Unix(), OwnedBy: "mistralai",
			Capabilities:     map[string]bool{"completion_chat": true, "function_calling": true, "vision": true},
			MaxContextLength: s.opts.ContextTokens, Type: "base"})
	}
	emukit.WriteJSON(w, http.StatusOK, marshal(list))
}

// faultModel is the model id a fault's error names: the request's, else
// the emulator's first.
func faultModel(v *fastjson.Value, def string) string {
	if v != nil {
		if m := v.GetStringBytes("model"); len(m) > 0 {
			return string(m)
		}
	}
	return def
}
