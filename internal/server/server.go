// Package server is windrose's HTTP front: chi routes and middleware, the
// OpenAI chat-completions and responses endpoints, model listing (from
// internal/catalog), health and metrics.
package server

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/windrose-gw/windrose/internal/catalog"
	"github.com/windrose-gw/windrose/internal/executor"
	"github.com/windrose-gw/windrose/internal/health"
	"github.com/windrose-gw/windrose/internal/keys"
	"github.com/windrose-gw/windrose/internal/responsestore"
	"github.com/windrose-gw/windrose/internal/telemetry"
)

// Options configures a Server.
type Options struct {
	Catalog  *catalog.Catalog // the first snapshot's routes (see Swap)
	Executor *executor.Executor
	Metrics  *telemetry.Metrics
	Gatherer prometheus.Gatherer
	Logger   *zap.Logger
	// Status reports a deployment's health for GET /v1/windrose/status
	// (never for readiness: provider health must not take a replica out
	// of its Service). Nil shows every deployment as closed.
	Status       func(deployment string) health.Status
	MaxBodyBytes int64
	PreferRegion string
	Keys         *keys.Set      // client keys; empty means no client auth
	Governor     *keys.Governor // limits and metering of keys
	LogBodies    bool
	Now          func() time.Time
	// BodyReadTimeout bounds reading a request body (0: none).
	BodyReadTimeout time.Duration
	// StreamWriteTimeout bounds each write of a stream to the client (0:
	// none): a client that stops reading is cut.
	StreamWriteTimeout time.Duration
	// MaxInFlight caps the /v1 requests served at once (0: no cap).
	MaxInFlight int
	// AllowPinning lets clients pin a deployment (X-Windrose-Deployment).
	AllowPinning bool
	// Responses keeps stored Responses API responses (GET /v1/responses/{id},
	// previous_response_id); nil: no storage, and those answer 400.
	Responses responsestore.Store
	// Tracer opens a span per client request (nil: no tracing).
	Tracer trace.Tracer
	// SeparateAdmin serves /metrics and GET /v1/windrose/status only on
	// Admin (server.admin_listen), not on the API handler.
	SeparateAdmin bool
}

// Server serves the gateway's HTTP API.
type Server struct {
	o       Options
	snap    atomic.Pointer[Snapshot] // routes and keys; swapped by a reload
	handler http.Handler
	chat    http.Handler  // POST /v1/chat/completions, without the router (see ServeHTTP)
	admin   http.Handler  // nil unless Options.SeparateAdmin
	slots   chan struct{} // server.max_in_flight (nil: no cap), shared by every route
	ready   atomic.Bool
	created int64
}

// New builds the server. It starts ready; SetReady(false) when draining.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	s := &Server{o: o, created: o.Now().Unix(), slots: newSlots(o.MaxInFlight)}
	s.snap.Store(&Snapshot{Catalog: o.Catalog, Keys: o.Keys})
	s.ready.Store(true)
	api := s.router(s.slots, func(r chi.Router) {
		r.Post("/v1/chat/completions", s.chatCompletions) // served by s.chat, see ServeHTTP
		r.Post("/v1/responses", s.responses)
		r.Get("/v1/responses/{id}", s.getResponse)
		r.Delete("/v1/responses/{id}", s.deleteResponse)
		r.Get("/v1/models", s.models)
		r.Get("/v1/models/*", s.model) // ids may hold a slash (OpenRouter's)
		r.Get("/v1/windrose/keys/self", s.keySelf)
		r.Get("/v1/windrose/keys", s.keyAll)
	})
	adminRoutes := func(r chi.Router) {
		r.Handle("/metrics", promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{}))
	}
	status := func(r chi.Router) { r.Get("/v1/windrose/status", s.status) }
	if o.SeparateAdmin {
		admin := s.router(newSlots(o.MaxInFlight), status)
		admin.Group(adminRoutes)
		s.admin = admin
	} else {
		api.Group(adminRoutes)
		api.Group(func(r chi.Router) {
			r.Use(s.traced, s.limitInFlight(s.slots), s.auth)
			status(r)
		})
	}
	s.handler = api
	s.chat = requestID(s.recoverer(s.traced(s.limitInFlight(s.slots)(s.auth(http.HandlerFunc(s.chatCompletions))))))
	return s
}

// router is a router with the health endpoints and, behind tracing, the
// in-flight cap of slots and client auth, the routes v adds.
func (s *Server) router(slots chan struct{}, v func(chi.Router)) chi.Router {
	r := chi.NewRouter()
	r.Use(requestID, s.recoverer)
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { writePlain(w, http.StatusOK, "ok\n") })
	r.Get("/readyz", s.readyz)
	r.Group(func(r chi.Router) {
		r.Use(s.traced, s.limitInFlight(slots), s.auth)
		v(r)
	})
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, notFound("unknown endpoint %s %s", r.Method, r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, methodNotAllowed(r.Method, r.URL.Path))
	})
	return r
}

// newSlots is an in-flight cap of n (nil: none).
func newSlots(n int) chan struct{} {
	if n <= 0 {
		return nil
	}
	return make(chan struct{}, n)
}

// Admin is the handler for server.admin_listen: /metrics, /healthz,
// /readyz and GET /v1/windrose/status. It is nil unless
// Options.SeparateAdmin; the API handler serves them then.
func (s *Server) Admin() http.Handler { return s.admin }

// ServeHTTP implements http.Handler. POST /v1/chat/completions, nearly all
// of the traffic, goes straight to the same middleware chain the router
// would run: the router's frames stay on the stack of every stream for as
// long as it lasts (a few hundred bytes that decide whether a stream's
// goroutine fits an 8 KiB stack; BENCHMARKS.md, memory per stream), and it
// copies the request once more to carry route parameters this route has
// none of. Any other method or spelling of the path takes the router (405,
// 404, an escaped path).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/v1/chat/completions" && r.URL.RawPath == "" {
		s.chat.ServeHTTP(w, r)
		return
	}
	s.handler.ServeHTTP(w, r)
}

// SetReady flips readiness; /readyz answers 503 while not ready.
func (s *Server) SetReady(v bool) { s.ready.Store(v) }

// readyz says whether this process can take requests: its config is loaded
// and its listener up (it answers), and it is not draining. Provider health
// is deliberately not part of it: a provider outage, or every deployment
// cooling down, must not take every replica out of its Service at once;
// clients then get OpenAI-format 429/503 answers with Retry-After instead of
// connection errors. Upstream health shows in GET /v1/windrose/status,
// windrose_deployment_state and the alerts.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if !s.ready.Load() {
		writePlain(w, http.StatusServiceUnavailable, "draining\n")
		return
	}
	writePlain(w, http.StatusOK, "ready\n")
}

func writePlain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
