package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// chaosRegions is one model with an EU deployment (Mistral's API is always
// in the EU) and a US one, in the same tier: only region rules decide
// between them. Timeouts as in chaosPair: a stall costs under a second and
// a healthy answer on a loaded runner never reads as one.
const chaosRegions = `
models:
  - name: chaos
    attempts: 3
    attempt_timeout: 1s
    first_token_timeout: 800ms
    stall_timeout: 800ms
    deployments:
      - name: eu
        provider: mistral
        model: mistral-medium-2508
        base_url: ${EMU_MISTRAL_URL}
        api_key: ${EMU_API_KEY}
      - name: us
        provider: openrouter
        model: mistralai/mistral-medium-3.1
        geo: us
        base_url: ${EMU_OPENROUTER_URL}
        api_key: ${EMU_API_KEY}
`

// chaosRegionCase is one request to chaosRegions.
type chaosRegionCase struct {
	name    string
	header  map[string]string
	faults  map[string]string // emulator → fault set
	status  int
	errCode string // for a non-200
	errSays string // a phrase its message must contain
	calls   map[string]int
	metrics map[string]float64
}

// chaosRegionCases are requests narrowed by X-Windrose-Region.
var chaosRegionCases = []chaosRegionCase{
	// A region no deployment is in: 503 naming the region, and no
	// deployment anywhere is called.
	{name: "no deployment in the region", header: map[string]string{"X-Windrose-Region": "apac"},
		status: 503, errCode: "region_unavailable", errSays: `region "apac"`, calls: map[string]int{"mistral": 0, "openrouter": 0},
		metrics: map[string]float64{"windrose_region_rejections_total{rule=header}": 1, "windrose_attempts_total": 0}},
	// The only EU deployment is down: the request fails rather than
	// leave the EU. Residency is a rule, not a preference.
	{name: "eligible deployment down", header: map[string]string{"X-Windrose-Region": "eu"},
		faults: map[string]string{"mistral": `{"status":503}`},
		status: 503, errCode: "", calls: map[string]int{"mistral": 3, "openrouter": 0},
		metrics: map[string]float64{"windrose_region_rejections_total": 0, "windrose_failovers_total": 0,
			"windrose_attempts_total{deployment=eu,result=retried}": 2, "windrose_attempts_total{deployment=eu,result=failed}": 1}},
	// The same with a silent deployment: a timeout, still in region.
	{name: "eligible deployment silent", header: map[string]string{"X-Windrose-Region": "us"},
		faults: map[string]string{"openrouter": `{"stall_after":0}`},
		status: 504, calls: map[string]int{"mistral": 0, "openrouter": 3},
		metrics: map[string]float64{"windrose_failovers_total": 0, "windrose_attempts_total{deployment=eu}": 0}},
	// A healthy in-region deployment serves, and the other is untouched.
	{name: "eligible deployment healthy", header: map[string]string{"X-Windrose-Region": "eu"},
		faults: map[string]string{"openrouter": `{"status":500}`},
		status: 200, calls: map[string]int{"mistral": 1, "openrouter": 0},
		metrics: map[string]float64{"windrose_attempts_total{deployment=eu,result=success}": 1, "windrose_attempts_total": 1}},
	// Pinning does not escape the region rule either.
	{name: "pinned outside the region", header: map[string]string{"X-Windrose-Region": "eu", "X-Windrose-Deployment": "us"},
		status: 503, errCode: "region_unavailable", errSays: `deployment "us"`,
		calls:   map[string]int{"mistral": 0, "openrouter": 0},
		metrics: map[string]float64{"windrose_region_rejections_total{rule=header}": 1, "windrose_attempts_total": 0}},
}

// TestChaosRegion checks that a region rule filters and never falls back:
// with no eligible deployment, or only failing ones, the client gets an
// error and the out-of-region emulator gets no request at all.
func TestChaosRegion(t *testing.T) {
	t.Parallel()
	for _, tt := range chaosRegionCases {
		for _, stream := range chatAndStream {
			t.Run(fmt.Sprintf("%s/stream=%v", tt.name, stream), func(t *testing.T) {
				t.Parallel()
				env := Start(t, chaosRegions)
				for emu, f := range tt.faults {
					env.Emu(emu).SetFaults(t, f)
				}
				r := chaosPost(t, env, chaosCall{stream: stream, header: tt.header})
				switch {
				case r.status != tt.status:
					t.Errorf("status %d, want %d; body %s", r.status, tt.status, r.body)
				case tt.status == http.StatusOK:
					if dep := r.header.Get("X-Windrose-Deployment"); dep != "eu" {
						t.Errorf("answered by %q, want eu", dep)
					}
				case tt.errCode != "" && r.err.code() != tt.errCode:
					t.Errorf("error code %q, want %q (%s)", r.err.code(), tt.errCode, r.body)
				case !strings.Contains(r.err.Message, tt.errSays):
					t.Errorf("message %q does not say %q", r.err.Message, tt.errSays)
				}
				if diff := cmp.Diff(tt.calls, chaosCalls(t, env, "mistral", "openrouter")); diff != "" {
					t.Errorf("upstream requests (-want +got):\n%s", diff)
				}
				chaosMetrics(t, env, tt.metrics)
			})
		}
	}
}
