// Package upstream builds the HTTP client windrose calls providers with,
// from server.upstream. The gateway builds one and hands it to every
// adapter (the cloud SDKs included, through their own client options), so
// every provider call shares one pool and one set of settings.
package upstream

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/windrose-gw/windrose/internal/config"
)

// NewClient returns a pooled keep-alive client configured by u (zero
// fields take the defaults). There is no overall client timeout and no
// response-header timeout: streams run for minutes and the executor bounds
// every attempt itself. The only error is an unreadable ca_file.
func NewClient(u config.Upstream) (*http.Client, error) {
	u = u.WithDefaults()
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 0 // no cap across hosts: the per-host one bounds a gateway's few
	t.MaxIdleConnsPerHost = u.MaxIdleConnsPerHost
	t.IdleConnTimeout = u.IdleConnTimeout.D()
	t.TLSHandshakeTimeout = u.TLSHandshakeTimeout.D()
	t.ResponseHeaderTimeout = 0
	// Protocols, not ForceAttemptHTTP2 alone: it holds with a custom
	// TLSClientConfig too, and "off" is then really HTTP/1.1 only.
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetHTTP2(*u.HTTP2)
	t.Protocols = &p
	t.ForceAttemptHTTP2 = *u.HTTP2
	if u.CAFile != "" {
		pool, err := roots(u.CAFile)
		if err != nil {
			return nil, fmt.Errorf("server.upstream.ca_file: %w", err)
		}
		t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: t}, nil
}

// Default returns a client with the default settings: what an adapter
// built without a shared client (a unit test, a tool) uses.
func Default() *http.Client {
	c, err := NewClient(config.Upstream{})
	if err != nil {
		panic(err) // unreachable: no ca_file to read
	}
	return c
}

// roots returns the system roots plus the PEM certificates in path.
func roots(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool() // no system roots here: trust the file's only
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New(path + " holds no PEM certificate")
	}
	return pool, nil
}
