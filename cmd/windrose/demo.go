package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	configfiles "github.com/windrose-gw/windrose/config"
	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// demo starts every provider emulator on loopback and the gateway in front
// of them with config/demo.yaml. It needs no credentials and no network.
func demo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "gateway listen address")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	env := map[string]string{}
	for _, name := range emulator.Names() {
		vars, cleanup, err := startEmulator(name)
		if err != nil {
			fmt.Fprintf(stderr, "windrose demo: emulator %s: %v\n", name, err)
			return 1
		}
		defer cleanup()
		for k, v := range vars {
			env[k] = v
		}
	}
	cfg, err := config.Parse(configfiles.Demo, func(k string) string { return env[k] })
	if err != nil {
		fmt.Fprintf(stderr, "windrose demo: config/demo.yaml: %v\n", err)
		return 1
	}
	cfg.Server.Listen = *listen
	if cfg.Server.AllowPinning == nil {
		pin := true // the demo is for trying things, pinning included
		cfg.Server.AllowPinning = &pin
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "windrose demo: %v\n", err)
		return 1
	}
	return runGateway(cfg, ln, stderr, func() {
		fmt.Fprintf(stdout, `windrose demo is up on http://%[1]s (emulated providers: %[2]s)

Try it:
  curl -s http://%[1]s/v1/chat/completions -H 'Content-Type: application/json' \
    -d '{"model":"mistral-medium","messages":[{"role":"user","content":"Hello from the demo"}]}'

Stream it:
  curl -sN http://%[1]s/v1/chat/completions -H 'Content-Type: application/json' \
    -d '{"model":"mistral-medium","stream":true,"messages":[{"role":"user","content":"Hello"}]}'

Metrics: http://%[1]s/metrics   Stop: Ctrl-C
`, ln.Addr().String(), strings.Join(emulator.Names(), ", "))
	})
}

// emulatorBase is the part of a provider's base URL after the host, as its
// adapter expects it (OpenRouter's API lives under /api).
var emulatorBase = map[string]string{"openrouter": "/api"}

// startEmulator serves one emulator on a free loopback port and returns
// the variables demo.yaml uses for it: WINDROSE_DEMO_<NAME>_URL, the base
// URL its adapter should use, and for an emulator with its own API
// listener (Vertex's gRPC over TLS) WINDROSE_DEMO_<NAME>_ENDPOINT and
// WINDROSE_DEMO_<NAME>_CA_FILE, the file holding the certificate to trust.
func startEmulator(name string) (map[string]string, func(), error) {
	cleanup := func() {}
	h, err := emulator.New(name, emukit.Options{})
	if err != nil {
		return nil, cleanup, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, cleanup, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	prefix := "WINDROSE_DEMO_" + strings.ToUpper(name)
	vars := map[string]string{prefix + "_URL": "http://" + ln.Addr().String() + emulatorBase[name]}
	apiAddr, caPEM, hasAPI, err := emulator.StartAPI(h, "127.0.0.1:0")
	if err != nil || !hasAPI {
		return vars, cleanup, err
	}
	ca, err := os.CreateTemp("", "windrose-demo-"+name+"-ca-*.pem")
	if err != nil {
		return nil, cleanup, err
	}
	defer ca.Close()
	if _, err := ca.Write(caPEM); err != nil {
		return nil, cleanup, err
	}
	vars[prefix+"_ENDPOINT"], vars[prefix+"_CA_FILE"] = apiAddr, ca.Name()
	return vars, func() { _ = os.Remove(ca.Name()) }, nil
}
