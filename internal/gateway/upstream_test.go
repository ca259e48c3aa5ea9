package gateway_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/gateway"
	"github.com/windrose-gw/windrose/providers/all"
)

// TestUpstreamCAFileMissing checks that serve and validate both refuse a
// server.upstream.ca_file that cannot be read, naming the setting, rather
// than calling providers with roots other than the ones asked for.
func TestUpstreamCAFileMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.pem")
	yaml := "server: {upstream: {ca_file: " + missing + "}}\n" +
		"models: [{name: m, deployments: [{name: a, provider: mistral, model: mistral-medium-2508, api_key: k}]}]\n"
	cfg, err := config.Parse([]byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gateway.New(cfg, gateway.Options{Providers: all.Registry()}); err == nil || !strings.Contains(err.Error(), "server.upstream.ca_file") {
		t.Errorf("New: %v, want an error naming server.upstream.ca_file", err)
	}
	if err := gateway.CheckAdapters(cfg, all.Registry()); err == nil || !strings.Contains(err.Error(), "server.upstream.ca_file") {
		t.Errorf("CheckAdapters: %v, want an error naming server.upstream.ca_file", err)
	}
}
