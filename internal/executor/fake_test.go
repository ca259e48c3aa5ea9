package executor

import (
	"context"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/windrose-gw/windrose/internal/config"
	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/health"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/router"
	"github.com/windrose-gw/windrose/internal/telemetry"
	"github.com/windrose-gw/windrose/providers"
)

// step is one scripted reaction of a fake deployment to one call.
type step struct {
	err    error         // returned by Chat / ChatStream
	events []string      // stream: text deltas, sent in order
	after  error         // stream: returned after the events (nil: clean finish)
	block  bool          // block until the attempt's context ends
	hang   bool          // stream: after the events, block until the attempt's context ends
	delay  time.Duration // wait before answering
	usage  *llm.Usage
	panics string // panic with this value instead of answering (an adapter bug)
}

// fake is a scripted provider: call n gets steps[n] (the last step repeats).
type fake struct {
	mu    sync.Mutex
	steps []step
	calls atomic.Int32
}

func (f *fake) next() step {
	n := int(f.calls.Add(1)) - 1
	f.mu.Lock()
	defer f.mu.Unlock()
	if n >= len(f.steps) {
		n = len(f.steps) - 1
	}
	return f.steps[n]
}

func wait(ctx context.Context, s step) error {
	if s.block {
		<-ctx.Done()
		return gwerr.Wrap(gwerr.Canceled, ctx.Err(), "canceled")
	}
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return gwerr.Wrap(gwerr.Canceled, ctx.Err(), "canceled")
		}
	}
	return nil
}

func (f *fake) Chat(ctx context.Context, _ *llm.ChatRequest) (*llm.ChatResponse, error) {
	s := f.next()
	if s.panics != "" {
		panic(s.panics)
	}
	if err := wait(ctx, s); err != nil {
		return nil, err
	}
	if s.err != nil {
		return nil, s.err
	}
	text := ""
	for _, e := range s.events {
		text += e
	}
	return &llm.ChatResponse{ID: "x", Model: "m", Usage: s.usage, Choices: []llm.Choice{{
		Message: llm.Message{Role: llm.RoleAssistant, Content: text}, FinishReason: llm.FinishStop}}}, nil
}

func (f *fake) ChatStream(ctx context.Context, _ *llm.ChatRequest) (providers.Stream, error) {
	s := f.next()
	if s.panics != "" {
		panic(s.panics)
	}
	if s.err != nil {
		return nil, s.err
	}
	return &fakeStream{ctx: ctx, s: s}, nil
}

type fakeStream struct {
	ctx    context.Context
	s      step
	i      int
	ev     llm.StreamEvent
	closed atomic.Bool
}

func (fs *fakeStream) Next() (*llm.StreamEvent, error) {
	fs.ev.Reset()
	if fs.i == 0 {
		fs.i++
		fs.ev.Deltas = append(fs.ev.Deltas, llm.Delta{Role: llm.RoleAssistant})
		return &fs.ev, nil // the role-only chunk: no content, no commit
	}
	if fs.i == 1 {
		if err := wait(fs.ctx, fs.s); err != nil {
			return nil, err
		}
	}
	if k := fs.i - 1; k < len(fs.s.events) {
		fs.i++
		if fs.ctx.Err() != nil {
			return nil, gwerr.Wrap(gwerr.Canceled, fs.ctx.Err(), "canceled")
		}
		fs.ev.Deltas = append(fs.ev.Deltas, llm.Delta{Content: []byte(fs.s.events[k])})
		return &fs.ev, nil
	}
	if fs.s.hang {
		<-fs.ctx.Done()
		return nil, gwerr.Wrap(gwerr.Canceled, fs.ctx.Err(), "canceled")
	}
	if fs.s.after != nil {
		return nil, fs.s.after
	}
	if fs.i == len(fs.s.events)+1 {
		fs.i++
		fs.ev.Deltas = append(fs.ev.Deltas, llm.Delta{FinishReason: llm.FinishStop})
		fs.ev.Usage = fs.s.usage
		return &fs.ev, nil
	}
	return nil, io.EOF
}

func (fs *fakeStream) Close() error { fs.closed.Store(true); return nil }

// recSink records what a client would see.
type recSink struct {
	committed string
	text      string
	events    int
	fail      bool
}

func (r *recSink) Commit(t *Target, _ int) error { r.committed = t.Name; return nil }
func (r *recSink) Event(ev *llm.StreamEvent) error {
	if r.fail {
		return io.ErrClosedPipe
	}
	r.events++
	for _, d := range ev.Deltas {
		r.text += string(d.Content)
	}
	return nil
}

// rig is an executor over fake deployments.
type rig struct {
	exec    *Executor
	rt      *Route
	fakes   map[string]*fake
	health  *health.Tracker
	metrics *telemetry.Metrics
	clock   *clock
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type dep struct {
	name     string
	priority int
	steps    []step
}

func newRig(t *testing.T, deps ...dep) *rig {
	t.Helper()
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	reg := prometheus.NewRegistry()
	m := telemetry.NewMetrics(reg)
	h := health.NewTracker(health.BreakerConfig{}, c.now)
	r := &rig{fakes: map[string]*fake{}, health: h, metrics: m, clock: c}
	r.rt = NewRoute(RouteConfig{Model: router.Model{Name: "mm"}, Attempts: 3})
	for _, d := range deps {
		f := &fake{steps: d.steps}
		r.fakes[d.name] = f
		h.Add(d.name)
		r.rt.Model.Deployments = append(r.rt.Model.Deployments, router.Deployment{Name: d.name, Weight: 1, Priority: d.priority, Geo: "eu"})
		r.rt.Targets = append(r.rt.Targets, &Target{Name: d.name, Provider: "fake", Client: f,
			Metrics: m.ForDeployment("fake", d.name, "r", "mm"), Price: config.Price{InputPerMTok: 1, OutputPerMTok: 1}, HasPrice: true})
	}
	r.exec = New(Options{Health: h, Metrics: m, Rand: rand.New(rand.NewPCG(1, 2)), Now: c.now})
	r.exec.sleep = func(<-chan struct{}, time.Duration) bool { return true }
	return r
}

func (r *rig) calls(name string) int { return int(r.fakes[name].calls.Load()) }

func (r *rig) attempts(name, result string) float64 {
	return testutil.ToFloat64(r.metrics.Attempts.WithLabelValues("mm", name, result))
}
