package config

import "time"

// Upstream tunes the one HTTP client every adapter calls its provider
// with (Bedrock's, Azure's and watsonx's SDKs included; Vertex speaks gRPC
// and keeps its own connection). Zero fields take the defaults. Read at
// start only: a reload that changes it is logged, not applied.
type Upstream struct {
	// MaxIdleConnsPerHost is how many idle keep-alive connections are kept
	// to each provider host: the pool a burst reuses instead of dialing
	// and handshaking anew. There is no cap across hosts (a gateway talks
	// to few). Must be >= 0. Default: 128.
	MaxIdleConnsPerHost int `yaml:"max_idle_conns_per_host"`
	// IdleConnTimeout closes a pooled connection idle this long. Must be
	// >= 0. Default: 90s.
	IdleConnTimeout Duration `yaml:"idle_conn_timeout"`
	// TLSHandshakeTimeout bounds a TLS handshake with a provider. Must be
	// >= 0. Default: 10s.
	TLSHandshakeTimeout Duration `yaml:"tls_handshake_timeout"`
	// HTTP2 lets the client speak HTTP/2 to a provider that offers it over
	// TLS; false keeps every call on HTTP/1.1 (a proxy that mishandles
	// HTTP/2, or one connection per stream for isolation). Default: true.
	HTTP2 *bool `yaml:"http2"`
	// CAFile is a PEM bundle of extra roots to trust, besides the system
	// ones, for every provider endpoint (a private proxy, an emulator over
	// TLS). Default: system roots only.
	CAFile string `yaml:"ca_file"`
}

// Defaults of server.upstream. Field comments above state the same values.
const (
	DefaultUpstreamIdlePerHost     = 128
	DefaultUpstreamIdleConnTimeout = Duration(90 * time.Second)
	DefaultUpstreamTLSHandshake    = Duration(10 * time.Second)
)

// WithDefaults returns u with its zero fields set to the defaults.
func (u Upstream) WithDefaults() Upstream {
	setZero(&u.MaxIdleConnsPerHost, DefaultUpstreamIdlePerHost, false)
	setZero(&u.IdleConnTimeout, DefaultUpstreamIdleConnTimeout, false)
	setZero(&u.TLSHandshakeTimeout, DefaultUpstreamTLSHandshake, false)
	if u.HTTP2 == nil {
		on := true
		u.HTTP2 = &on
	}
	return u
}

// validateUpstream checks server.upstream; zero fields mean defaults.
func validateUpstream(p *problems, u *Upstream) {
	if u.MaxIdleConnsPerHost < 0 {
		p.add("server.upstream.max_idle_conns_per_host", "must be >= 0")
	}
	if u.IdleConnTimeout < 0 {
		p.add("server.upstream.idle_conn_timeout", "must be >= 0")
	}
	if u.TLSHandshakeTimeout < 0 {
		p.add("server.upstream.tls_handshake_timeout", "must be >= 0")
	}
}
