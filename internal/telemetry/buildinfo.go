package telemetry

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
)

// RegisterBuildInfo registers windrose_build_info{version,go_version}, a
// gauge that is always 1: dashboards join on it to show which build runs,
// and a rollout shows as two versions side by side.
func RegisterBuildInfo(reg prometheus.Registerer, version string) {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "windrose_build_info",
		Help: "Always 1; the labels name the windrose version and the Go version it was built with.",
	}, []string{"version", "go_version"})
	g.WithLabelValues(version, runtime.Version()).Set(1)
	reg.MustRegister(g)
}
