// Package azure emulates Azure AI Foundry's chat API in front of a Mistral
// model (PROVIDERS.md §3), written from Azure's documented wire format
// alone so that the adapter's tests compare two independent readings:
//
//   - POST /models/chat/completions?api-version=…   (Foundry Models inference; model = deployment)
//   - POST /openai/deployments/{deployment}/chat/completions?api-version=…   (Azure OpenAI style)
//   - POST /chat/completions and /v1/chat/completions   (serverless endpoint; api-version optional)
//   - GET /{tenant}/v2.0/.well-known/openid-configuration, POST /{tenant}/oauth2/v2.0/token
//     (Entra ID: serve the handler on TLS for azidentity, which needs an https authority)
//   - POST/GET /_emulator/faults, GET /_emulator/stats
//
// Credentials: the api-key header (Foundry and OpenAI routes; the
// serverless route also takes Authorization: Bearer <key>), or an Entra
// bearer token issued by the emulator's own token endpoint for the route's
// audience and not yet expired. The client secret (or workload identity's
// federated assertion) the token endpoint accepts is the emulator's key.
//
// A prompt containing "emulator:filter" gets a 200 answer cut short with
// finish_reason content_filter, as Azure's output filter does.
package azure

import (
	"crypto/subtle"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valyala/fastjson"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// maxBody bounds a request body.
const maxBody = 32 << 20

// DefaultModels are the deployment names served when Options.Models is
// empty: Medium 3 under its default deployment name.
func DefaultModels() []string { return []string{"mistral-medium-2505"} }

// Config is what the Azure emulator adds to emukit.Options.
type Config struct {
	// TokenLifetime is how long an issued Entra token is valid (expires_in).
	// Default 1h.
	TokenLifetime time.Duration
	// RefreshIn, when set, is sent as the token response's refresh_in.
	// Default: not sent.
	RefreshIn time.Duration
}

// Route styles, as the stats name them.
const (
	routeModels     = "models"
	routeOpenAI     = "openai"
	routeServerless = "serverless"
)

// Supported api-versions per route (a subset of Azure's published ones).
var apiVersions = map[string][]string{
	routeModels: {"2024-05-01-preview", "2024-08-01-preview", "2025-04-01", "2025-05-01"},
	routeOpenAI: {"2024-06-01", "2024-10-21", "2024-12-01-preview", "2025-01-01-preview", "2025-04-01-preview"},
	// The serverless route needs none; one given must be a models version.
	routeServerless: {"2024-05-01-preview", "2024-08-01-preview", "2025-04-01", "2025-05-01"},
}

// Server is the Azure emulator.
type Server struct {
	opts    emukit.Options
	cfg     Config
	ctl     *emukit.Controller
	mux     *http.ServeMux
	parsers fastjson.ParserPool
	tokens  tokens

	discoveries, tokenRequests, tokensIssued, tokenFailures atomic.Int64
	expiredRejected, entraCalls                             atomic.Int64
}

// New returns an emulator configured by opts with the default Config.
func New(opts emukit.Options) *Server { return NewWithConfig(opts, Config{}) }

// NewWithConfig returns an emulator configured by opts and cfg (defaults
// filled in). The initial faults are used as given: validate them first.
func NewWithConfig(opts emukit.Options, cfg Config) *Server {
	opts = opts.WithDefaults(DefaultModels())
	if cfg.TokenLifetime <= 0 {
		cfg.TokenLifetime = time.Hour
	}
	s := &Server{opts: opts, cfg: cfg, ctl: opts.NewController(), mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /models/chat/completions", s.route(routeModels))
	s.mux.HandleFunc("POST /openai/deployments/{deployment}/chat/completions", s.route(routeOpenAI))
	s.mux.HandleFunc("POST /chat/completions", s.route(routeServerless))
	s.mux.HandleFunc("POST /v1/chat/completions", s.route(routeServerless))
	s.mux.HandleFunc("GET /info", s.info(routeServerless))
	s.mux.HandleFunc("GET /models/info", s.info(routeModels))
	s.mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", s.discovery)
	s.mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.tokenEndpoint)
	s.mux.HandleFunc("GET /_emulator/entra", s.entraStats)
	s.ctl.Register(s.mux)
	return s
}

// Controller returns the emulator's fault and stats controller.
func (s *Server) Controller() *emukit.Controller { return s.ctl }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// EntraStats counts the Entra traffic, for tests of token caching.
type EntraStats struct {
	Discoveries     int64 `json:"discoveries"`      // openid-configuration reads
	TokenRequests   int64 `json:"token_requests"`   // POSTs to the token endpoint
	TokensIssued    int64 `json:"tokens_issued"`    // successful ones
	TokenFailures   int64 `json:"token_failures"`   // wrong secret, bad grant…
	BearerCalls     int64 `json:"bearer_calls"`     // chat calls authorised by an Entra token
	ExpiredRejected int64 `json:"expired_rejected"` // chat calls refused for an expired token
}

// Entra returns the Entra counters.
func (s *Server) Entra() EntraStats {
	return EntraStats{Discoveries: s.discoveries.Load(), TokenRequests: s.tokenRequests.Load(),
		TokensIssued: s.tokensIssued.Load(), TokenFailures: s.tokenFailures.Load(),
		BearerCalls: s.entraCalls.Load(), ExpiredRejected: s.expiredRejected.Load()}
}

func (s *Server) entraStats(w http.ResponseWriter, _ *http.Request) {
	st := s.Entra()
	b := []byte(`{"discoveries":` + strconv.FormatInt(st.Discoveries, 10) + `,"token_requests":` + strconv.FormatInt(st.TokenRequests, 10) +
		`,"tokens_issued":` + strconv.FormatInt(st.TokensIssued, 10) + `,"token_failures":` + strconv.FormatInt(st.TokenFailures, 10) +
		`,"bearer_calls":` + strconv.FormatInt(st.BearerCalls, 10) + `,"expired_rejected":` + strconv.FormatInt(st.ExpiredRejected, 10) + `}`)
	emukit.WriteJSON(w, http.StatusOK, b)
}

// info serves the model-info route (GET /info, GET /models/info): the
// endpoint's model, its type and provider.
func (s *Server) info(route string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if status, b := checkVersion(r, route); b != nil {
			emukit.WriteJSON(w, status, b)
			return
		}
		if b := s.authorize(r, route); b != nil {
			emukit.WriteJSON(w, http.StatusUnauthorized, b)
			return
		}
		emukit.WriteJSON(w, http.StatusOK, marshal(map[string]string{
			"model_name": s.opts.Models[0], "model_type": "chat-completion", "model_provider_name": "MistralAI"}))
	}
}

func (s *Server) route(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.chat(w, r, name) }
}

// authorize checks the request's credential for route; it returns the 401
// body to send, or nil.
func (s *Server) authorize(r *http.Request, route string) []byte {
	if k := r.Header.Get("api-key"); k != "" {
		if subtle.ConstantTimeCompare([]byte(k), []byte(s.opts.APIKey)) == 1 {
			return nil
		}
		return keyError()
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return keyError()
	}
	if route == routeServerless && emukit.BearerOK(r, s.opts.APIKey) {
		return nil
	}
	audience := AudienceCognitive
	if route == routeServerless {
		audience = AudienceML
	}
	valid, expired := s.tokens.check(tok, audience, s.opts.Now())
	switch {
	case valid:
		s.entraCalls.Add(1)
		return nil
	case expired:
		s.expiredRejected.Add(1)
		return tokenError(audience, "expired")
	}
	return tokenError(audience, "invalid")
}

// checkVersion validates the api-version query parameter for route.
func checkVersion(r *http.Request, route string) (int, []byte) {
	v := r.URL.Query().Get("api-version")
	if v == "" {
		if route == routeServerless {
			return 0, nil
		}
		return http.StatusBadRequest, errorBody("MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.", "")
	}
	for _, ok := range apiVersions[route] {
		if v == ok {
			return 0, nil
		}
	}
	return http.StatusBadRequest, errorBody("BadRequest", "API version not supported", "")
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request, route string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	p := s.parsers.Get()
	defer s.parsers.Put(p)
	var v *fastjson.Value
	if err == nil {
		v, err = p.ParseBytes(body)
	}
	f := s.ctl.Begin(err == nil && v.GetBool("stream"))
	s.ctl.Note("last_route", route)
	s.ctl.Note("last_extra_parameters", r.Header.Get("extra-parameters"))
	if status, b := checkVersion(r, route); b != nil {
		s.ctl.Fail(w, status, b, 0)
		return
	}
	if b := s.authorize(r, route); b != nil {
		s.ctl.Fail(w, http.StatusUnauthorized, b, 0)
		return
	}
	if f.Fails() {
		s.failFault(w, &f)
		return
	}
	if err != nil {
		s.ctl.Fail(w, http.StatusBadRequest, errorBody("BadRequest", "Invalid JSON in request body", ""), 0)
		return
	}
	if v.Type() != fastjson.TypeObject {
		s.ctl.Fail(w, http.StatusBadRequest, errorBody("BadRequest", "Request body must be a JSON object", ""), 0)
		return
	}
	deployment, status, b := s.deployment(r, route, v)
	if b != nil {
		s.ctl.Fail(w, status, b, 0)
		return
	}
	req, status, b := decode(v, r.Header.Get("extra-parameters"))
	if b != nil {
		s.ctl.Fail(w, status, b, 0)
		return
	}
	reply := emukit.Respond(&req.conv)
	if reply.PromptTokens+req.conv.MaxTokens > s.opts.ContextTokens {
		s.ctl.Fail(w, http.StatusBadRequest, contextBody(s.opts.ContextTokens, reply.PromptTokens+req.conv.MaxTokens), 0)
		return
	}
	if req.filter {
		filterReply(&reply)
	}
	created := s.opts.Now().Unix()
	m := meta{id: "chatcmpl-emu" + strconv.FormatUint(s.ctl.NextID(), 10), created: created, model: deployment, openai: route == routeOpenAI}
	w.Header().Set("apim-request-id", m.id)
	w.Header().Set("x-ms-region", "Sweden Central")
	if req.stream {
		s.stream(w, r, f, &m, &reply)
		return
	}
	s.ctl.Answer(w, r, f, m.response(&reply))
}

// deployment resolves which deployment the request is for: the path on
// the OpenAI route, the body's model on the models route, the endpoint's
// one model on serverless.
func (s *Server) deployment(r *http.Request, route string, v *fastjson.Value) (string, int, []byte) {
	switch route {
	case routeOpenAI:
		d := r.PathValue("deployment")
		if !emukit.HasModel(s.opts.Models, d) {
			return "", http.StatusNotFound, deploymentNotFound()
		}
		return d, 0, nil
	case routeModels:
		model := string(v.GetStringBytes("model"))
		if model == "" {
			return "", http.StatusBadRequest, errorBody("BadRequest", "Missing required parameter: model", "model")
		}
		if !emukit.HasModel(s.opts.Models, model) {
			return "", http.StatusBadRequest, unknownModel(model)
		}
		return model, 0, nil
	}
	return s.opts.Models[0], 0, nil
}
