package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// emulate runs one provider emulator alone, for tests, chaos runs and
// benchmarks.
func emulate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("emulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	provider := fs.String("provider", "", fmt.Sprintf("provider to emulate: %v", emulator.Names()))
	listen := fs.String("listen", "127.0.0.1:0", "listen address")
	var opts emukit.Options
	fs.StringVar(&opts.APIKey, "api-key", "emulator-key", "the credential the emulator accepts")
	fs.IntVar(&opts.ContextTokens, "context-tokens", 0, "context window in tokens (0: the provider's default)")
	fs.Int64Var(&opts.Seed, "seed", 1, "seed for fault sampling")
	control := fs.String("control-listen", "127.0.0.1:0", "for an emulator with its own API listener (vertex: gRPC over TLS on --listen), where the /_emulator/ control endpoints listen")
	caOut := fs.String("ca-out", "", "for vertex: write the generated TLS certificate (PEM) to this file (default: a temp file)")
	faults := emukit.RegisterFlags(fs)
	az := registerAzureFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts.Faults = *faults
	h, err := emulator.New(*provider, opts)
	if err == nil && *provider == "azure" {
		h, err = az.handler(opts)
	}
	if err != nil {
		fmt.Fprintf(stderr, "windrose emulate: %v\n", err)
		return 2
	}
	if _, isAPI := h.(emulator.APIServer); isAPI {
		return emulateAPI(h, *provider, *listen, *control, *caOut, stdout, stderr)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "windrose emulate: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Fprintf(stdout, "emulating %s on http://%s\n", *provider, ln.Addr())
	if *provider == "azure" {
		tlsSrv, err := az.serveTLS(h, stdout)
		if err != nil {
			fmt.Fprintf(stderr, "windrose emulate: %v\n", err)
			return 1
		}
		defer tlsSrv.Close()
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return 0
}

// emulateAPI runs an emulator whose API has its own listener (Vertex's
// gRPC over TLS on listen) with its control endpoints on control, and
// writes the certificate clients must trust to caOut.
func emulateAPI(h http.Handler, provider, listen, control, caOut string, stdout, stderr io.Writer) int {
	apiAddr, caPEM, _, err := emulator.StartAPI(h, listen)
	if err != nil {
		fmt.Fprintf(stderr, "windrose emulate: %v\n", err)
		return 1
	}
	defer h.(emulator.APIServer).Close()
	if caOut == "" {
		f, err := os.CreateTemp("", "windrose-"+provider+"-ca-*.pem")
		if err != nil {
			fmt.Fprintf(stderr, "windrose emulate: %v\n", err)
			return 1
		}
		caOut = f.Name()
		_ = f.Close()
		defer os.Remove(caOut)
	}
	if err := os.WriteFile(caOut, caPEM, 0o644); err != nil {
		fmt.Fprintf(stderr, "windrose emulate: %v\n", err)
		return 1
	}
	ln, err := net.Listen("tcp", control)
	if err != nil {
		fmt.Fprintf(stderr, "windrose emulate: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Fprintf(stdout, "emulating %s: gRPC over TLS on %s (trust %s), control endpoints on http://%s\n", provider, apiAddr, caOut, ln.Addr())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return 0
}
