package upstream

import (
	"crypto/tls"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/config"
)

func on(v bool) *bool { return &v }

// TestSettingsReachTransport checks each server.upstream setting lands on
// the transport, and zero fields take the documented defaults.
func TestSettingsReachTransport(t *testing.T) {
	tests := []struct {
		name      string
		u         config.Upstream
		perHost   int
		idle, tls time.Duration
		h2        bool
	}{
		{"defaults", config.Upstream{}, 128, 90 * time.Second, 10 * time.Second, true},
		{"set", config.Upstream{MaxIdleConnsPerHost: 7, IdleConnTimeout: config.Duration(5 * time.Second),
			TLSHandshakeTimeout: config.Duration(2 * time.Second), HTTP2: on(false)}, 7, 5 * time.Second, 2 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.u)
			if err != nil {
				t.Fatal(err)
			}
			tr := c.Transport.(*http.Transport)
			if tr.MaxIdleConnsPerHost != tt.perHost || tr.IdleConnTimeout != tt.idle || tr.TLSHandshakeTimeout != tt.tls {
				t.Errorf("per host %d, idle %v, handshake %v; want %d, %v, %v",
					tr.MaxIdleConnsPerHost, tr.IdleConnTimeout, tr.TLSHandshakeTimeout, tt.perHost, tt.idle, tt.tls)
			}
			if tr.Protocols.HTTP2() != tt.h2 || !tr.Protocols.HTTP1() {
				t.Errorf("protocols %v, want HTTP/2 %v and HTTP/1", tr.Protocols, tt.h2)
			}
			if c.Timeout != 0 || tr.ResponseHeaderTimeout != 0 {
				t.Error("a client timeout would cut long streams; the executor bounds attempts")
			}
		})
	}
}

// TestHTTP2Switch checks the protocol really negotiated with a TLS server
// that offers HTTP/2: HTTP/2 when on, HTTP/1.1 when off. The server's
// certificate is trusted through ca_file.
func TestHTTP2Switch(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(r.Proto))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := writeCA(t, srv.TLS)
	for _, tt := range []struct {
		http2 *bool
		want  string
	}{{nil, "HTTP/2.0"}, {on(true), "HTTP/2.0"}, {on(false), "HTTP/1.1"}} {
		c, err := NewClient(config.Upstream{HTTP2: tt.http2, CAFile: ca})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		c.CloseIdleConnections()
		if string(body) != tt.want || resp.Proto != tt.want {
			t.Errorf("http2 %v: server saw %s, client %s; want %s", deref(tt.http2), body, resp.Proto, tt.want)
		}
	}
}

func deref(b *bool) any {
	if b == nil {
		return "unset"
	}
	return *b
}

// TestCAFile checks a bad ca_file is an error naming the setting, and that
// without it a self-signed server is not trusted.
func TestCAFile(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, []byte("no certificate here"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(t.TempDir(), "missing.pem"), empty} {
		if _, err := NewClient(config.Upstream{CAFile: path}); err == nil || !strings.Contains(err.Error(), "server.upstream.ca_file") {
			t.Errorf("ca_file %s: err %v, want one naming server.upstream.ca_file", path, err)
		}
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	if resp, err := Default().Get(srv.URL); err == nil {
		_ = resp.Body.Close()
		t.Error("an unknown self-signed certificate was trusted")
	}
}

// writeCA writes the test server's certificate as a PEM file.
func writeCA(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	der := cfg.Certificates[0].Certificate[0]
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
