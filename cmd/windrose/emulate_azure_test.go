package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// `windrose emulate --provider azure` serves the Entra authority on TLS
// with a certificate it writes out, so a client trusting that file can
// read the discovery document.
func TestEmulateAzureTLS(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	az := registerAzureFlags(fs)
	cert := filepath.Join(t.TempDir(), "azure.pem")
	if err := fs.Parse([]string{"--tls-cert-out", cert, "--token-lifetime", "2m"}); err != nil {
		t.Fatal(err)
	}
	h, err := az.handler(emukit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	srv, err := az.serveTLS(h, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	m := regexp.MustCompile(`https://[0-9.:]+/`).FindString(out.String())
	pem, err := os.ReadFile(cert)
	if m == "" || err != nil {
		t.Fatalf("output %q, cert %v", out.String(), err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(m + "tenant/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("discovery status %d", resp.StatusCode)
	}
	// Bad faults are refused like every emulator's.
	if _, err := az.handler(emukit.Options{Faults: emukit.Faults{Rate: 2}}); err == nil {
		t.Error("bad faults accepted")
	}
}
