package llm

import (
	"encoding/json"
	"testing"
)

// TestNeeds: each parameter that a deployment may not serve is detected,
// and hints or explicit defaults need nothing.
func TestNeeds(t *testing.T) {
	two, one := 2, 1
	f, tr := false, true
	cases := []struct {
		name string
		req  ChatRequest
		want Capability
	}{
		// A plain request needs nothing.
		{"plain", ChatRequest{}, 0},
		// n: 1 is the default; n: 2 needs CapN.
		{"n 1", ChatRequest{N: &one}, 0},
		{"n 2", ChatRequest{N: &two}, CapN},
		// logprobs: false asks nothing; top_logprobs alone does.
		{"logprobs false", ChatRequest{Extra: map[string]json.RawMessage{"logprobs": json.RawMessage("false")}}, 0},
		{"top_logprobs", ChatRequest{Extra: map[string]json.RawMessage{"top_logprobs": json.RawMessage("3")}}, CapLogprobs},
		// An empty logit_bias changes nothing.
		{"logit_bias empty", ChatRequest{Extra: map[string]json.RawMessage{"logit_bias": json.RawMessage("{}")}}, 0},
		{"logit_bias", ChatRequest{Extra: map[string]json.RawMessage{"logit_bias": json.RawMessage(`{"1":5}`)}}, CapLogitBias},
		{"prediction", ChatRequest{Extra: map[string]json.RawMessage{"prediction": json.RawMessage(`{"type":"content","content":"x"}`)}}, CapPrediction},
		// Hints are not needs.
		{"hints", ChatRequest{User: "u", Extra: map[string]json.RawMessage{"prompt_cache_key": json.RawMessage(`"k"`), "store": json.RawMessage("true")}}, 0},
		{"parallel_tool_calls", ChatRequest{ParallelToolCalls: &f}, CapParallelToolCalls},
		// true is every backend's default: it needs nothing.
		{"parallel_tool_calls true", ChatRequest{ParallelToolCalls: &tr}, 0},
		{"image", ChatRequest{Messages: []Message{{Parts: []Part{{Type: PartImageURL}}}}}, CapImages},
	}
	for _, tc := range cases {
		if got := Needs(&tc.req); got != tc.want {
			t.Errorf("%s: needs %b, want %b", tc.name, got, tc.want)
		}
	}
}
