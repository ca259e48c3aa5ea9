package deploy

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// Checks on the pod specs the chart and the kustomize bases produce, on the
// typed objects the strict decoder returns.

// checkGatewayPod checks a standalone gateway pod: windrose is its only
// container, probed for liveness and readiness, hardened.
func checkGatewayPod(t *testing.T, spec *corev1.PodSpec) {
	t.Helper()
	if len(spec.Containers) != 1 || spec.Containers[0].Name != "windrose" {
		t.Fatalf("want one container named windrose, got %d", len(spec.Containers))
	}
	c := spec.Containers[0]
	checkHardened(t, spec, &c)
	if c.LivenessProbe == nil || c.ReadinessProbe == nil {
		t.Error("windrose needs a livenessProbe (/healthz) and a readinessProbe (/readyz)")
	}
	checkProbe(t, c.LivenessProbe, "/healthz", c)
	checkProbe(t, c.ReadinessProbe, "/readyz", c)
	checkGrace(t, spec, &c)
}

// checkSidecarPod checks windrose as a native sidecar: an init container
// with restartPolicy Always (started before the app, stopped after it),
// probed on its own port, hardened, with resources.
func checkSidecarPod(t *testing.T, spec *corev1.PodSpec) {
	t.Helper()
	if len(spec.InitContainers) != 1 || spec.InitContainers[0].Name != "windrose" {
		t.Fatalf("want windrose as the one init container, got %d", len(spec.InitContainers))
	}
	c := spec.InitContainers[0]
	if c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways {
		t.Error("the windrose init container needs restartPolicy: Always to be a native sidecar")
	}
	checkHardened(t, spec, &c)
	if c.StartupProbe == nil || c.LivenessProbe == nil {
		t.Fatal("the sidecar needs a startupProbe (gates the app's start) and a livenessProbe")
	}
	checkProbe(t, c.StartupProbe, "/healthz", c)
	checkProbe(t, c.LivenessProbe, "/healthz", c)
	// A sidecar's readiness gates the pod's: /readyz must not take the app
	// out of its Service while windrose drains.
	if c.ReadinessProbe != nil {
		t.Error("the sidecar must have no readinessProbe")
	}
	if len(spec.Containers) == 0 {
		t.Fatal("no app container beside the sidecar")
	}
	for i := range spec.Containers {
		checkHardened(t, spec, &spec.Containers[i])
	}
}

// checkProbe checks an HTTP probe hits path on a port the container declares.
func checkProbe(t *testing.T, p *corev1.Probe, path string, c corev1.Container) {
	t.Helper()
	if p == nil {
		return
	}
	if p.HTTPGet == nil || p.HTTPGet.Path != path {
		t.Errorf("%s: probe %+v, want GET %s", c.Name, p.ProbeHandler, path)
		return
	}
	port := p.HTTPGet.Port.String()
	for _, cp := range c.Ports {
		if cp.Name == port {
			return
		}
	}
	t.Errorf("%s: probe port %q is not one of the container's named ports", c.Name, port)
}

// checkHardened checks the container runs non-root, read-only, with no
// capabilities and no privilege escalation, and with memory limits.
func checkHardened(t *testing.T, pod *corev1.PodSpec, c *corev1.Container) {
	t.Helper()
	sc := c.SecurityContext
	if sc == nil {
		t.Errorf("%s: no securityContext", c.Name)
		return
	}
	nonRoot := sc.RunAsNonRoot != nil && *sc.RunAsNonRoot ||
		pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot
	if !nonRoot {
		t.Errorf("%s: runAsNonRoot is not set", c.Name)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: root filesystem is writable", c.Name)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: allowPrivilegeEscalation is not false", c.Name)
	}
	if sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("%s: capabilities are not all dropped", c.Name)
	}
	if c.Resources.Requests.Memory().IsZero() {
		t.Errorf("%s: no memory request", c.Name)
	}
	if c.Name == "windrose" && c.Resources.Limits.Memory().IsZero() {
		t.Errorf("%s: no memory limit", c.Name)
	}
}

// checkGrace checks the termination grace period leaves room for the
// preStop sleep: otherwise the kubelet kills streams windrose is draining.
func checkGrace(t *testing.T, spec *corev1.PodSpec, c *corev1.Container) {
	t.Helper()
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Errorf("%s: no preStop sleep", c.Name)
		return
	}
	if spec.TerminationGracePeriodSeconds == nil || *spec.TerminationGracePeriodSeconds <= c.Lifecycle.PreStop.Sleep.Seconds {
		t.Errorf("terminationGracePeriodSeconds must exceed the preStop sleep of %ds", c.Lifecycle.PreStop.Sleep.Seconds)
	}
}
