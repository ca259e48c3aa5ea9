package deploy

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/windrose-gw/windrose/internal/config"
)

// The chart is linted and rendered by the real Helm (pinned in .ci/helm),
// once per values file under ci/, and every rendered object is decoded
// strictly into the Kubernetes API types.

const chartDir = "helm/windrose"

// helmTemplate renders the chart as release "gw" in namespace "llm".
func helmTemplate(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(helm(t), append([]string{"template", "gw", chartDir, "--namespace", "llm"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, &buildError{err, stderr.String()}
	}
	return out, nil
}

func TestHelmChart(t *testing.T) {
	cases := []struct {
		values string
		kinds  []string
		check  func(t *testing.T, objs []runtime.Object)
	}{
		// The defaults: a standalone gateway with Service and PDB.
		{"standalone", []string{"ConfigMap", "Deployment", "PodDisruptionBudget", "Service", "ServiceAccount"}, checkStandalone},
		// Every optional branch of the standalone mode, ServiceMonitor included.
		{"standalone-monitor", []string{"ConfigMap", "Deployment", "PodDisruptionBudget", "Service", "ServiceAccount", "ServiceMonitor"}, checkStandalone},
		// windrose beside an app: no Service (the app has its own), no PDB.
		{"sidecar", []string{"ConfigMap", "Deployment", "ServiceAccount"}, checkSidecar},
		// The sidecar has no Service, so it is monitored with a PodMonitor.
		{"sidecar-monitor", []string{"ConfigMap", "Deployment", "PodDisruptionBudget", "PodMonitor", "ServiceAccount"}, checkSidecar},
		// Workload identity annotations reach the ServiceAccount the pods use.
		{"workload-identity", []string{"ConfigMap", "Deployment", "PodDisruptionBudget", "Service", "ServiceAccount"}, func(t *testing.T, objs []runtime.Object) {
			checkStandalone(t, objs)
			checkWorkloadIdentity(t, objs)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.values, func(t *testing.T) {
			values := filepath.Join(chartDir, "ci", tc.values+"-values.yaml")
			run(t, helm(t), "lint", "--strict", chartDir, "-f", values)
			out, err := helmTemplate(t, "-f", values)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := decodeObjects(out)
			if err != nil {
				t.Fatalf("rendered chart does not decode strictly: %v\n%s", err, out)
			}
			var kinds []string
			for _, o := range objs {
				kinds = append(kinds, o.GetObjectKind().GroupVersionKind().Kind)
				if cm, ok := o.(*corev1.ConfigMap); ok {
					cfg := checkChartConfig(t, cm)
					// The kubelet must not kill streams windrose still drains.
					grace := *onlyDeployment(t, objs).Spec.Template.Spec.TerminationGracePeriodSeconds
					if need := 5 + int64(cfg.Server.ShutdownGrace.D().Seconds()); grace <= need {
						t.Errorf("terminationGracePeriodSeconds %d must exceed preStop + shutdown_grace = %ds", grace, need)
					}
				}
			}
			slices.Sort(kinds)
			if diff := cmp.Diff(tc.kinds, kinds); diff != "" {
				t.Errorf("rendered kinds (-want +got):\n%s", diff)
			}
			tc.check(t, objs)
		})
	}
}

// TestHelmValuesSchemaRejects checks values.schema.json refuses values the
// chart does not know: without it Helm ignores a typo and renders defaults.
func TestHelmValuesSchemaRejects(t *testing.T) {
	cases := []struct {
		name string
		set  string
		want string
	}{
		// A misspelt top-level key.
		{"misspelt top-level", "replicaCout=3", "replicaCout"},
		// A misspelt nested key: the ServiceMonitor would silently stay off.
		{"misspelt nested", "serviceMonitor.enabeld=true", "enabeld"},
		// A value of the wrong type.
		{"wrong type", "service.port=http", "port"},
		// A mode the chart does not have.
		{"unknown mode", "mode=daemonset", "mode"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := helmTemplate(t, "--set", tc.set)
			if err == nil {
				t.Fatalf("helm template --set %s succeeded; the schema must reject it", tc.set)
			}
			if msg := err.Error(); !strings.Contains(msg, "values don't meet the specifications of the schema") || !strings.Contains(msg, tc.want) {
				t.Fatalf("error does not name the schema violation %q:\n%s", tc.want, msg)
			}
		})
	}
}

// TestHelmAppContainerStrict shows what the schema leaves open (the app
// block is a Kubernetes Container) is still checked: strict decoding of the
// rendered Deployment names the misspelt field.
func TestHelmAppContainerStrict(t *testing.T) {
	out, err := helmTemplate(t, "--set", "mode=sidecar", "--set", "app.imagePullPolcy=Always")
	if err != nil {
		t.Fatal(err)
	}
	_, err = decodeObjects(out)
	if want := `unknown field "spec.template.spec.containers[0].imagePullPolcy"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want %s", err, want)
	}
}

// checkChartConfig validates the windrose.yaml the chart's ConfigMap carries.
func checkChartConfig(t *testing.T, cm *corev1.ConfigMap) *config.Config {
	t.Helper()
	text := cm.Data["windrose.yaml"]
	cfg, err := config.Parse([]byte(text), func(k string) string { return testEnv[k] })
	if err != nil {
		t.Fatalf("chart config does not validate:\n%v\n%s", err, text)
	}
	if cfg.Server.Listen != "0.0.0.0:8080" {
		t.Errorf("chart config listens on %s; a pod needs 0.0.0.0:8080", cfg.Server.Listen)
	}
	return cfg
}

// find returns the objects of type T.
func find[T runtime.Object](objs []runtime.Object) []T {
	var out []T
	for _, o := range objs {
		if v, ok := o.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func onlyDeployment(t *testing.T, objs []runtime.Object) *appsv1.Deployment {
	t.Helper()
	deps := find[*appsv1.Deployment](objs)
	if len(deps) != 1 {
		t.Fatalf("want one Deployment, got %d", len(deps))
	}
	return deps[0]
}

func checkStandalone(t *testing.T, objs []runtime.Object) {
	checkGatewayPod(t, &onlyDeployment(t, objs).Spec.Template.Spec)
}

func checkSidecar(t *testing.T, objs []runtime.Object) {
	t.Helper()
	spec := &onlyDeployment(t, objs).Spec.Template.Spec
	checkSidecarPod(t, spec)
	app := spec.Containers[0]
	if !slices.Contains(app.Env, corev1.EnvVar{Name: "OPENAI_BASE_URL", Value: "http://127.0.0.1:8080/v1"}) {
		t.Errorf("app container env %v lacks OPENAI_BASE_URL pointing at the sidecar", app.Env)
	}
}

func checkWorkloadIdentity(t *testing.T, objs []runtime.Object) {
	t.Helper()
	dep := onlyDeployment(t, objs)
	sas := find[*corev1.ServiceAccount](objs)
	if len(sas) != 1 || sas[0].Name != dep.Spec.Template.Spec.ServiceAccountName {
		t.Fatalf("pods run as %q; ServiceAccounts rendered: %v", dep.Spec.Template.Spec.ServiceAccountName, sas)
	}
	for _, key := range []string{"eks.amazonaws.com/role-arn", "iam.gke.io/gcp-service-account", "azure.workload.identity/client-id"} {
		if sas[0].Annotations[key] == "" {
			t.Errorf("ServiceAccount lacks annotation %s", key)
		}
	}
	if dep.Spec.Template.Labels["azure.workload.identity/use"] != "true" {
		t.Error("pod template lacks label azure.workload.identity/use=true (Azure's webhook selects on it)")
	}
}
