package deploy

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"
)

// The kustomizations are built by kubectl's own kustomize and the result is
// decoded strictly into the Kubernetes API types.

func TestKustomize(t *testing.T) {
	cases := []struct {
		dir   string
		kinds []string
		check func(*testing.T, []runtime.Object)
	}{
		// The standalone gateway: Deployment, Service, PDB, generated config.
		{"kubernetes/base", []string{"ConfigMap", "Deployment", "PodDisruptionBudget", "Service"}, checkStandalone},
		// The app with windrose as its native sidecar, and workload identity.
		{"kubernetes/sidecar", []string{"ConfigMap", "Deployment", "NetworkPolicy", "ServiceAccount"}, checkSidecarExample},
	}
	for _, tc := range cases {
		t.Run(tc.dir, func(t *testing.T) {
			out := run(t, kubectl(t), "kustomize", tc.dir)
			objs, err := decodeObjects([]byte(out))
			if err != nil {
				t.Fatalf("kustomize output does not decode strictly: %v\n%s", err, out)
			}
			var kinds []string
			for _, o := range objs {
				kinds = append(kinds, o.GetObjectKind().GroupVersionKind().Kind)
			}
			slices.Sort(kinds)
			if diff := cmp.Diff(tc.kinds, kinds); diff != "" {
				t.Errorf("kinds (-want +got):\n%s", diff)
			}
			tc.check(t, objs)
		})
	}
}

// TestKustomizeRejects shows a broken kustomization fails the build (a
// resource file that does not exist).
func TestKustomizeRejects(t *testing.T) {
	out, err := exec.Command(kubectl(t), "kustomize", "testdata/kustomize-missing").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no-such-file.yaml") {
		t.Fatalf("kubectl kustomize of a missing resource: err %v, output:\n%s", err, out)
	}
}

func checkSidecarExample(t *testing.T, objs []runtime.Object) {
	t.Helper()
	checkSidecar(t, objs)
	checkWorkloadIdentity(t, objs)
}
