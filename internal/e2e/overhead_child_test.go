package e2e

// Server processes for the load test. Every server of the rig runs in its
// own process, so that the CPU time each one spends can be read from
// /proc/<pid>/stat and none of them shares a Go runtime (scheduler, GC,
// heap) with the load generator or with the other servers: the fast
// upstream and the bare proxy are this test binary run again with
// WINDROSE_RIG_CHILD set (TestRigChild), windrose is the built
// `windrose serve`.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/e2e/fastupstream"
	"github.com/windrose-gw/windrose/internal/upstream"
)

// Environment of a child process.
const (
	childRoleEnv     = "WINDROSE_RIG_CHILD"      // "upstream" or "proxy"
	childTargetEnv   = "WINDROSE_RIG_TARGET"     // proxy: the upstream's URL
	childChunksEnv   = "WINDROSE_RIG_CHUNKS"     // upstream: fastupstream.Options.Chunks
	childDelayEnv    = "WINDROSE_RIG_DELAY"      // upstream: fastupstream.Options.Delay
	childListenedMsg = "rig child listening on " // first line of its stdout
)

// TestRigChild is not a test: it is what this binary does when the load
// test starts it as one of its servers. It serves until its stdin closes
// (the parent ended or let it go).
func TestRigChild(t *testing.T) {
	role := os.Getenv(childRoleEnv)
	if role == "" {
		t.Skip("a server process of the load test; started by TestOverheadRatio")
	}
	var h http.Handler
	switch role {
	case "upstream":
		chunks, _ := strconv.Atoi(os.Getenv(childChunksEnv))
		delay, _ := time.ParseDuration(os.Getenv(childDelayEnv))
		h = fastupstream.New(fastupstream.Options{Chunks: chunks, Delay: delay})
	case "proxy":
		target, err := url.Parse(os.Getenv(childTargetEnv))
		if err != nil {
			t.Fatal(err)
		}
		h = bareProxy(target, upstream.Default().Transport)
	default:
		t.Fatalf("%s=%q: want upstream or proxy", childRoleEnv, role)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("%s%s\n", childListenedMsg, ln.Addr())
	go func() { _ = http.Serve(ln, h) }()
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = ln.Close()
}

// bareProxy is the baseline: httputil.ReverseProxy to target with the
// transport settings windrose uses upstream. Full duplex keeps net/http
// from closing the client's request body when the response starts while
// the transport's write loop is still checking that body for EOF: without
// it, about one long stream in a few hundred is cut with "invalid Read on
// closed Body" (Go 1.26).
func bareProxy(target *url.URL, transport http.RoundTripper) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport: transport,
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		rp.ServeHTTP(w, req)
	})
}

// server is one process of the rig.
type server struct {
	url  string
	pid  int
	stop func() // ends the process; safe to call more than once
}

// pinServers is the command prefix that binds a server to core 0 ("" when
// taskset is missing; the test then says its numbers are unpinned).
var pinServers []string

// pinning binds the calling test process (the load generator) to core 1
// and makes later servers start on core 0, when taskset exists and there
// are two cores or more. It returns what was done, for the report.
func pinning(t *testing.T) string {
	t.Helper()
	ts, err := exec.LookPath("taskset")
	if err != nil {
		return "unpinned: taskset not found; servers and load share every core"
	}
	if n := runtime.NumCPU(); n < 2 {
		return fmt.Sprintf("unpinned: %d core", n)
	}
	out, err := exec.Command(ts, "-a", "-p", "-c", "1", strconv.Itoa(os.Getpid())).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("unpinned: taskset failed: %v: %s", err, out)
	}
	pinServers = []string{ts, "-c", "0"}
	return "pinned: servers (upstream, proxy, windrose) on core 0, load generator on core 1"
}

// startChild runs this test binary as a server with the given role and
// environment, and returns once it listens. It stops with the test.
func startChild(t *testing.T, env ...string) server {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	argv := append(append([]string{}, pinServers...), self, "-test.run=^TestRigChild$", "-test.count=1")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	if gd := serverGODEBUG(); gd != "" {
		cmd.Env = append(cmd.Env, gd)
		cmd.Stderr = gcLines(t, strings.Join(env, " "), os.Stderr)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := sync.OnceFunc(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	t.Cleanup(stop)
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), childListenedMsg); ok {
				addr <- a
			}
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatalf("rig child %v exited before listening", env)
		}
		return server{url: "http://" + a, pid: cmd.Process.Pid, stop: stop}
	case <-time.After(15 * time.Second):
		t.Fatalf("rig child %v did not listen within 15s", env)
	}
	return server{}
}

// startUpstream starts a fast upstream with chunks content chunks per
// stream and delay between them.
func startUpstream(t *testing.T, chunks int, delay time.Duration) server {
	t.Helper()
	return startChild(t, childRoleEnv+"=upstream", childChunksEnv+"="+strconv.Itoa(chunks), childDelayEnv+"="+delay.String())
}

// startProxy starts the bare proxy in front of upstream.
func startProxy(t *testing.T, upstream string) server {
	t.Helper()
	return startChild(t, childRoleEnv+"=proxy", childTargetEnv+"="+upstream)
}

// cpuTicks is the user plus system CPU time of process pid so far, in
// clock ticks (fields 14 and 15 of /proc/<pid>/stat, all threads).
func cpuTicks(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Errorf("cpu time of %d: %v", pid, err)
		return 0
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3
	if len(f) < 13 {
		t.Errorf("/proc/%d/stat: %d fields after the name", pid, len(f))
		return 0
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Errorf("/proc/%d/stat: utime %q stime %q", pid, f[11], f[12])
	}
	return u + s
}

// clockTick is the length of one /proc clock tick (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond
