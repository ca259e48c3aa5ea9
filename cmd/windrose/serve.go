package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	configfiles "github.com/windrose-gw/windrose/config"
	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/gateway"
	"github.com/windrose-gw/windrose/internal/telemetry"
	"github.com/windrose-gw/windrose/providers/all"
)

func serve(args []string, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "windrose.yaml", "config file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := config.Load(*path, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "windrose: %s:\n%v\n", *path, err)
		return 1
	}
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		fmt.Fprintf(stderr, "windrose: %v\n", err)
		return 1
	}
	return runGatewayFile(cfg, *path, ln, stderr, nil)
}

// runGateway serves cfg on ln (see runGatewayFile), with no file to reload.
func runGateway(cfg *config.Config, ln net.Listener, stderr io.Writer, started func()) int {
	return runGatewayFile(cfg, "", ln, stderr, started)
}

// runGatewayFile serves cfg on ln until SIGTERM or SIGINT, then drains:
// /readyz turns 503 at once, new requests are still served for drain_delay,
// then the listener closes and in-flight requests and streams get
// shutdown_grace to finish. started, when set, is called once serving.
// With path set, SIGHUP and a change of the file (its directory is
// watched, for Kubernetes' ConfigMap symlink swap) reload it.
func runGatewayFile(cfg *config.Config, path string, ln net.Listener, stderr io.Writer, started func()) int {
	log, err := telemetry.NewLogger(cfg.Server.LogLevel)
	if err != nil {
		fmt.Fprintf(stderr, "windrose: %v\n", err)
		return 1
	}
	defer func() { _ = log.Sync() }()
	prices, err := config.LoadPrices(configfiles.Prices)
	if err != nil {
		fmt.Fprintf(stderr, "windrose: built-in price table: %v\n", err)
		return 1
	}
	reg := prometheus.NewRegistry()
	telemetry.RegisterBuildInfo(reg, version)
	tracing, err := telemetry.NewTracing(cfg.Telemetry.Tracing, version)
	if err != nil {
		fmt.Fprintf(stderr, "windrose: telemetry.tracing: %v\n", err)
		return 1
	}
	defer func() { // flush the last spans, but never hang the exit on a collector
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tracing.Shutdown(ctx)
	}()
	gw, err := gateway.New(cfg, gateway.Options{Providers: all.Registry(), Logger: log, Prices: prices, Registry: reg, Tracer: tracing.Tracer})
	if err != nil {
		fmt.Fprintf(stderr, "windrose: %v\n", err)
		return 1
	}
	defer func() { _ = gw.Close() }() // after the drain: adapters' own connections
	srv := gateway.HTTPServer(&cfg.Server, gw.Server, zap.NewStdLog(log))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errc := make(chan error, 2) // the API server and the admin one
	go func() { errc <- srv.Serve(ln) }()
	if cfg.Server.AdminListen != "" {
		// Probes and scrapes on their own port; it closes last, so
		// /readyz keeps saying "draining" for the whole drain.
		aln, err := net.Listen("tcp", cfg.Server.AdminListen)
		if err != nil {
			fmt.Fprintf(stderr, "windrose: server.admin_listen: %v\n", err)
			_ = srv.Close()
			return 1
		}
		admin := gateway.HTTPServer(&cfg.Server, gw.Server.Admin(), zap.NewStdLog(log))
		go func() { errc <- admin.Serve(aln) }()
		defer func() { _ = admin.Close() }()
		log.Info("serving admin endpoints", zap.String("admin_listen", aln.Addr().String()))
	}
	if path != "" {
		watchConfig(ctx, gw, path, log)
	}
	log.Info("serving", zap.String("listen", ln.Addr().String()), zap.String("version", version))
	if started != nil {
		started()
	}
	select {
	case err := <-errc:
		log.Error("server stopped", zap.Error(err))
		return 1
	case <-ctx.Done():
	}
	grace := cfg.Server.ShutdownGrace.D()
	log.Info("draining", zap.Duration("drain_delay", cfg.Server.DrainDelay.D()), zap.Duration("grace", grace))
	gw.Server.SetReady(false)
	// Keep serving (with /readyz at 503) until load balancers have noticed.
	time.Sleep(cfg.Server.DrainDelay.D())
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("drain incomplete; closing remaining connections", zap.Error(err))
		_ = srv.Close()
		return 1
	}
	log.Info("stopped")
	return 0
}

func validate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "windrose.yaml", "config file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := config.Load(*path, os.Getenv)
	if err == nil {
		// Build every adapter too, so an options typo or a kind this binary
		// lacks fails here rather than at serve.
		err = gateway.CheckAdapters(cfg, all.Registry())
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s:\n%v\n", *path, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	return 0
}

// watchConfig reloads path on SIGHUP and when the file changes, until ctx
// ends.
func watchConfig(ctx context.Context, gw *gateway.Gateway, path string, log *zap.Logger) {
	if data, err := os.ReadFile(path); err == nil {
		gw.SetLoaded(data)
	}
	if err := gw.Watch(ctx, path, os.Getenv, 250*time.Millisecond); err != nil {
		log.Warn("config file not watched; SIGHUP still reloads", zap.Error(err))
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				_ = gw.ReloadFile(path, os.Getenv, "SIGHUP", true)
			}
		}
	}()
}
