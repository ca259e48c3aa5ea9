package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
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
