package gateway_test

import (
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/gateway"
)

// TestHTTPServerLimits: the listener applies the server limits: headers
// past max_header_bytes get 431 before any handler runs, idle keep-alive
// connections close after idle_timeout, and headers must arrive within
// ReadHeaderTimeout (a slowloris client cannot hold a connection).
func TestHTTPServerLimits(t *testing.T) {
	cfg, err := config.Parse([]byte(`server: {max_header_bytes: 2KiB, idle_timeout: 7s}
models:
  - name: m
    deployments:
      - {name: d, provider: mistral, model: x, api_key: k}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	var reached atomic.Bool
	srv := gateway.HTTPServer(&cfg.Server, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Store(true) }), nil)
	if srv.IdleTimeout != 7*time.Second || srv.ReadHeaderTimeout != gateway.ReadHeaderTimeout || srv.ReadHeaderTimeout <= 0 {
		t.Errorf("IdleTimeout %v, ReadHeaderTimeout %v", srv.IdleTimeout, srv.ReadHeaderTimeout)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 16<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || reached.Load() {
		t.Errorf("16KiB of headers: status %d (handler reached: %v), want 431", resp.StatusCode, reached.Load())
	}
}
