// Package vertex emulates Vertex AI's PredictionService for Mistral's
// partner models (PROVIDERS.md §4): a real gRPC server behind TLS that
// implements RawPredict and StreamRawPredict. It checks what Vertex checks
// before a model sees the request (the resource name, a bearer token in
// the authorization metadata, the x-goog-request-params routing header)
// and hands the HttpBody to Mistral's container, played by the Mistral
// emulator. The container's SSE bytes come back split across HttpBody
// messages at arbitrary byte boundaries, as Vertex relays them.
//
// It is written from Google's and Mistral's documented wire formats and
// imports nothing under providers/: the generated aiplatformpb stubs are
// Google's wire definitions, not the adapter's code.
package vertex

import (
	"crypto/tls"
	"net"
	"net/http"

	"cloud.google.com/go/aiplatform/apiv1/aiplatformpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// DefaultModels are the model ids served when Options.Models is empty.
func DefaultModels() []string { return []string{"mistral-medium-3"} }

// Locations are the Vertex locations that serve the models
// (PROVIDERS.md §4.1); others answer "not servable in region".
var Locations = []string{"us-central1", "europe-west4"}

// Server is the Vertex emulator. Its gRPC API is served by ServeAPI on a
// TLS listener; the Server itself is the http.Handler of the plain-HTTP
// /_emulator/ control endpoints (faults, stats, and GET /_emulator/ca.pem,
// the certificate a client must trust).
type Server struct {
	aiplatformpb.UnimplementedPredictionServiceServer

	opts  emukit.Options
	ctl   *emukit.Controller
	mux   *http.ServeMux
	grpc  *grpc.Server
	caPEM []byte
}

// New returns an emulator configured by opts (defaults filled in), with a
// fresh self-signed certificate for 127.0.0.1, ::1 and localhost. The
// initial faults are used as given: validate them first.
func New(opts emukit.Options) *Server {
	opts = opts.WithDefaults(DefaultModels())
	cert, caPEM, err := selfSigned()
	if err != nil {
		// Only a broken crypto/rand gets here (and Go aborts on that).
		panic("vertex emulator: generating the TLS certificate: " + err.Error())
	}
	s := &Server{opts: opts, ctl: opts.NewController(), mux: http.NewServeMux(), caPEM: caPEM}
	tc := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	s.grpc = grpc.NewServer(grpc.Creds(tc))
	aiplatformpb.RegisterPredictionServiceServer(s.grpc, s)
	s.ctl.Register(s.mux)
	s.mux.HandleFunc("GET /_emulator/ca.pem", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(s.caPEM)
	})
	return s
}

// Controller returns the emulator's fault and stats controller.
func (s *Server) Controller() *emukit.Controller { return s.ctl }

// ServeHTTP serves the control endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// ServeAPI serves the gRPC PredictionService over TLS on ln until Close.
func (s *Server) ServeAPI(ln net.Listener) error { return s.grpc.Serve(ln) }

// CAPEM returns the PEM certificate of the API's TLS listener.
func (s *Server) CAPEM() []byte { return s.caPEM }

// Close stops the gRPC server and drops its connections.
func (s *Server) Close() { s.grpc.Stop() }
