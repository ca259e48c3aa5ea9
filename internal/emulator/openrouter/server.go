// Package openrouter emulates OpenRouter's OpenAI-compatible chat API
// (PROVIDERS.md §6), written from the documented wire format alone so that
// the adapter's tests compare two independent readings of the spec.
package openrouter

import (
	"fmt"
	"io"
	"net/http"

	"github.com/valyala/fastjson"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// maxBody bounds a request body; a full 131k-token prompt fits easily.
const maxBody = 32 << 20

// Notes the emulator keeps in its stats about the last chat request.
const (
	NoteReferer = "last_referer" // the HTTP-Referer header
	NoteTitle   = "last_title"   // X-OpenRouter-Title, else the legacy X-Title
)

// DefaultModels are the model slugs served when Options.Models is empty.
func DefaultModels() []string {
	return []string{"mistralai/mistral-medium-3.1", "mistralai/mistral-medium-3"}
}

// Server is the OpenRouter emulator: POST /api/v1/chat/completions,
// GET /api/v1/models and the /_emulator/ control endpoints.
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
	s := &Server{opts: opts, ctl: opts.NewController(), mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /api/v1/chat/completions", s.chat)
	s.mux.HandleFunc("GET /api/v1/models", s.models)
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
	title := r.Header.Get("X-OpenRouter-Title")
	if title == "" {
		title = r.Header.Get("X-Title")
	}
	s.ctl.Note(NoteReferer, r.Header.Get("HTTP-Referer"))
	s.ctl.Note(NoteTitle, title)
	if msg, ok := s.authError(r); !ok {
		s.ctl.Fail(w, http.StatusUnauthorized, errorBody(http.StatusUnauthorized, msg, nil), 0)
		return
	}
	if f.Fails() {
		status, b := s.faultError(&f)
		s.ctl.Fail(w, status, b, f.RetryAfter)
		return
	}
	if err != nil {
		s.ctl.Fail(w, http.StatusBadRequest, errorBody(http.StatusBadRequest, "Invalid JSON in request body", nil), 0)
		return
	}
	req, msg := decode(v)
	if req == nil {
		s.ctl.Fail(w, http.StatusBadRequest, errorBody(http.StatusBadRequest, msg, nil), 0)
		return
	}
	served, ok := s.opts.Resolve(req.model)
	if !ok {
		s.ctl.Fail(w, http.StatusBadRequest, errorBody(http.StatusBadRequest, req.model+" is not a valid model ID", nil), 0)
		return
	}
	reply := emukit.Respond(&req.conv)
	if reply.PromptTokens+req.maxTokens > s.opts.ContextTokens {
		s.ctl.Fail(w, http.StatusBadRequest, contextBody(s.opts.ContextTokens, reply.PromptTokens, req.maxTokens), 0)
		return
	}
	created := s.opts.Now().Unix()
	m := meta{id: fmt.Sprintf("gen-%d-emu%017d", created, s.ctl.NextID()), created: created, model: served}
	w.Header().Set("X-Generation-Id", m.id)
	if req.stream {
		s.stream(w, r, f, &m, &reply)
		return
	}
	s.ctl.Answer(w, r, f, m.response(&reply))
}

// authError checks the bearer key; the message tells a missing key from a
// wrong one, as OpenRouter does.
func (s *Server) authError(r *http.Request) (string, bool) {
	if emukit.BearerOK(r, s.opts.APIKey) {
		return "", true
	}
	if r.Header.Get("Authorization") == "" {
		return "No auth credentials found", false
	}
	return "User not found.", false
}

// model is one entry of GET /api/v1/models.
type model struct {
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	Created       int64             `json:"created"`
	ContextLength int               `json:"context_length"`
	Pricing       map[string]string `json:"pricing"`
}

// models lists the served slugs; like OpenRouter's, it needs no key.
func (s *Server) models(w http.ResponseWriter, _ *http.Request) {
	list := struct {
		Data []model `json:"data"`
	}{}
	for _, id := range s.opts.Models {
		list.Data = append(list.Data, model{ID: id, Name: id, Created: s.opts.Now().Unix(), ContextLength: s.opts.ContextTokens,
			Pricing: map[string]string{"prompt": "0.0000004", "completion": "0.000002"}})
	}
	emukit.WriteJSON(w, http.StatusOK, errorSafeMarshal(list))
}
