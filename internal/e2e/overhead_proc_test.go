package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// rssPhase is how long each mode runs against the windrose process.
const rssPhase = 5 * time.Second

// rssRows builds cmd/windrose, serves a config pointing at upstreamURL as
// its own process, drives it at latencyRate for rssPhase per mode, and
// reports its resident memory from /proc: the idle RSS, the highest RSS
// sampled under load and the kernel's high-water mark (VmHWM).
func rssRows(t *testing.T, upstreamURL string) []string {
	t.Helper()
	if runtime.GOOS != "linux" {
		return []string{"rss: skipped (needs /proc)"}
	}
	bin := buildWindrose(t)
	base, pid := startWindrose(t, bin, upstreamURL)
	idle := procStatusKB(t, pid, "VmRSS")
	c := newLoadClient()
	defer c.CloseIdleConnections()

	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if kb := procStatusKB(t, pid, "VmRSS"); kb > peak.Load() {
					peak.Store(kb)
				}
			}
		}
	}()
	var rows []string
	for _, stream := range []bool{false, true} {
		p := percentiles(openLoop(t, c, base, bodyFor(stream), latencyRate, rssPhase))
		rows = append(rows, fmt.Sprintf("process   %-9s @%d req/s  windrose p50 %s p99 %s p99.9 %s",
			map[bool]string{false: "nonstream", true: "stream"}[stream], latencyRate, ms(p[0]), ms(p[1]), ms(p[2])))
	}
	close(stop)
	<-sampled
	hwm := procStatusKB(t, pid, "VmHWM")
	rows = append(rows, fmt.Sprintf("process   RSS idle %.1f MB, peak sampled under load %.1f MB, VmHWM %.1f MB",
		float64(idle)/1024, float64(peak.Load())/1024, float64(hwm)/1024))
	return rows
}

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

// startWindrose runs `windrose serve` on a free loopback port and waits
// until it is ready. Its access log goes to a file in the test's temporary
// directory, so writing it costs what it costs in production. It is
// stopped with SIGTERM when the test ends.
func startWindrose(t *testing.T, bin, upstreamURL string) (string, int) {
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
	logFile, err := os.Create(filepath.Join(dir, "windrose.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		_ = logFile.Close()
	})
	base := "http://" + addr
	waitReady(t, base, exited, logFile.Name())
	return base, cmd.Process.Pid
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
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Errorf("reading %s: %v", field, err)
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			t.Errorf("%s: %q: %v", field, rest, err)
		}
		return kb
	}
	t.Errorf("/proc/%d/status has no %s", pid, field)
	return 0
}
