package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/emulator"
	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// buildBinary builds the real windrose binary once for the process tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "windrose")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("server: {listen: nowhere}\nmodels:\n  - name: m\n    deployments:\n      - {name: a, provider: nope, model: x, weight: 0}\n"), 0o600)
	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string // substrings of stdout+stderr
	}{
		// No command prints usage and fails, as CLIs do.
		{"no args", nil, 2, []string{"Usage:"}},
		{"unknown command", []string{"frobnicate"}, 2, []string{`unknown command "frobnicate"`}},
		{"version", []string{"version"}, 0, []string{"windrose dev"}},
		// validate must report every problem at once, each with its path.
		{"validate bad", []string{"validate", "--config", bad}, 1, []string{
			"server.listen", "models[0].deployments[0].provider", "models[0].deployments[0].weight: must be > 0"}},
		{"validate example", []string{"validate", "--config", "../../config/windrose.example.yaml"}, 0, []string{": ok"}},
		{"emulate unknown provider", []string{"emulate", "--provider", "nope"}, 2, []string{"nope"}},
	}
	// The example reads its credentials from the environment.
	for _, k := range []string{"WINDROSE_CLIENT_KEY", "MISTRAL_API_KEY", "OPENROUTER_API_KEY", "AZURE_AI_RESOURCE",
		"AZURE_AI_API_KEY", "WATSONX_API_KEY", "INTERNAL_LLM_KEY", "GOOGLE_CLOUD_PROJECT"} {
		t.Setenv(k, "placeholder")
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			code := run(tc.args, &out, &out)
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d\n%s", code, tc.wantCode, out.String())
			}
			for _, s := range tc.wantOut {
				if !strings.Contains(out.String(), s) {
					t.Errorf("output lacks %q:\n%s", s, out.String())
				}
			}
		})
	}
}

// TestGracefulShutdown runs the real binary, starts a slow stream, sends
// SIGTERM mid-stream and checks that the stream still completes with its
// [DONE], that new connections are refused, and that the process exits 0:
// a rolling deploy must never cut an answer in half.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	emu, err := emulator.New("mistral", emukit.Options{Faults: emukit.Faults{ChunkDelay: emukit.Duration(80 * time.Millisecond)}})
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(emu)
	defer up.Close()
	addr := freeAddr(t)
	cfg := fmt.Sprintf(`server: {listen: %q, shutdown_grace: 10s, drain_delay: 400ms, log_level: warn}
models:
  - name: mistral-medium
    deployments:
      - {name: mistral, provider: mistral, model: mistral-medium-2508, base_url: %q, api_key: emulator-key}
`, addr, up.URL)
	path := filepath.Join(t.TempDir(), "w.yaml")
	os.WriteFile(path, []byte(cfg), 0o600)
	cmd := exec.Command(bin, "serve", "--config", path)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	base := "http://" + addr
	waitReady(t, base)

	body := `{"model":"mistral-medium","stream":true,"messages":[{"role":"user","content":"one two three four five six"}]}`
	resp, err := http.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "data: ") {
		t.Fatalf("first line %q, %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// During drain_delay /readyz says 503 (load balancers stop sending)
	// while the listener still answers.
	deadline := time.Now().Add(3 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never answered 503 during the drain delay (last: %v)", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Then new connections are refused.
	deadline = time.Now().Add(3 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	rest, err := readAll(r)
	if err != nil {
		t.Fatalf("in-flight stream broken by shutdown: %v\n%s", err, rest)
	}
	if !strings.Contains(rest, "data: [DONE]") {
		t.Fatalf("in-flight stream did not finish:\n%s", rest)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v, want 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not exit after drain")
	}
}

func readAll(r *bufio.Reader) (string, error) {
	var b strings.Builder
	_, err := r.WriteTo(&b)
	return b.String(), err
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("gateway never became ready")
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
