package telemetry

import (
	"runtime"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestBuildInfo(t *testing.T) {
	reg := prometheus.NewRegistry()
	RegisterBuildInfo(reg, "v1.2.3")
	want := `# HELP windrose_build_info Always 1; the labels name the windrose version and the Go version it was built with.
# TYPE windrose_build_info gauge
windrose_build_info{go_version="` + runtime.Version() + `",version="v1.2.3"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "windrose_build_info"); err != nil {
		t.Fatal(err)
	}
}
