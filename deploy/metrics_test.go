package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/windrose-gw/windrose/internal/telemetry"
)

// metric is one exported metric family.
type metric struct {
	labels    []string
	histogram bool
}

var (
	descName   = regexp.MustCompile(`fqName: "([^"]+)"`)
	descLabels = regexp.MustCompile(`variableLabels: \{([^}]*)\}\}$`)
)

// exported returns every metric telemetry.NewMetrics registers, read from
// the collectors' descriptors. Gathering would list only vectors that
// already have children, so it cannot be used here.
func exported(t *testing.T) map[string]metric {
	t.Helper()
	m := telemetry.NewMetrics(prometheus.NewRegistry())
	out := map[string]metric{}
	v := reflect.ValueOf(m).Elem()
	histType := reflect.TypeFor[*prometheus.HistogramVec]()
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanInterface() {
			continue
		}
		c, ok := f.Interface().(prometheus.Collector)
		if !ok {
			continue
		}
		ch := make(chan *prometheus.Desc, 4)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			s := d.String()
			name, labels := descName.FindStringSubmatch(s), descLabels.FindStringSubmatch(s)
			if name == nil || labels == nil {
				t.Fatalf("cannot read descriptor %s", s)
			}
			var ls []string
			if labels[1] != "" {
				ls = strings.Split(labels[1], ",")
			}
			out[name[1]] = metric{labels: ls, histogram: f.Type() == histType}
		}
	}
	return out
}

var (
	metricRef  = regexp.MustCompile(`\b(windrose_[a-zA-Z0-9_]+)\s*(\{[^}]*\})?`)
	matcher    = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"`)
	grouping   = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)`)
	labelValue = regexp.MustCompile(`label_values\(\s*([a-zA-Z0-9_]+)\s*,\s*([a-zA-Z0-9_]+)\s*\)`)
)

// checkExpr returns the problems with a PromQL expression: metric names
// windrose does not export, _bucket/_sum/_count on a non-histogram, label
// matchers a metric lacks, and grouping labels no metric in it has. It also
// returns the labels the expression groups by, for legend checks.
func checkExpr(expr string, metrics map[string]metric) (problems, groupBy []string) {
	union := map[string]bool{}
	refs := metricRef.FindAllStringSubmatch(expr, -1)
	if len(refs) == 0 {
		problems = append(problems, "no windrose metric in expression")
	}
	for _, ref := range refs {
		name, bucket, m, ok := resolve(ref[1], metrics)
		if !ok {
			problems = append(problems, fmt.Sprintf("unknown metric %s", ref[1]))
			continue
		}
		allowed := slices.Clone(m.labels)
		if bucket {
			allowed = append(allowed, "le")
		}
		for _, l := range allowed {
			union[l] = true
		}
		for _, mm := range matcher.FindAllStringSubmatch(ref[2], -1) {
			if !slices.Contains(allowed, mm[1]) {
				problems = append(problems, fmt.Sprintf("%s has no label %q", name, mm[1]))
			}
		}
	}
	for _, g := range grouping.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(g[1], ",") {
			l = strings.TrimSpace(l)
			if l == "" {
				continue
			}
			groupBy = append(groupBy, l)
			if !union[l] && len(refs) > 0 {
				problems = append(problems, fmt.Sprintf("grouping label %q is on no metric of the expression", l))
			}
		}
	}
	for _, lv := range labelValue.FindAllStringSubmatch(expr, -1) {
		if m, ok := metrics[lv[1]]; ok && !slices.Contains(m.labels, lv[2]) {
			problems = append(problems, fmt.Sprintf("%s has no label %q", lv[1], lv[2]))
		}
	}
	return problems, groupBy
}

// resolve finds the metric a series name belongs to: the name itself, or a
// histogram's _bucket, _sum or _count series.
func resolve(series string, metrics map[string]metric) (name string, bucket bool, m metric, ok bool) {
	if m, ok := metrics[series]; ok {
		return series, false, m, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, found := strings.CutSuffix(series, suffix)
		if m, ok := metrics[base]; found && ok && m.histogram {
			return base, suffix == "_bucket", m, true
		}
	}
	return series, false, metric{}, false
}

// templateLabel matches a Grafana legend's {{label}} and an alert
// annotation's {{ $labels.label }}.
var templateLabel = regexp.MustCompile(`\{\{\s*(?:\$labels\.)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)

// checkLegend reports labels a legend or annotation template names that the
// expression does not group by (they would render empty).
func checkLegend(legend string, groupBy []string) []string {
	var out []string
	for _, m := range templateLabel.FindAllStringSubmatch(legend, -1) {
		l := m[1]
		if !slices.Contains(groupBy, l) {
			out = append(out, fmt.Sprintf("template label %q is not grouped by in the expression", l))
		}
	}
	return out
}

// TestCheckExpr shows the checker catches the mistakes it is for; without
// it, the dashboard and alert tests could pass by checking nothing.
func TestCheckExpr(t *testing.T) {
	metrics := exported(t)
	cases := []struct {
		name, expr string
		want       []string
	}{
		// A correct histogram query: _bucket resolves and le is allowed.
		{"histogram ok", `histogram_quantile(0.95, sum by (deployment, le) (rate(windrose_upstream_ttft_seconds_bucket{deployment=~"$d"}[5m])))`, nil},
		// A misspelt metric name.
		{"unknown metric", `rate(windrose_request_total[5m])`, []string{"unknown metric windrose_request_total"}},
		// _bucket exists only on histograms.
		{"bucket of counter", `rate(windrose_requests_total_bucket[5m])`, []string{"unknown metric windrose_requests_total_bucket"}},
		// A matcher on a label the metric does not have.
		{"bad matcher", `windrose_cooldowns_total{provider="mistral"}`, []string{`windrose_cooldowns_total has no label "provider"`}},
		// Grouping by a label no metric in the expression carries.
		{"bad grouping", `sum by (status) (rate(windrose_requests_total[5m]))`, []string{`grouping label "status" is on no metric of the expression`}},
		// A variable query on a missing label.
		{"bad label_values", `label_values(windrose_requests_total, deployment)`, []string{`windrose_requests_total has no label "deployment"`}},
		// No windrose metric at all.
		{"no metric", `up`, []string{"no windrose metric in expression"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := checkExpr(tc.expr, metrics)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExportedMetrics(t *testing.T) {
	metrics := exported(t)
	// Spot checks that the descriptor parsing reads names, labels and types.
	if diff := cmp.Diff(metric{labels: []string{"model", "code", "stream", "api"}}, metrics["windrose_requests_total"], cmp.AllowUnexported(metric{})); diff != "" {
		t.Errorf("windrose_requests_total (-want +got):\n%s", diff)
	}
	if !metrics["windrose_upstream_ttft_seconds"].histogram {
		t.Error("windrose_upstream_ttft_seconds is not seen as a histogram")
	}
	if len(metrics) < 15 {
		t.Errorf("found %d metrics, want at least 15", len(metrics))
	}
}

type grafanaPanel struct {
	Title   string         `json:"title"`
	Type    string         `json:"type"`
	Panels  []grafanaPanel `json:"panels"`
	Targets []struct {
		Expr         string `json:"expr"`
		LegendFormat string `json:"legendFormat"`
	} `json:"targets"`
}

func TestDashboard(t *testing.T) {
	metrics := exported(t)
	data, err := os.ReadFile("grafana/windrose-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		SchemaVersion int            `json:"schemaVersion"`
		UID           string         `json:"uid"`
		Panels        []grafanaPanel `json:"panels"`
		Templating    struct {
			List []struct {
				Name, Type string
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	if dash.SchemaVersion < 36 || dash.UID == "" {
		t.Errorf("schemaVersion %d, uid %q: want a modern schema and a fixed uid", dash.SchemaVersion, dash.UID)
	}
	var vars []string
	for _, v := range dash.Templating.List {
		vars = append(vars, v.Name)
		if v.Type == "query" {
			if p, _ := checkExpr(v.Definition, metrics); len(p) > 0 {
				t.Errorf("variable %s: %v", v.Name, p)
			}
		}
	}
	if !slices.Contains(vars, "datasource") {
		t.Error("no datasource variable")
	}
	used := map[string]bool{}
	var walk func([]grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			walk(p.Panels)
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, tg := range p.Targets {
				problems, by := checkExpr(tg.Expr, metrics)
				problems = append(problems, checkLegend(tg.LegendFormat, by)...)
				for _, pr := range problems {
					t.Errorf("panel %q: %s\n  expr: %s", p.Title, pr, tg.Expr)
				}
				for _, ref := range metricRef.FindAllStringSubmatch(tg.Expr, -1) {
					name, _, _, _ := resolve(ref[1], metrics)
					used[name] = true
				}
			}
		}
	}
	walk(dash.Panels)
	// Every exported metric should be on the dashboard somewhere.
	var missing []string
	for name := range metrics {
		if !used[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("metrics on no dashboard panel: %v", missing)
	}
}

func TestAlertRules(t *testing.T) {
	metrics := exported(t)
	data, err := os.ReadFile("prometheus/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(data, &rules); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			problems, by := checkExpr(r.Expr, metrics)
			for _, a := range r.Annotations {
				problems = append(problems, checkLegend(a, by)...)
			}
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				problems = append(problems, "needs labels.severity and annotations.summary")
			}
			for _, p := range problems {
				t.Errorf("alert %s: %s", r.Alert, p)
			}
		}
	}
	if n < 5 {
		t.Errorf("found %d alert rules, want at least 5", n)
	}
}
