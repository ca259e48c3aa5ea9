package e2e

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/windrose-gw/windrose/internal/gateway"
)

// TestMetric checks the harness's metric reader on a registry it fills
// itself, so the e2e assertions built on it can be trusted.
func TestMetric(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c_total", Help: "h"}, []string{"dep", "outcome"})
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "h_seconds", Help: "h"}, []string{"dep"})
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "g", Help: "h"})
	reg.MustRegister(c, h, g)
	c.WithLabelValues("a", "success").Add(2)
	c.WithLabelValues("a", "timeout").Add(3)
	c.WithLabelValues("b", "success").Add(5)
	h.WithLabelValues("a").Observe(0.1)
	h.WithLabelValues("a").Observe(7)
	h.WithLabelValues("b").Observe(1)
	g.Set(4)
	env := &Env{Gateway: &gateway.Gateway{Registry: reg}}

	tests := []struct {
		name   string
		metric string
		labels map[string]string
		want   float64
	}{
		// No labels: every series adds up.
		{"all series", "c_total", nil, 10},
		// A subset of labels matches every series carrying them.
		{"one label", "c_total", map[string]string{"outcome": "success"}, 7},
		{"both labels", "c_total", map[string]string{"dep": "a", "outcome": "timeout"}, 3},
		// A label value no series has reads 0, not the total.
		{"no match", "c_total", map[string]string{"dep": "z"}, 0},
		// A label name the family lacks must not match everything.
		{"unknown label", "c_total", map[string]string{"region": "eu"}, 0},
		// Histograms read as their sample count, not their sum.
		{"histogram count", "h_seconds", map[string]string{"dep": "a"}, 2},
		{"gauge", "g", nil, 4},
		// An unregistered (or not yet observed) family reads 0.
		{"absent family", "nope_total", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, env.Metric(t, tt.metric, tt.labels)); diff != "" {
				t.Errorf("Metric(%s, %v) (-want +got):\n%s", tt.metric, tt.labels, diff)
			}
		})
	}
}

// TestStartInstances checks that a suffixed placeholder starts a second,
// separate emulator of the same provider: the chaos suite relies on faulting
// one instance while its twin stays healthy.
func TestStartInstances(t *testing.T) {
	t.Parallel()
	env := Start(t, `
models:
  - name: m
    deployments:
      - name: a
        provider: mistral
        model: mistral-medium-2508
        base_url: ${EMU_MISTRAL_URL}
        api_key: ${EMU_API_KEY}
      - name: b
        provider: mistral
        model: mistral-medium-2508
        base_url: ${EMU_MISTRAL_B_URL}
        api_key: ${EMU_API_KEY}
`)
	if diff := cmp.Diff([]string{"mistral", "mistral_b"}, env.EmuNames()); diff != "" {
		t.Fatalf("emulators (-want +got):\n%s", diff)
	}
	b := env.Emu("mistral_b")
	if b.Provider != "mistral" || b.URL == env.Emu("mistral").URL {
		t.Fatalf("mistral_b: provider %q, URL %s; want a separate mistral emulator", b.Provider, b.URL)
	}
	b.SetFaults(t, `{"status": 503}`)
	client := newClient(env)
	p := ask("hello")
	p.Model = "m"
	if _, err := client.Chat.Completions.New(withTimeout(t), p, pin("b")...); err == nil {
		t.Fatal("a request pinned to the faulted instance succeeded")
	}
	if _, err := client.Chat.Completions.New(withTimeout(t), p, pin("a")...); err != nil {
		t.Fatalf("the healthy instance failed too: %v", describe(err))
	}
	// Pinned requests may retry their one deployment, so b counts at least one.
	if n := env.Emu("mistral").Requests(t); n != 1 {
		t.Errorf("healthy instance saw %d requests, want 1", n)
	}
	if n := b.Requests(t); n < 1 {
		t.Errorf("faulted instance saw %d requests, want at least 1", n)
	}
}
