package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildWindrose builds ./cmd/windrose into a temporary directory.
func buildWindrose(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found from the test's directory: %v", err)
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	bin := filepath.Join(t.TempDir(), "windrose")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./cmd/windrose")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/windrose: %v\n%s", err, out)
	}
	return bin
}

// startWindrose runs `windrose serve` on a free loopback port (on the
// servers' core when pinned, see pinning) and waits until it is ready. Its
// access log goes to a file in the test's temporary directory, so writing
// it costs what it costs in production. It is stopped with SIGTERM by
// stop, or when the test ends.
func startWindrose(t *testing.T, bin, upstreamURL string) server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	dir := t.TempDir()
	cfg := overheadConfig(addr, upstreamURL)
	cfgPath := filepath.Join(dir, "windrose.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// Not beside the config: windrose watches the config's directory for
	// reloads, and every access-log line written there would wake it.
	logFile, err := os.Create(filepath.Join(t.TempDir(), "windrose.log"))
	if err != nil {
		t.Fatal(err)
	}
	argv := append(append([]string{}, pinServers...), bin, "serve", "--config", cfgPath)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if os.Getenv("WINDROSE_LOADTEST_LOG") == "devnull" {
		// To tell the access log's writes apart from the rest in the tail.
		cmd.Stdout, cmd.Stderr = nil, nil
	}
	if gd := serverGODEBUG(); gd != "" {
		cmd.Env = append(os.Environ(), gd)
		cmd.Stderr = gcLines(t, "windrose", logFile)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := sync.OnceFunc(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		_ = logFile.Close()
	})
	t.Cleanup(stop)
	base := "http://" + addr
	waitReady(t, base, exited, logFile.Name())
	return server{url: base, pid: cmd.Process.Pid, stop: stop}
}

// waitReady polls /readyz for up to 15 s.
func waitReady(t *testing.T, base string, exited <-chan struct{}, logPath string) {
	t.Helper()
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			out, _ := os.ReadFile(logPath)
			t.Fatalf("windrose exited before it was ready:\n%s", out)
		default:
		}
		if resp, err := c.Get(base + "/readyz"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("windrose at %s was not ready within 15s", base)
}

// procStatusKB reads one "Vm…: N kB" line of /proc/<pid>/status.
func procStatusKB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	v, err := readStatusField(fmt.Sprintf("/proc/%d/status", pid), field)
	if err != nil {
		t.Error(err)
		return 0
	}
	kb, err := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
	if err != nil {
		t.Errorf("%s: %q: %v", field, v, err)
	}
	return kb
}

// readStatusField returns the value of one "Name: value" line of a
// /proc/.../status file.
func readStatusField(path, field string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, rest, ok := strings.Cut(sc.Text(), ":"); ok && name == field {
			return strings.TrimSpace(rest), nil
		}
	}
	return "", fmt.Errorf("%s has no %s", path, field)
}

// serverGODEBUG is GODEBUG for the servers, from WINDROSE_LOADTEST_GODEBUG
// (say gctrace=1, to see the heap each front end runs at), or "".
func serverGODEBUG() string {
	if v := os.Getenv("WINDROSE_LOADTEST_GODEBUG"); v != "" {
		return "GODEBUG=" + v
	}
	return ""
}

// gcLines returns a writer for a server's stderr that copies the runtime's
// trace lines ("gc ...", "scvg...") to the test's stderr labelled with
// who, and everything to rest.
func gcLines(t *testing.T, who string, rest io.Writer) io.Writer {
	pr, pw := io.Pipe()
	t.Cleanup(func() { _ = pw.Close() })
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "gc ") || strings.HasPrefix(line, "scvg") {
				fmt.Fprintf(os.Stderr, "[%s] %s\n", who, line)
			}
			fmt.Fprintln(rest, line)
		}
	}()
	return pw
}
