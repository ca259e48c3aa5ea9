package deploy

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/windrose-gw/windrose/internal/telemetry"
)

var descName = regexp.MustCompile(`fqName: "([^"]+)"`)

// exported returns the name of every metric telemetry registers, read from
// the collectors' descriptors (gathering would list only vectors that
// already have children).
func exported(t *testing.T) []string {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := telemetry.NewMetrics(reg)
	telemetry.RegisterBuildInfo(reg, "test")
	out := []string{"windrose_build_info"}
	v := reflect.ValueOf(m).Elem()
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
			name := descName.FindStringSubmatch(d.String())
			if name == nil {
				t.Fatalf("cannot read descriptor %s", d)
			}
			out = append(out, name[1])
		}
	}
	if len(out) < 16 {
		t.Fatalf("found %d metrics, want at least 16: %v", len(out), out)
	}
	return out
}

// TestEveryMetricCharted checks every metric windrose exports is on the
// dashboard, directly or through a recording rule a panel reads. (Whether
// the queries are right is for the live Prometheus test to say.)
func TestEveryMetricCharted(t *testing.T) {
	var exprs []string
	for _, p := range readDashboard(t).Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	all := strings.Join(exprs, "\n")
	for _, g := range readRules(t, "prometheus/recording.yaml").Groups {
		for _, r := range g.Rules {
			if strings.Contains(all, r.Record) {
				exprs = append(exprs, r.Expr)
			}
		}
	}
	all = strings.Join(exprs, "\n")
	var missing []string
	for _, name := range exported(t) {
		if !strings.Contains(all, name) {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("metrics on no dashboard panel: %v", missing)
	}
}
