package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"go.uber.org/zap"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/gateway"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
)

// TestCommittedStreamReleasesRequest: once a stream is committed and no
// resume can happen, nothing holds the decoded request (nor the body its
// strings alias) while the stream goes on, as a bare proxy holds none of
// the prompt; with a real conversation that is most of what a held stream
// costs. With resume on the request must stay: a resume re-sends it.
func TestCommittedStreamReleasesRequest(t *testing.T) {
	for _, tc := range []struct {
		name     string
		resume   string // the model's resume block
		released bool   // the request is collectable mid-stream
	}{
		// The default: nothing can re-send the request after commit.
		{"resume off", "", true},
		// A break would be resumed with the request and the text sent.
		{"resume on", "resume: {mode: prefix, max: 1}", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &holdingAdapter{release: make(chan struct{})}
			base := startHolding(t, tc.resume, fake)
			resp, err := http.Post(base+"/v1/chat/completions", "application/json", strings.NewReader(
				`{"model":"held","stream":true,"messages":[{"role":"system","content":"a long system prompt"},{"role":"user","content":"hi"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			rd := bufio.NewReader(resp.Body)
			readUntil(t, rd, `"content":"hello"`) // committed, and held there

			// Not a timing assertion: the collector gets a bounded number of
			// chances, and the request is either reachable or not.
			if got := collected(&fake.freed, 50); got != tc.released {
				t.Errorf("request collected mid-stream = %v, want %v", got, tc.released)
			}
			if got := collected(&fake.bodyFreed, 50); got != tc.released {
				t.Errorf("request body collected mid-stream = %v, want %v", got, tc.released)
			}
			close(fake.release)
			readUntil(t, rd, "data: [DONE]")
			// Either way both go once the stream ended: the cleanups do
			// run in this setup, the case above tested something.
			if !collected(&fake.freed, 50) || !collected(&fake.bodyFreed, 50) {
				t.Error("the request is still reachable after the stream ended")
			}
		})
	}
}

// collected runs the collector up to tries times, until flag is set by a
// cleanup.
func collected(flag *atomic.Bool, tries int) bool {
	for i := 0; i < tries && !flag.Load(); i++ {
		runtime.GC()
		time.Sleep(time.Millisecond) // the cleanups run on their own goroutine
	}
	return flag.Load()
}

func readUntil(t *testing.T, rd *bufio.Reader, want string) {
	t.Helper()
	for {
		line, err := rd.ReadString('\n')
		if strings.Contains(line, want) {
			return
		}
		if err != nil {
			t.Fatalf("stream ended (%v) before %q", err, want)
		}
	}
}

// startHolding runs the gateway with one model served by fake.
func startHolding(t *testing.T, resume string, fake *holdingAdapter) string {
	t.Helper()
	reg := providers.NewRegistry()
	reg.Register("mistral", func(config.Deployment, providers.Deps) (providers.Provider, error) { return fake, nil })
	yaml := fmt.Sprintf(`models:
  - name: held
    %s
    deployments:
      - {name: d, provider: mistral, model: m, base_url: "http://unused.invalid", api_key: k}
`, resume)
	cfg, err := config.Parse([]byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(cfg, gateway.Options{Providers: reg, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw.Server)
	t.Cleanup(srv.Close)
	return srv.URL
}

// holdingAdapter streams one content event, then holds the stream until
// release is closed. It marks the request it was given, and the inbound
// body its strings alias (DecodeOwned), for collection and keeps no
// reference to either.
type holdingAdapter struct {
	release   chan struct{}
	freed     atomic.Bool // the *llm.ChatRequest was collected
	bodyFreed atomic.Bool // the body its last message's content points into was
}

func (a *holdingAdapter) Chat(context.Context, *llm.ChatRequest) (*llm.ChatResponse, error) {
	return nil, gwerr.New(gwerr.Upstream, "not used")
}

func (a *holdingAdapter) ChatStream(ctx context.Context, req *llm.ChatRequest) (providers.Stream, error) {
	mark := func(f *atomic.Bool) { f.Store(true) }
	runtime.AddCleanup(req, mark, &a.freed)
	runtime.AddCleanup(unsafe.StringData(req.Messages[len(req.Messages)-1].Content), mark, &a.bodyFreed)
	return &heldStream{ctx: ctx, release: a.release}, nil
}

// AssistantPrefix makes the adapter one a prefix resume could continue on.
func (a *holdingAdapter) AssistantPrefix() bool { return true }

type heldStream struct {
	ctx     context.Context
	release chan struct{}
	n       int
	ev      llm.StreamEvent
}

func (s *heldStream) Next() (*llm.StreamEvent, error) {
	s.n++
	switch s.n {
	case 1:
		s.ev = llm.StreamEvent{ID: "c1", Model: "m", Created: 1, Deltas: []llm.Delta{{Role: llm.RoleAssistant, Content: []byte("hello")}}}
	case 2:
		select {
		case <-s.release:
		case <-s.ctx.Done():
			return nil, gwerr.Wrap(gwerr.Canceled, s.ctx.Err(), "canceled")
		}
		s.ev = llm.StreamEvent{ID: "c1", Model: "m", Created: 1, Deltas: []llm.Delta{{FinishReason: llm.FinishStop}}}
	default:
		return nil, io.EOF
	}
	return &s.ev, nil
}

func (s *heldStream) Close() error { return nil }
