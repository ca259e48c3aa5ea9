package main

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	configfiles "github.com/windrose-gw/windrose/config"
	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
	"github.com/windrose-gw/windrose/providers/all"
)

// The demo's Vertex deployment talks gRPC over TLS to the emulator, with
// the generated certificate handed over through ca_file: the variables the
// demo sets make config/demo.yaml's deployment answer, stream and not.
func TestDemoVertexOverTLS(t *testing.T) {
	env := map[string]string{}
	for _, name := range emulator.Names() {
		vars, cleanup, err := startEmulator(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cleanup)
		for k, v := range vars {
			env[k] = v
		}
	}
	ca := env["WINDROSE_DEMO_VERTEX_CA_FILE"]
	if pem, err := os.ReadFile(ca); err != nil || !strings.Contains(string(pem), "BEGIN CERTIFICATE") || env["WINDROSE_DEMO_VERTEX_ENDPOINT"] == "" {
		t.Fatalf("vertex demo vars %v: CA file %v", env, err)
	}
	cfg, err := config.Parse(configfiles.Demo, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var dep *config.Deployment
	for i := range cfg.Models[0].Deployments {
		if d := &cfg.Models[0].Deployments[i]; d.Name == "vertex" {
			dep = d
		}
	}
	if dep == nil || dep.Region != "europe-west4" || dep.Model != "mistral-medium-3" {
		t.Fatalf("demo.yaml vertex deployment = %+v", dep)
	}
	p, err := all.Registry().Build(*dep, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req := &llm.ChatRequest{Model: "mistral-medium", Messages: []llm.Message{{Role: llm.RoleUser, Content: "Hello from the demo"}}}
	resp, err := p.Chat(ctx, req)
	if err != nil || resp.Usage == nil || resp.Usage.CompletionTokens == 0 {
		t.Fatalf("chat: %+v, %v", resp, err)
	}
	s, err := p.ChatStream(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for {
		if _, err := s.Next(); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("stream: %v", err)
			}
			break
		}
	}
}
