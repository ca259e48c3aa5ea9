// Package emulator builds windrose's local provider emulators by name, for
// `windrose emulate`, `windrose demo` and the offline conformance tests.
package emulator

import (
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"

	"github.com/windrose-gw/windrose/internal/emulator/azure"
	"github.com/windrose-gw/windrose/internal/emulator/bedrock"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/emulator/mistral"
	"github.com/windrose-gw/windrose/internal/emulator/openrouter"
	"github.com/windrose-gw/windrose/internal/emulator/vertex"
	"github.com/windrose-gw/windrose/internal/emulator/watsonx"
)

// constructors maps each provider that has an emulator to its constructor.
// Built per call so there is no package-level state.
func constructors() map[string]func(emukit.Options) http.Handler {
	return map[string]func(emukit.Options) http.Handler{
		"mistral":    func(o emukit.Options) http.Handler { return mistral.New(o) },
		"openrouter": func(o emukit.Options) http.Handler { return openrouter.New(o) },
		"bedrock":    func(o emukit.Options) http.Handler { return bedrock.New(o) },
		"azure":      func(o emukit.Options) http.Handler { return azure.New(o) },
		"watsonx":    func(o emukit.Options) http.Handler { return watsonx.New(o) },
		"vertex":     func(o emukit.Options) http.Handler { return vertex.New(o) },
	}
}

// New returns the emulator of provider configured by opts. It fails on an
// unknown provider or an invalid initial fault set.
func New(provider string, opts emukit.Options) (http.Handler, error) {
	build, ok := constructors()[provider]
	if !ok {
		return nil, fmt.Errorf("no emulator for provider %q (have: %s)", provider, strings.Join(Names(), ", "))
	}
	if err := opts.Faults.Validate(); err != nil {
		return nil, fmt.Errorf("emulator %s: faults: %w", provider, err)
	}
	return build(opts), nil
}

// Names lists the providers that have an emulator, sorted.
func Names() []string {
	names := make([]string, 0, 8)
	for name := range constructors() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// APIServer is an emulator whose API is not its http.Handler: Vertex's
// gRPC service over TLS. Its handler serves only the /_emulator/ control
// endpoints; the API runs on a listener of its own, with a certificate
// generated at start that clients must trust.
type APIServer interface {
	http.Handler
	// ServeAPI serves the API on ln until Close.
	ServeAPI(ln net.Listener) error
	// CAPEM is the PEM certificate clients must trust.
	CAPEM() []byte
	// Close stops the API.
	Close()
}

// StartAPI serves h's API on a fresh loopback listener at addr
// ("127.0.0.1:0" for any port) when h is an APIServer, and returns the
// address and the certificate to trust; ok is false for a plain HTTP
// emulator, which needs nothing more.
func StartAPI(h http.Handler, addr string) (apiAddr string, caPEM []byte, ok bool, err error) {
	api, isAPI := h.(APIServer)
	if !isAPI {
		return "", nil, false, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, true, err
	}
	go func() { _ = api.ServeAPI(ln) }()
	return ln.Addr().String(), api.CAPEM(), true, nil
}
