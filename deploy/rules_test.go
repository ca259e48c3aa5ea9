package deploy

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Alert and recording rules are checked and unit-tested by promtool, the
// Prometheus project's own tool: the same parser and evaluator Prometheus
// runs.

var ruleFiles = []string{"prometheus/alerts.yaml", "prometheus/recording.yaml"}

func TestPromtoolCheckRules(t *testing.T) {
	out := run(t, promtool(t), append([]string{"check", "rules"}, ruleFiles...)...)
	if strings.Count(out, "SUCCESS") != len(ruleFiles) {
		t.Fatalf("promtool check rules:\n%s", out)
	}
}

func TestPromtoolTestRules(t *testing.T) {
	run(t, promtool(t), "test", "rules", "prometheus/alerts_test.yaml")
}

// TestPromtoolRejects shows both promtool checks can fail: a rule with a
// PromQL error, and a unit test whose expected alert does not fire.
func TestPromtoolRejects(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		// A misspelt function: the parser names it.
		{"bad expression", []string{"check", "rules", "testdata/bad-rules.yaml"}, "", `unknown function with name "rat"`},
		// A unit test expecting an alert the series cannot trigger.
		{"failing unit test", []string{"test", "rules", "testdata/failing_alerts_test.yaml"}, "", "FAILED"},
		// An exposition with lint problems: the live test's metrics check
		// must be able to fail.
		{"metrics lint", []string{"check", "metrics"}, "# TYPE windrose_requests counter\nwindrose_requests 1\n", "counter metrics should have \"_total\" suffix"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(promtool(t), tc.args...)
			cmd.Stdin = strings.NewReader(tc.stdin)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Fatalf("promtool %s: err %v, want failure with %q:\n%s", strings.Join(tc.args, " "), err, tc.want, out)
			}
		})
	}
}

type ruleGroups struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func readRules(t *testing.T, path string) ruleGroups {
	t.Helper()
	var rg ruleGroups
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &rg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rg
}

// TestEveryAlertHasUnitTests checks alerts_test.yaml covers every alert
// twice: once where it fires, once where it stays silent. A new alert
// without both fails here.
func TestEveryAlertHasUnitTests(t *testing.T) {
	var tests struct {
		Tests []struct {
			Name  string `yaml:"name"`
			Cases []struct {
				Alert     string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	data, err := os.ReadFile("prometheus/alerts_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &tests); err != nil {
		t.Fatal(err)
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, tg := range tests.Tests {
		for _, c := range tg.Cases {
			if len(c.ExpAlerts) > 0 {
				fires[c.Alert] = true
			} else {
				silent[c.Alert] = true
			}
		}
	}
	n := 0
	for _, g := range readRules(t, "prometheus/alerts.yaml").Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			if !fires[r.Alert] {
				t.Errorf("alert %s: no unit test where it fires", r.Alert)
			}
			if !silent[r.Alert] {
				t.Errorf("alert %s: no unit test where it stays silent", r.Alert)
			}
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("alert %s: needs labels.severity, annotations.summary and annotations.description", r.Alert)
			}
		}
	}
	if n < 7 {
		t.Errorf("found %d alerts, want at least 7", n)
	}
}
