package executor

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/router"
	"github.com/windrose-gw/windrose/providers"
)

// prefixFake is a fake deployment whose adapter supports an assistant
// prefix; it keeps the requests it got.
type prefixFake struct {
	*fake
	mu   sync.Mutex
	reqs []llm.ChatRequest
}

func (p *prefixFake) AssistantPrefix() bool { return true }

func (p *prefixFake) ChatStream(ctx context.Context, req *llm.ChatRequest) (providers.Stream, error) {
	p.mu.Lock()
	p.reqs = append(p.reqs, *req)
	p.mu.Unlock()
	return p.fake.ChatStream(ctx, req)
}

// resumeRig is a rig over a (broken) primary and a fallback, resume on.
// A prefix-capable fallback is returned too (nil otherwise).
func resumeRig(t *testing.T, mode string, prefix bool, primary, fallback []step) (*rig, *prefixFake) {
	r := newRig(t, dep{"a", 0, primary}, dep{"b", 1, fallback})
	r.rt.ResumeMode, r.rt.ResumeMax = mode, 1
	if !prefix {
		return r, nil
	}
	pf := &prefixFake{fake: r.fakes["b"]}
	r.rt.Targets[1].Client = pf
	return r, pf
}

var errCut = gwerr.New(gwerr.Upstream, "the connection dropped")

func (r *rig) resumes(result string) float64 {
	return testutil.ToFloat64(r.metrics.StreamResumes.WithLabelValues("mm", "b", result))
}

// TestResumeCases: what a client gets when a stream breaks after text went
// out, by what the fallback does.
func TestResumeCases(t *testing.T) {
	broken := []step{{events: []string{"Hello", " wor"}, after: providers.WithUsage(errCut, &llm.Usage{PromptTokens: 5, CompletionTokens: 2, TotalTokens: 7})}}
	cases := []struct {
		name     string
		mode     string
		prefix   bool // the fallback supports an assistant prefix
		fallback []step
		text     string
		err      bool
		usage    *llm.Usage
		resumes  []string
	}{
		// A prefix continuation: the usage chunk sums both attempts.
		{name: "prefix", mode: "prefix", prefix: true,
			fallback: []step{{events: []string{"ld", "!"}, usage: &llm.Usage{PromptTokens: 7, CompletionTokens: 2, TotalTokens: 9}}},
			text:     "Hello world!", usage: &llm.Usage{PromptTokens: 12, CompletionTokens: 4, TotalTokens: 16}, resumes: []string{"b:resumed"}},
		// A replay that repeats the sent text, then goes on.
		{name: "replay", mode: "prefix_or_replay",
			fallback: []step{{events: []string{"Hel", "lo w", "orld!"}, usage: &llm.Usage{PromptTokens: 5, CompletionTokens: 3, TotalTokens: 8}}},
			text:     "Hello world!", usage: &llm.Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15}, resumes: []string{"b:replayed"}},
		// The replay covers the sent text exactly and finishes (the break
		// came just before the finish reason): complete, not diverged.
		{name: "replay ends at the seam", mode: "prefix_or_replay",
			fallback: []step{{events: []string{"Hello", " wor"}, usage: &llm.Usage{PromptTokens: 5, CompletionTokens: 2, TotalTokens: 7}}},
			text:     "Hello wor", usage: &llm.Usage{PromptTokens: 10, CompletionTokens: 4, TotalTokens: 14}, resumes: []string{"b:replayed"}},
		// The same for a prefix continuation with no text.
		{name: "prefix ends at the seam", mode: "prefix", prefix: true,
			fallback: []step{{events: []string{""}, usage: &llm.Usage{PromptTokens: 7, TotalTokens: 7}}},
			text:     "Hello wor", usage: &llm.Usage{PromptTokens: 12, CompletionTokens: 2, TotalTokens: 14}, resumes: []string{"b:resumed"}},
		// A replay that answers differently: the original error, nothing
		// past the seam.
		{name: "replay diverges", mode: "prefix_or_replay",
			fallback: []step{{events: []string{"Help", " me"}}},
			text:     "Hello wor", err: true, resumes: []string{"b:diverged"}},
		// The prefix is refused with a 4xx: replay on the same deployment.
		{name: "refused then replay", mode: "prefix_or_replay", prefix: true,
			fallback: []step{{err: gwerr.New(gwerr.InvalidRequest, "prefix not supported")}, {events: []string{"Hello world!"}}},
			text:     "Hello world!", resumes: []string{"b:refused", "b:replayed"}},
		// Refused in prefix mode: the original error.
		{name: "refused, prefix only", mode: "prefix", prefix: true,
			fallback: []step{{err: gwerr.New(gwerr.InvalidRequest, "prefix not supported")}},
			text:     "Hello wor", err: true, resumes: []string{"b:refused"}},
		// The fallback fails: the original error, not the fallback's.
		{name: "fallback fails", mode: "prefix", prefix: true,
			fallback: []step{{err: gwerr.New(gwerr.Overloaded, "busy")}},
			text:     "Hello wor", err: true, resumes: []string{"b:failed"}},
		// prefix mode and no prefix-capable deployment: no resume at all.
		{name: "prefix, none capable", mode: "prefix",
			fallback: []step{{events: []string{"Hello world!"}}},
			text:     "Hello wor", err: true},
		// Resume off: today's error event.
		{name: "off", mode: "off", prefix: true,
			fallback: []step{{events: []string{"ld!"}}},
			text:     "Hello wor", err: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := resumeRig(t, c.mode, c.prefix, broken, c.fallback)
			sink := &recSink{}
			u, res, err := r.exec.Stream(context.Background(), r.rt, &llm.ChatRequest{Stream: true}, &router.Request{}, sink)
			if sink.text != c.text || (err != nil) != c.err {
				t.Fatalf("text %q, err %v; want %q, error %v", sink.text, err, c.text, c.err)
			}
			if err != nil && !errors.Is(err, errCut) {
				t.Errorf("err %v: want the original break", err)
			}
			if c.usage != nil {
				if diff := cmp.Diff(c.usage, u); diff != "" {
					t.Errorf("usage (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(c.resumes, res.Resumes); diff != "" {
				t.Errorf("resumes (-want +got):\n%s", diff)
			}
			var broke []string
			if c.mode != "off" {
				broke = []string{"a"}
			}
			if diff := cmp.Diff(broke, res.Broken); diff != "" {
				t.Errorf("broken deployments (-want +got):\n%s", diff)
			}
			for _, result := range []string{"resumed", "replayed", "diverged", "refused", "failed"} {
				want := 0.0
				for _, rs := range c.resumes {
					if rs == "b:"+result {
						want++
					}
				}
				if got := r.resumes(result); got != want {
					t.Errorf("windrose_stream_resumes_total{result=%q} = %v, want %v", result, got, want)
				}
			}
		})
	}
}

// TestResumePrefixMessage: the continuation request is the original plus
// one final assistant message holding exactly the text sent, as a prefix;
// the original request is left alone.
func TestResumePrefixMessage(t *testing.T) {
	r, pf := resumeRig(t, "prefix", true,
		[]step{{events: []string{"Grü", "ße, 世"}, after: errCut}},
		[]step{{events: []string{"界"}}})
	req := &llm.ChatRequest{Stream: true, Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}}
	sink := &recSink{}
	if _, _, err := r.exec.Stream(context.Background(), r.rt, req, &router.Request{}, sink); err != nil || sink.text != "Grüße, 世界" {
		t.Fatalf("text %q, err %v", sink.text, err)
	}
	if len(pf.reqs) != 1 {
		t.Fatalf("%d continuation requests, want 1", len(pf.reqs))
	}
	want := []llm.Message{{Role: llm.RoleUser, Content: "hi"}, {Role: llm.RoleAssistant, Content: "Grüße, 世", Prefix: true}}
	if diff := cmp.Diff(want, pf.reqs[0].Messages); diff != "" {
		t.Errorf("continuation messages (-want +got):\n%s", diff)
	}
	if len(req.Messages) != 1 {
		t.Errorf("the original request was changed: %d messages", len(req.Messages))
	}
}
