package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	kyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// strictSerializer decodes YAML into the registered k8s.io/api types (and
// the Prometheus Operator's), failing on unknown, misspelt or duplicated
// fields with their path, as `kubectl apply --validate=strict` would.
var strictSerializer = sync.OnceValue(func() *kjson.Serializer {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, policyv1.AddToScheme,
		networkingv1.AddToScheme, monitoringv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme,
		kjson.SerializerOptions{Yaml: true, Strict: true})
})

// decodeObjects strictly decodes every document of a multi-document YAML
// stream. Errors name the document (by index, kind and name when known) and
// the apimachinery error names the field path.
func decodeObjects(data []byte) ([]runtime.Object, error) {
	r := kyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []runtime.Object
	var errs []error
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return objs, fmt.Errorf("document %d: %w", i, err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		obj, gvk, err := strictSerializer().Decode(doc, nil, nil)
		if err != nil {
			name := ""
			if gvk != nil {
				name = " (" + gvk.Kind + ")"
			}
			errs = append(errs, fmt.Errorf("document %d%s: %w", i, name, err))
			continue
		}
		objs = append(objs, obj)
	}
	return objs, errors.Join(errs...)
}

// stripComments drops comment-only lines, so a document of only comments
// counts as empty.
func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.Bytes()
}

// kindOf names an object "Kind/name".
func kindOf(obj runtime.Object) string {
	name := ""
	if m, ok := obj.(interface{ GetName() string }); ok {
		name = m.GetName()
	}
	return obj.GetObjectKind().GroupVersionKind().Kind + "/" + name
}

// TestStrictDecodingRejects shows the strict decoder is strict: each bad
// manifest must fail, and the error must say where.
func TestStrictDecodingRejects(t *testing.T) {
	cases := []struct {
		file string
		want string // in the error
	}{
		// A misspelt container field deep in a pod template: its full path.
		{"bad-field.yaml", `unknown field "spec.template.spec.containers[0].imagePullPolcy"`},
		// A field at the wrong level (probes belong to containers).
		{"bad-level.yaml", `unknown field "spec.template.spec.livenessProbe"`},
		// The same key twice: YAML allows it, Kubernetes must not.
		{"bad-duplicate.yaml", `line 8: key "replicas" already set in map`},
		// A kind no API group serves.
		{"bad-kind.yaml", `no kind "Deploymnet" is registered`},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = decodeObjects(data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %s", err, tc.want)
			}
		})
	}
}

// TestManifestFilesDecodeStrictly decodes every Kubernetes manifest file as
// written (kustomize itself does not check field names).
func TestManifestFilesDecodeStrictly(t *testing.T) {
	for _, path := range yamlFiles(t) {
		base := filepath.Base(path)
		if !strings.HasPrefix(path, "kubernetes"+string(filepath.Separator)) || base == "windrose.yaml" || base == "kustomization.yaml" {
			continue
		}
		t.Run(path, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := decodeObjects(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) == 0 {
				t.Fatal("no Kubernetes object")
			}
		})
	}
}
