package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/gateway"
	"github.com/windrose-gw/windrose/internal/health"
	"github.com/windrose-gw/windrose/providers/all"
)

// upstreams starts one Mistral emulator per name.
func upstreams(t *testing.T, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range names {
		emu, err := emulator.New("mistral", emukit.Options{})
		if err != nil {
			t.Fatal(err)
		}
		up := httptest.NewServer(emu)
		t.Cleanup(up.Close)
		out[n] = up.URL
	}
	return out
}

// reloadConfig serves model m from the named deployments, each on its own
// emulator; bad makes it invalid (a misspelt key).
func reloadConfig(urls map[string]string, bad bool, deps ...string) string {
	var b strings.Builder
	b.WriteString("server: {breaker: {consecutive_failures: 1, open_for: 1m}}\nmodels:\n  - name: m\n    deployments:\n")
	for _, d := range deps {
		fmt.Fprintf(&b, "      - {name: %s, provider: mistral, model: mistral-medium-2508, base_url: %q, api_key: emulator-key}\n", d, urls[d])
	}
	if bad {
		b.WriteString("    atempts: 2\n")
	}
	return b.String()
}

func startGateway(t *testing.T, yaml string) (*gateway.Gateway, *httptest.Server) {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(cfg, gateway.Options{Providers: all.Registry()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Server)
	t.Cleanup(func() { srv.Close(); _ = gw.Close() })
	return gw, srv
}

// call sends one request and returns the deployment that answered, or an
// error for anything but a whole 200 answer (a stream must end in [DONE]).
func call(base string, stream bool) (string, error) {
	body := fmt.Sprintf(`{"model":"m","stream":%v,"messages":[{"role":"user","content":"hi"}]}`, stream)
	resp, err := http.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	dep := resp.Header.Get("X-Windrose-Deployment")
	if !stream {
		_, err = io.ReadAll(resp.Body)
		return dep, err
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if sc.Text() == "data: [DONE]" {
			return dep, nil
		}
		if strings.Contains(sc.Text(), `"error"`) {
			return "", fmt.Errorf("in-band error: %s", sc.Text())
		}
	}
	return "", fmt.Errorf("stream from %s ended without [DONE]: %v", dep, sc.Err())
}

// TestReloadUnderLoad runs concurrent streamed and non-streamed requests
// through ten reloads, valid and invalid, adding and removing deployments:
// no request fails, each valid reload's routing takes effect at once, each
// invalid one changes nothing and is counted.
func TestReloadUnderLoad(t *testing.T) {
	urls := upstreams(t, "a", "b", "c")
	dir := t.TempDir()
	path := filepath.Join(dir, "windrose.yaml")
	gw, srv := startGateway(t, reloadConfig(urls, false, "a"))

	var stop atomic.Bool
	var wg sync.WaitGroup
	var served, failed atomic.Int64
	var errMu sync.Mutex
	var errs []error
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if _, err := call(srv.URL, i%2 == 0); err != nil {
					failed.Add(1)
					errMu.Lock()
					errs = append(errs, err)
					errMu.Unlock()
					continue
				}
				served.Add(1)
			}
		}()
	}
	steps := []struct {
		deps []string
		bad  bool
	}{
		{[]string{"a", "b"}, false}, // add one
		{[]string{"c"}, true},       // invalid: a and b keep serving
		{[]string{"b"}, false},      // remove a
		{[]string{"b", "c"}, false}, // add c
		{[]string{"a"}, true},
		{[]string{"c"}, false}, // remove b
		{[]string{"a", "c"}, false},
		{[]string{"b"}, true},
		{[]string{"a"}, false},
		{[]string{"a", "b", "c"}, false},
	}
	serving := []string{"a"}
	errorsWant := 0.0
	for i, st := range steps {
		if err := os.WriteFile(path, []byte(reloadConfig(urls, st.bad, st.deps...)), 0o600); err != nil {
			t.Fatal(err)
		}
		err := gw.ReloadFile(path, nil, "test", true)
		if st.bad != (err != nil) {
			t.Fatalf("reload %d (bad %v): err %v", i, st.bad, err)
		}
		if st.bad {
			errorsWant++
		} else {
			serving = st.deps
		}
		// New requests route by the config now serving, streams included.
		seen := map[string]bool{}
		for range 3 * len(serving) {
			for _, stream := range []bool{false, true} {
				dep, err := call(srv.URL, stream)
				if err != nil {
					t.Fatalf("after reload %d: %v", i, err)
				}
				seen[dep] = true
			}
		}
		for dep := range seen {
			if !strings.Contains(strings.Join(serving, ","), dep) {
				t.Errorf("after reload %d: answered by %q, serving %v", i, dep, serving)
			}
		}
		time.Sleep(20 * time.Millisecond) // let the load overlap the next swap
	}
	stop.Store(true)
	wg.Wait()
	if failed.Load() > 0 {
		t.Errorf("%d of %d requests failed during reloads; first: %v", failed.Load(), failed.Load()+served.Load(), errs[0])
	}
	if served.Load() < 20 {
		t.Errorf("only %d requests ran under the reloads", served.Load())
	}
	m := gw.Metrics.ConfigReloads
	if got := testutil.ToFloat64(m.WithLabelValues("error")); got != errorsWant {
		t.Errorf("reloads{result=error} = %v, want %v", got, errorsWant)
	}
	if got := testutil.ToFloat64(m.WithLabelValues("success")); got != float64(len(steps))-errorsWant {
		t.Errorf("reloads{result=success} = %v, want %v", got, float64(len(steps))-errorsWant)
	}
}

// TestReloadCarriesHealth: breaker state survives a reload for a
// deployment whose name and provider stay, and is forgotten with it.
func TestReloadCarriesHealth(t *testing.T) {
	urls := upstreams(t, "a", "b")
	gw, _ := startGateway(t, reloadConfig(urls, false, "a", "b"))
	gw.Health.Failure("a", 0) // consecutive_failures 1: open
	if s := gw.Health.State("a"); s != health.Open {
		t.Fatalf("state %v, want open", s)
	}
	reload := func(deps ...string) {
		t.Helper()
		cfg, err := config.Parse([]byte(reloadConfig(urls, false, deps...)), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := gw.Reload(cfg); err != nil {
			t.Fatal(err)
		}
	}
	reload("a")
	if s := gw.Health.State("a"); s != health.Open {
		t.Errorf("after a reload keeping a: state %v, want open", s)
	}
	reload("b")
	reload("a", "b")
	if s := gw.Health.State("a"); s != health.Closed {
		t.Errorf("after a was removed and added again: state %v, want closed", s)
	}
}

// TestWatchConfigMapSwap: a Kubernetes ConfigMap update (the ..data
// symlink swapped to a new directory) is seen and reloaded; a broken file
// is rejected and counted, and the old config keeps serving.
func TestWatchConfigMapSwap(t *testing.T) {
	urls := upstreams(t, "a", "b")
	dir := t.TempDir()
	write := func(version, yaml string) {
		t.Helper()
		d := filepath.Join(dir, "..2026_"+version)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "windrose.yaml"), []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(filepath.Base(d), tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	write("1", reloadConfig(urls, false, "a"))
	path := filepath.Join(dir, "windrose.yaml")
	if err := os.Symlink("..data/windrose.yaml", path); err != nil {
		t.Fatal(err)
	}
	gw, srv := startGateway(t, reloadConfig(urls, false, "a"))
	data, _ := os.ReadFile(path)
	gw.SetLoaded(data)
	ctx := t.Context()
	if err := gw.Watch(ctx, path, nil, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	waitFor := func(result string, want float64) {
		t.Helper()
		c := gw.Metrics.ConfigReloads.WithLabelValues(result)
		deadline := time.Now().Add(10 * time.Second)
		for testutil.ToFloat64(c) < want && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if got := testutil.ToFloat64(c); got != want {
			t.Fatalf("reloads{result=%s} = %v, want %v", result, got, want)
		}
	}
	write("2", reloadConfig(urls, false, "b"))
	waitFor("success", 1)
	if dep, err := call(srv.URL, false); err != nil || dep != "b" {
		t.Fatalf("after the swap: deployment %q, error %v; want b", dep, err)
	}
	write("3", reloadConfig(urls, true, "a"))
	waitFor("error", 1)
	if dep, err := call(srv.URL, true); err != nil || dep != "b" {
		t.Fatalf("after a broken swap: deployment %q, error %v; want b still", dep, err)
	}
}

// TestReloadLogsEveryProblem: a rejected file logs each of its problems,
// and the counter and old routes say it changed nothing.
func TestReloadLogsEveryProblem(t *testing.T) {
	urls := upstreams(t, "a")
	core, logs := observer.New(zap.InfoLevel)
	cfg, err := config.Parse([]byte(reloadConfig(urls, false, "a")), nil)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(cfg, gateway.Options{Providers: all.Registry(), Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	path := filepath.Join(t.TempDir(), "windrose.yaml")
	bad := reloadConfig(urls, true, "a") + "    strategy: sideways\n"
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := gw.ReloadFile(path, nil, "test", false); err == nil {
		t.Fatal("a broken file reloaded")
	}
	entries := logs.FilterMessage("config reload rejected; the previous config keeps serving").All()
	if len(entries) != 1 {
		t.Fatalf("%d rejection lines, want 1", len(entries))
	}
	got := fmt.Sprint(entries[0].ContextMap()["problems"])
	for _, want := range []string{"atempts", "strategy"} {
		if !strings.Contains(got, want) {
			t.Errorf("logged problems %s lack %q", got, want)
		}
	}
	if _, ok := gw.Server.Current().Catalog.Lookup("m"); !ok {
		t.Error("the old routes no longer serve")
	}
}
