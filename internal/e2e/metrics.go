package e2e

import (
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// Metric returns the value of the metric family name summed over every
// series whose labels include all of labels (nil matches every series).
// Counters and gauges add their values; histograms and summaries add their
// sample counts. A family with no series yet reads as 0, as Prometheus
// itself would report an absent counter.
func (env *Env) Metric(t testing.TB, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := env.Gateway.Registry.Gather()
	if err != nil {
		t.Fatalf("e2e: gathering metrics: %v", err)
	}
	sum := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if matches(m, labels) {
				sum += value(m)
			}
		}
	}
	return sum
}

// matches reports whether m carries every label pair of want.
func matches(m *dto.Metric, want map[string]string) bool {
	found := 0
	for _, lp := range m.GetLabel() {
		if v, ok := want[lp.GetName()]; ok {
			if v != lp.GetValue() {
				return false
			}
			found++
		}
	}
	return found == len(want)
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	case m.Summary != nil:
		return float64(m.GetSummary().GetSampleCount())
	case m.Untyped != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
}
