package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	emuazure "github.com/windrose-gw/windrose/internal/emulator/azure"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// azureFlags are `windrose emulate --provider azure`'s own settings: the
// Entra authority needs https (azidentity refuses anything else), so the
// emulator also listens on TLS with a self-signed certificate.
type azureFlags struct {
	tlsListen     string
	certFile      string
	tokenLifetime time.Duration
	refreshIn     time.Duration
}

func registerAzureFlags(fs *flag.FlagSet) *azureFlags {
	f := &azureFlags{}
	fs.StringVar(&f.tlsListen, "tls-listen", "127.0.0.1:0", "azure: TLS listen address of the Entra authority (and the chat routes)")
	fs.StringVar(&f.certFile, "tls-cert-out", "", "azure: write the self-signed certificate (PEM) here, e.g. for SSL_CERT_FILE")
	fs.DurationVar(&f.tokenLifetime, "token-lifetime", time.Hour, "azure: lifetime of issued Entra tokens")
	fs.DurationVar(&f.refreshIn, "token-refresh-in", 0, "azure: refresh_in sent with tokens (0: not sent)")
	return f
}

// azureHandler builds the Azure emulator with the flags' token settings.
func (f *azureFlags) handler(opts emukit.Options) (http.Handler, error) {
	if err := opts.Faults.Validate(); err != nil {
		return nil, fmt.Errorf("emulator azure: faults: %w", err)
	}
	return emuazure.NewWithConfig(opts, emuazure.Config{TokenLifetime: f.tokenLifetime, RefreshIn: f.refreshIn}), nil
}

// serveTLS serves h on the TLS listener and tells the user how to point
// an adapter's entra.authority_host at it. It returns the server to shut down.
func (f *azureFlags) serveTLS(h http.Handler, stdout io.Writer) (*http.Server, error) {
	cfg, certPEM, err := emuazure.SelfSignedTLS()
	if err != nil {
		return nil, err
	}
	if f.certFile != "" {
		if err := os.WriteFile(f.certFile, certPEM, 0o644); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", f.tlsListen)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, TLSConfig: cfg}
	go func() { _ = srv.Serve(tls.NewListener(ln, cfg)) }()
	fmt.Fprintf(stdout, "Entra authority on https://%s/ (tenant: any; client secret: the --api-key)\n", ln.Addr())
	if f.certFile != "" {
		fmt.Fprintf(stdout, "its certificate is in %s (trust it with SSL_CERT_FILE)\n", f.certFile)
	}
	return srv, nil
}
