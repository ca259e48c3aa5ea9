package deploy

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// The deploy tests run the real tools. Under CI (CI=true, as .ci/run is run
// by CI) a missing tool fails the test; elsewhere the test is skipped with a
// message saying how to get the tool, so `go test ./deploy/` on a laptop
// without Prometheus still runs everything else.

// missing fails under CI and skips elsewhere.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and "+format, args...)
	}
	t.Skipf("SKIPPED (runs under CI): "+format, args...)
}

// tool returns the path of an installed tool, or skips/fails with hint.
func tool(t *testing.T, name, hint string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		missing(t, "%s is not on PATH: %s", name, hint)
	}
	return path
}

func kubectl(t *testing.T) string {
	return tool(t, "kubectl", "kubectl is part of the machine image; install it (it carries kustomize) to check deploy/kubernetes")
}

func promtool(t *testing.T) string {
	return tool(t, "promtool", "apt-get install prometheus (.ci/run does)")
}

func prometheusBin(t *testing.T) string {
	return tool(t, "prometheus", "apt-get install prometheus (.ci/run does)")
}

var helmPath = sync.OnceValues(func() (string, error) {
	if p := os.Getenv("WINDROSE_HELM"); p != "" {
		return p, nil
	}
	// .ci/helm builds the pinned Helm once with go install and caches it.
	out, err := exec.Command("bash", "../.ci/helm").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", &buildError{err, string(ee.Stderr)}
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
})

type buildError struct {
	err    error
	stderr string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.stderr }

// helm returns the pinned Helm binary (WINDROSE_HELM overrides).
func helm(t *testing.T) string {
	t.Helper()
	p, err := helmPath()
	if err != nil {
		missing(t, "building helm with .ci/helm failed: %v", err)
	}
	return p
}

// run runs a tool and returns its combined output, failing the test on a
// non-zero exit.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
