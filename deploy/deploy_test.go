package deploy

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/windrose-gw/windrose/internal/config"
)

// testEnv stands in for the environment the manifests give windrose: every
// secret a deployment references is set, the sidecar's region is not.
var testEnv = map[string]string{
	"MISTRAL_API_KEY":     "test-mistral-key",
	"OPENROUTER_API_KEY":  "test-openrouter-key",
	"WINDROSE_CLIENT_KEY": "test-client-key",
}

// yamlFiles lists every YAML file under deploy/ except Helm templates,
// which are Go templates and only YAML once rendered (see helm_test.go), and
// testdata.
func yamlFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "templates" && strings.Contains(path, "helm") {
			return filepath.SkipDir
		}
		// testdata holds deliberately broken files for the checkers' own tests.
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(path); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 10 {
		t.Fatalf("found only %d YAML files under deploy/: %v", len(out), out)
	}
	return out
}

// decodeAll decodes every document of a multi-document YAML stream.
func decodeAll(data []byte) ([]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, err
		}
		if v != nil {
			docs = append(docs, v)
		}
	}
}

func TestYAMLFilesParse(t *testing.T) {
	for _, path := range yamlFiles(t) {
		t.Run(path, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			docs, err := decodeAll(data)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if len(docs) == 0 {
				t.Fatalf("%s: no YAML document", path)
			}
		})
	}
}

// TestKustomizationFilesExist checks that every file a kustomization names
// is there: kustomize only finds out at apply time.
func TestKustomizationFilesExist(t *testing.T) {
	for _, dir := range []string{"kubernetes/base", "kubernetes/sidecar"} {
		t.Run(dir, func(t *testing.T) {
			var k struct {
				Resources          []string `yaml:"resources"`
				ConfigMapGenerator []struct {
					Files []string `yaml:"files"`
				} `yaml:"configMapGenerator"`
			}
			data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal(data, &k); err != nil {
				t.Fatal(err)
			}
			files := slices.Clone(k.Resources)
			for _, g := range k.ConfigMapGenerator {
				files = append(files, g.Files...)
			}
			if len(files) == 0 {
				t.Fatal("kustomization names no files")
			}
			for _, f := range files {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("%s: %v", f, err)
				}
			}
		})
	}
}

// TestWindroseConfigsValidate loads every windrose config shipped here the
// way "windrose serve" would: a strict decode, defaults, validation.
func TestWindroseConfigsValidate(t *testing.T) {
	cases := []struct {
		path string
		env  map[string]string
		want map[string]string // server fields that matter in a container
	}{
		// The image's default config must listen beyond loopback.
		{"container/windrose.yaml", testEnv, map[string]string{"listen": "0.0.0.0:8080", "prefer": ""}},
		// The base's ConfigMap: all interfaces, for the Service and probes.
		{"kubernetes/base/windrose.yaml", testEnv, map[string]string{"listen": "0.0.0.0:8080", "prefer": ""}},
		// The sidecar without its region annotation: no preference.
		{"kubernetes/sidecar/windrose.yaml", testEnv, map[string]string{"listen": "0.0.0.0:8080", "prefer": ""}},
		// The sidecar with the annotation the example sets.
		{"kubernetes/sidecar/windrose.yaml", withEnv("WINDROSE_PREFER_REGION", "eu"), map[string]string{"listen": "0.0.0.0:8080", "prefer": "eu"}},
	}
	for _, tc := range cases {
		t.Run(tc.path+"/"+tc.env["WINDROSE_PREFER_REGION"], func(t *testing.T) {
			data, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Parse(data, func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatalf("%s does not validate:\n%v", tc.path, err)
			}
			got := map[string]string{"listen": cfg.Server.Listen, "prefer": cfg.Server.PreferRegion}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("server settings (-want +got):\n%s", diff)
			}
		})
	}
}

func withEnv(k, v string) map[string]string {
	m := map[string]string{k: v}
	for key, val := range testEnv {
		m[key] = val
	}
	return m
}

// TestShutdownFitsGrace checks the pod's termination grace period leaves
// room for the preStop sleep and windrose's own shutdown_grace; otherwise
// the kubelet kills streams windrose was still draining.
func TestShutdownFitsGrace(t *testing.T) {
	data, err := os.ReadFile("kubernetes/base/deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var dep struct {
		Spec struct {
			Template struct {
				Spec struct {
					Grace      int `yaml:"terminationGracePeriodSeconds"`
					Containers []struct {
						Lifecycle struct {
							PreStop struct {
								Sleep struct {
									Seconds int `yaml:"seconds"`
								} `yaml:"sleep"`
							} `yaml:"preStop"`
						} `yaml:"lifecycle"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(data, &dep); err != nil {
		t.Fatal(err)
	}
	cfgData, err := os.ReadFile("kubernetes/base/windrose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(cfgData, func(k string) string { return testEnv[k] })
	if err != nil {
		t.Fatal(err)
	}
	ps := dep.Spec.Template.Spec
	if len(ps.Containers) != 1 {
		t.Fatalf("want 1 container, got %d", len(ps.Containers))
	}
	need := ps.Containers[0].Lifecycle.PreStop.Sleep.Seconds + int(cfg.Server.ShutdownGrace.D().Seconds())
	if ps.Grace <= need {
		t.Errorf("terminationGracePeriodSeconds %d must exceed preStop + shutdown_grace = %ds", ps.Grace, need)
	}
}
