package router

import (
	"math/rand/v2"
	"testing"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

// TestCapabilityRouting: a request that needs a capability is planned only
// over deployments that have it; none (or a pinned one without it) is a
// 400 naming the parameter.
func TestCapabilityRouting(t *testing.T) {
	m := &Model{Name: "m", Deployments: []Deployment{
		{Name: "plain", Weight: 1, Caps: llm.CapsDefault},
		{Name: "full", Weight: 1, Caps: llm.CapsAll},
	}}
	cases := []struct {
		name      string
		needs     llm.Capability
		pin       string
		want      []string // planned deployments, in any order
		wantParam string   // a 400 naming this
	}{
		// Nothing special: both.
		{"no needs", 0, "", []string{"plain", "full"}, ""},
		// n > 1: only the deployment that serves it.
		{"n", llm.CapN, "", []string{"full"}, ""},
		// Pinned to one that cannot: a 400, not a silent single choice.
		{"pinned without it", llm.CapLogprobs, "plain", nil, "logprobs"},
		// Pinned to one that can.
		{"pinned with it", llm.CapLogprobs, "full", []string{"full"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Route(m, Request{Needs: tc.needs, Pin: tc.pin}, nil, rand.New(rand.NewPCG(1, 2)))
			if tc.wantParam != "" {
				ge := gwerr.As(err)
				if ge.Kind != gwerr.InvalidRequest || ge.Param != tc.wantParam {
					t.Fatalf("err %+v, want 400 with param %q", ge, tc.wantParam)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, i := range p.Attempts {
				got[m.Deployments[i].Name] = true
			}
			if len(got) != len(tc.want) {
				t.Fatalf("planned %v, want %v", got, tc.want)
			}
			for _, w := range tc.want {
				if !got[w] {
					t.Fatalf("planned %v, want %v", got, tc.want)
				}
			}
		})
	}
	// No deployment has it: 400 naming the parameter.
	only := &Model{Name: "m", Deployments: []Deployment{{Name: "plain", Weight: 1, Caps: llm.CapsDefault}}}
	_, err := Route(only, Request{Needs: llm.CapLogitBias}, nil, rand.New(rand.NewPCG(1, 2)))
	if ge := gwerr.As(err); ge.Kind != gwerr.InvalidRequest || ge.Param != "logit_bias" || ge.Code != "unsupported_parameter" {
		t.Fatalf("none capable: %+v", ge)
	}
}
