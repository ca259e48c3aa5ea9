package gateway

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/server"
)

// Reload swaps cfg in: its models, deployments, prices and client keys.
// Requests in flight finish on the snapshot they started with; breaker,
// cooldown and latency state carry over for deployments whose name and
// provider stay, and a model that keeps its name keeps its hedge budget
// counts (executor.Route.Live). On any problem nothing changes and the error names every
// one. Settings that need a restart (server.*, state.*, telemetry.*) are logged, not
// applied. Reload counts itself in windrose_config_reloads_total.
func (g *Gateway) Reload(cfg *config.Config) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	err := g.reload(cfg)
	g.count(err)
	return err
}

func (g *Gateway) reload(cfg *config.Config) error {
	if msg := config.ClientAuthProblem(cfg); msg != "" {
		return fmt.Errorf("server.listen: %s", msg)
	}
	if err := CheckAdapters(cfg, g.o.Providers); err != nil {
		return err
	}
	b, err := g.build(cfg)
	if err != nil {
		return err
	}
	for _, f := range restartOnly(g.cfg, cfg) {
		g.o.Logger.Warn("config reload: this setting changes only at restart", zap.String("field", f))
	}
	g.adopt(b)
	g.cfg = cfg
	g.Server.Swap(&server.Snapshot{Catalog: b.catalog, Keys: b.keys, Drained: b.close})
	return nil
}

func (g *Gateway) count(err error) {
	if err != nil {
		g.Metrics.ConfigReloads.WithLabelValues("error").Inc()
		return
	}
	g.Metrics.ConfigReloads.WithLabelValues("success").Inc()
	g.Metrics.ConfigLastReload.Set(float64(g.o.Now().Unix()))
}

// restartOnly names the top-level settings that differ between a and b but
// are read only at start: the listener and process settings (client keys
// aside: they reload) and the state store.
func restartOnly(a, b *config.Config) []string {
	if a == nil {
		return nil
	}
	as, bs := a.Server, b.Server
	as.APIKeys, bs.APIKeys, as.AdminKeys, bs.AdminKeys = nil, nil, nil, nil
	var out []string
	if !reflect.DeepEqual(as, bs) {
		out = append(out, "server")
	}
	if !reflect.DeepEqual(a.State, b.State) {
		out = append(out, "state")
	}
	if !reflect.DeepEqual(a.Telemetry, b.Telemetry) {
		out = append(out, "telemetry")
	}
	return out
}

// ReloadFile loads path and reloads it. A file that does not load or does
// not build is rejected with every problem logged, and the old config
// keeps serving. force reloads even when the file is unchanged since the
// last load (SIGHUP); a file-watch event with no change does nothing.
func (g *Gateway) ReloadFile(path string, getenv func(string) string, reason string, force bool) error {
	data, err := os.ReadFile(path)
	g.mu.Lock()
	defer g.mu.Unlock()
	log := g.o.Logger.With(zap.String("path", path), zap.String("trigger", reason))
	if err == nil {
		sum := sha256.Sum256(data)
		if !force && sum == g.reloadHash {
			return nil
		}
		g.reloadHash = sum
		var cfg *config.Config
		if cfg, err = config.Parse(data, getenv); err == nil {
			err = g.reload(cfg)
		}
	}
	g.count(err)
	if err != nil {
		log.Error("config reload rejected; the previous config keeps serving", zap.Strings("problems", problems(err)))
		return err
	}
	log.Info("config reloaded")
	return nil
}

// SetLoaded records the file content serving now, so the watcher does not
// reload it again at its first event.
func (g *Gateway) SetLoaded(data []byte) {
	g.mu.Lock()
	g.reloadHash = sha256.Sum256(data)
	g.mu.Unlock()
}

// problems splits a joined error into its lines, one problem each.
func problems(err error) []string {
	var out []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Watch reloads path when it changes, until ctx ends. It watches the
// file's directory, not the file: editors replace files by rename, and a
// Kubernetes ConfigMap volume swaps its "..data" symlink, neither of which
// an inotify watch on the old file sees. Events are debounced; the file
// is reloaded only when its content changed.
func (g *Gateway) Watch(ctx context.Context, path string, getenv func(string) string, debounce time.Duration) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := w.Add(dir); err != nil {
		_ = w.Close()
		return fmt.Errorf("watching %s: %w", dir, err)
	}
	go func() {
		defer func() { _ = w.Close() }()
		t := time.NewTimer(time.Hour)
		t.Stop()
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename|fsnotify.Remove) != 0 {
					t.Reset(debounce)
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				g.o.Logger.Warn("config watch", zap.Error(err))
			case <-t.C:
				if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
					continue // mid-swap; the next event brings it back
				}
				_ = g.ReloadFile(path, getenv, "file change", false)
			}
		}
	}()
	return nil
}
