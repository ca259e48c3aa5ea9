package deploy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"text/template"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/windrose-gw/windrose/internal/config"
)

// Helm is not installed where the tests run, so this file renders the chart
// with text/template and the few Sprig/Helm functions the templates use.
// A template using any other function fails to parse here, which keeps the
// chart to that small, known set.

const chartDir = "helm/windrose"

// chartFuncs implements the Helm functions the chart uses. include is bound
// per render, because it needs the template set.
func chartFuncs(include func(string, any) (string, error)) template.FuncMap {
	return template.FuncMap{
		"include": include,
		"toYaml": func(v any) (string, error) {
			var b bytes.Buffer
			enc := yaml.NewEncoder(&b)
			enc.SetIndent(2)
			if err := enc.Encode(v); err != nil {
				return "", err
			}
			return strings.TrimSuffix(b.String(), "\n"), nil
		},
		"indent": func(n int, s string) string {
			pad := strings.Repeat(" ", n)
			return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
		},
		"nindent": func(n int, s string) string {
			pad := strings.Repeat(" ", n)
			return "\n" + pad + strings.ReplaceAll(s, "\n", "\n"+pad)
		},
		"quote": func(v any) string { return fmt.Sprintf("%q", fmt.Sprint(v)) },
		"default": func(def, v any) any {
			if v == nil || v == "" || v == false || v == 0 {
				return def
			}
			return v
		},
		"trunc": func(n int, s string) string {
			if len(s) > n {
				return s[:n]
			}
			return s
		},
		"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
		"replace":    func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
		"contains":   func(sub, s string) bool { return strings.Contains(s, sub) },
		"join": func(sep string, v []any) string {
			parts := make([]string, len(v))
			for i, x := range v {
				parts[i] = fmt.Sprint(x)
			}
			return strings.Join(parts, sep)
		},
		"sha256sum": func(s string) string {
			sum := sha256.Sum256([]byte(s))
			return hex.EncodeToString(sum[:])
		},
	}
}

// renderChart renders every template of the chart with the chart's
// values.yaml, after override has edited the values. It returns the output
// per template file name.
func renderChart(t *testing.T, override func(values map[string]any)) map[string]string {
	t.Helper()
	var chart struct {
		Name       string `yaml:"name"`
		Version    string `yaml:"version"`
		AppVersion string `yaml:"appVersion"`
	}
	readYAML(t, filepath.Join(chartDir, "Chart.yaml"), &chart)
	var values map[string]any
	readYAML(t, filepath.Join(chartDir, "values.yaml"), &values)
	if override != nil {
		override(values)
	}
	files, err := filepath.Glob(filepath.Join(chartDir, "templates", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	var set *template.Template
	include := func(name string, data any) (string, error) {
		var b bytes.Buffer
		err := set.ExecuteTemplate(&b, name, data)
		return b.String(), err
	}
	set = template.New("chart").Option("missingkey=error").Funcs(chartFuncs(include))
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// Helm names templates "<chart>/templates/<file>".
		if _, err := set.New(chart.Name + "/templates/" + filepath.Base(f)).Parse(string(src)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	out := map[string]string{}
	for _, f := range files {
		base := filepath.Base(f)
		if strings.HasPrefix(base, "_") {
			continue
		}
		data := map[string]any{
			"Values":   values,
			"Chart":    map[string]any{"Name": chart.Name, "Version": chart.Version, "AppVersion": chart.AppVersion},
			"Release":  map[string]any{"Name": "gw", "Namespace": "llm", "Service": "Helm"},
			"Template": map[string]any{"BasePath": chart.Name + "/templates", "Name": chart.Name + "/templates/" + base},
		}
		var b bytes.Buffer
		if err := set.ExecuteTemplate(&b, chart.Name+"/templates/"+base, data); err != nil {
			t.Fatalf("render %s: %v", base, err)
		}
		out[base] = b.String()
	}
	return out
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestHelmChartRenders(t *testing.T) {
	cases := []struct {
		name     string
		override func(map[string]any)
		kinds    []string
	}{
		// The defaults: no ServiceMonitor, so no Prometheus Operator needed.
		{"defaults", nil, []string{"ConfigMap", "Deployment", "PodDisruptionBudget", "Service"}},
		// Everything optional switched on, so those branches render too.
		{"all optional", func(v map[string]any) {
			v["serviceMonitor"].(map[string]any)["enabled"] = true
			v["serviceMonitor"].(map[string]any)["labels"] = map[string]any{"release": "prom"}
			v["podAnnotations"] = map[string]any{"team": "ml"}
			v["extraEnv"] = []any{map[string]any{"name": "GOMEMLIMIT", "value": "200MiB"}}
			v["nodeSelector"] = map[string]any{"kubernetes.io/os": "linux"}
		}, []string{"ConfigMap", "Deployment", "PodDisruptionBudget", "Service", "ServiceMonitor"}},
		// Without a PDB (single-replica installs).
		{"no pdb", func(v map[string]any) {
			v["podDisruptionBudget"].(map[string]any)["enabled"] = false
		}, []string{"ConfigMap", "Deployment", "Service"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := renderChart(t, tc.override)
			var kinds []string
			for name, text := range out {
				if !strings.HasSuffix(name, ".yaml") {
					continue
				}
				docs, err := decodeAll([]byte(text))
				if err != nil {
					t.Fatalf("%s renders invalid YAML: %v\n%s", name, err, text)
				}
				for _, d := range docs {
					m := d.(map[string]any)
					kinds = append(kinds, fmt.Sprint(m["kind"]))
					if m["kind"] == "ConfigMap" {
						checkChartConfig(t, m)
					}
				}
			}
			sort.Strings(kinds)
			if diff := cmp.Diff(tc.kinds, kinds); diff != "" {
				t.Errorf("rendered kinds (-want +got):\n%s", diff)
			}
		})
	}
}

// checkChartConfig validates the windrose.yaml the chart's ConfigMap carries.
func checkChartConfig(t *testing.T, cm map[string]any) {
	t.Helper()
	data, _ := cm["data"].(map[string]any)
	text, _ := data["windrose.yaml"].(string)
	cfg, err := config.Parse([]byte(text), func(k string) string { return testEnv[k] })
	if err != nil {
		t.Fatalf("chart config does not validate:\n%v\n%s", err, text)
	}
	if cfg.Server.Listen != "0.0.0.0:8080" {
		t.Errorf("chart config listens on %s; a pod needs 0.0.0.0:8080", cfg.Server.Listen)
	}
}
