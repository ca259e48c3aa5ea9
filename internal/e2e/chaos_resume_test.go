package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// chaosResume: an OpenRouter primary (no assistant prefix) in front of a
// Mistral fallback (prefix-capable), resume on.
const chaosResume = `
models:
  - name: chaos
    attempts: 3
    stall_timeout: 5s
    resume: { mode: prefix_or_replay, max: 1 }
    deployments:
      - name: primary
        provider: openrouter
        model: mistralai/mistral-medium-3.1
        priority: 0
        base_url: ${EMU_OPENROUTER_URL}
        api_key: ${EMU_API_KEY}
      - name: fallback
        provider: mistral
        model: mistral-medium-2508
        priority: 1
        base_url: ${EMU_MISTRAL_URL}
        api_key: ${EMU_API_KEY}
`

// TestChaosResume: a stream cut after commit is healed on the fallback,
// by prefix or by a replay that must match; otherwise the error event as
// today, with no text past the seam.
func TestChaosResume(t *testing.T) {
	t.Parallel()
	whole := chaosPost(t, Start(t, chaosResume), chaosCall{stream: true}).sse
	if whole == nil || !whole.done {
		t.Fatalf("uncut stream did not complete")
	}
	cases := []struct {
		name     string
		primary  string // faults of the primary
		fallback string // faults of the fallback
		healed   bool
		off      bool // resume: off
	}{
		// A malformed chunk healed by prefix continuation.
		{name: "malformed", primary: `{"malformed_after":3}`, fallback: `{}`, healed: true},
		// Resume off: today's error event, unchanged.
		{name: "off", primary: `{"cut_after":3}`, fallback: `{}`, off: true},
		// A cut healed by prefix continuation.
		{name: "prefix", primary: `{"cut_after":3}`, fallback: `{}`, healed: true},
		// The fallback refuses the prefix: a replay matches.
		{name: "refused then replay", primary: `{"cut_after":3}`, fallback: `{"refuse_prefix":true}`, healed: true},
		// The replay answers differently: the error event, nothing more.
		{name: "replay diverges", primary: `{"cut_after":3}`, fallback: `{"refuse_prefix":true,"reply_variant":"b"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := chaosResume
			if c.off {
				cfg = strings.Replace(cfg, "mode: prefix_or_replay", "mode: "+`"off"`, 1)
			}
			env := Start(t, cfg)
			env.Emu("openrouter").SetFaults(t, c.primary)
			env.Emu("mistral").SetFaults(t, c.fallback)
			r := chaosPost(t, env, chaosCall{stream: true})
			if r.status != http.StatusOK || r.sse == nil {
				t.Fatalf("status %d, body %s", r.status, r.body)
			}
			if c.healed {
				if r.sse.content != whole.content || !r.sse.done || r.sse.errEvent != nil || r.sse.finish != "stop" {
					t.Fatalf("got %q done=%v err=%v finish=%q; want %q whole", r.sse.content, r.sse.done, r.sse.errEvent, r.sse.finish, whole.content)
				}
				return
			}
			if r.sse.errEvent == nil || r.sse.done || !strings.HasPrefix(whole.content, r.sse.content) {
				t.Fatalf("got %q done=%v err=%v; want the error event and only a prefix of %q", r.sse.content, r.sse.done, r.sse.errEvent, whole.content)
			}
		})
	}
}
