package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeReloads: the binary reloads on SIGHUP (even an unchanged file)
// and on a change of the file, without a restart.
func TestServeReloads(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	addr := freeAddr(t)
	conf := func(model string) []byte {
		return []byte(fmt.Sprintf(`server: {listen: %q, log_level: warn}
models:
  - name: %s
    deployments:
      - {name: d, provider: mistral, model: mistral-medium-2508, base_url: "http://127.0.0.1:1", api_key: k}
`, addr, model))
	}
	path := filepath.Join(t.TempDir(), "w.yaml")
	if err := os.WriteFile(path, conf("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", path)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := "http://" + addr
	waitReady(t, base)
	get := func(p string) string {
		resp, err := http.Get(base + p)
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	eventually := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("never: %s", what)
			}
		}
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually("SIGHUP counted a reload", func() bool {
		return strings.Contains(get("/metrics"), `windrose_config_reloads_total{result="success"} 1`)
	})
	if err := os.WriteFile(path, conf("second"), 0o600); err != nil {
		t.Fatal(err)
	}
	eventually("the changed file serves model second", func() bool {
		m := get("/v1/models")
		return strings.Contains(m, `"second"`) && !strings.Contains(m, `"first"`)
	})
}
