package vertex

import (
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	emu "github.com/windrose-gw/windrose/internal/emulator/vertex"
)

const (
	emulatorToken = "conformance-token"
	testProject   = "windrose-test"
	testRegion    = "europe-west4"
	testModel     = "mistral-medium-3"
)

// emulated is one running emulator: its control root, its gRPC endpoint
// and the file holding the certificate to trust.
type emulated struct {
	root, endpoint, caFile string
	srv                    *emu.Server
}

// running maps a control root to its emulator, so the conformance
// harness's New (which gets only the root) finds the gRPC side.
var running sync.Map

// startEmulator serves the Vertex emulator for one test: gRPC over TLS on
// one loopback port, the control endpoints on another.
func startEmulator(t testing.TB, opts emukit.Options) *emulated {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = emulatorToken
	}
	srv := emu.New(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ServeAPI(ln) }()
	ctl := httptest.NewServer(srv)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, srv.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &emulated{root: ctl.URL, endpoint: ln.Addr().String(), caFile: caFile, srv: srv}
	running.Store(e.root, e)
	t.Cleanup(func() {
		running.Delete(e.root)
		ctl.Close()
		srv.Close()
	})
	return e
}

// optionsNode renders an options block from YAML text.
func optionsNode(t testing.TB, text string) yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Content) == 0 {
		return yaml.Node{}
	}
	return *doc.Content[0]
}

// deployment is a Vertex deployment aimed at e with token tok.
func (e *emulated) deployment(t testing.TB, tok string) config.Deployment {
	return config.Deployment{Name: "vertex", Provider: Kind, Model: testModel, Region: testRegion,
		APIKey:  config.Secret(tok),
		Options: optionsNode(t, "project: "+testProject+"\nendpoint: "+e.endpoint+"\nca_file: "+e.caFile+"\n")}
}

// adapter builds an adapter against e and closes it after the test.
func (e *emulated) adapter(t testing.TB, tok string) *Adapter {
	t.Helper()
	a, err := newAdapter(e.deployment(t, tok), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}
