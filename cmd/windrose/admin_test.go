package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestServeAdminListen: serve opens server.admin_listen, which answers
// /metrics and /readyz, while the API listener no longer serves /metrics;
// on SIGTERM the admin port reports the drain and the process exits 0.
func TestServeAdminListen(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	addr, adminAddr := freeAddr(t), freeAddr(t)
	conf := fmt.Sprintf(`server: {listen: %q, admin_listen: %q, log_level: warn, drain_delay: 300ms}
models:
  - name: m
    deployments:
      - {name: d, provider: mistral, model: mistral-medium-2508, base_url: "http://127.0.0.1:1", api_key: k}
`, addr, adminAddr)
	path := filepath.Join(t.TempDir(), "w.yaml")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", path)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	api, admin := "http://"+addr, "http://"+adminAddr
	waitReady(t, admin)
	status := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status(admin + "/metrics"); got != 200 {
		t.Errorf("admin /metrics = %d, want 200", got)
	}
	if got := status(api + "/metrics"); got != 404 {
		t.Errorf("API /metrics = %d, want 404 with admin_listen set", got)
	}
	if got := status(api + "/v1/models"); got != 200 {
		t.Errorf("API /v1/models = %d, want 200", got)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(3 * time.Second); status(admin+"/readyz") != 503; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("admin /readyz never answered 503 during the drain")
		}
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
