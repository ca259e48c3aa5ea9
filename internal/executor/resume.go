package executor

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/router"
	"github.com/windrose-gw/windrose/providers"
)

// Seamer is a Sink that can mark, for humans, where a resumed stream
// continues on another deployment (an SSE comment line).
type Seamer interface {
	Seam(deployment string) error
}

// streamRun is what a resumable stream keeps across its attempts.
type streamRun struct {
	ctx      context.Context
	deadline time.Time // the request's (zero: none)
	req      *llm.ChatRequest
	rr       router.Request
	res      Result // the stream's, while it can resume (Stream takes it back)
	sent     []byte // text of choice 0 the client already has
	// text says only text of choice 0 went out so far: a tool-call
	// fragment or a second choice cannot be resumed.
	text     bool
	finished bool
	resumes  int
	used     llm.Usage // reported usage of earlier attempts
	hasUsed  bool
}

// newStreamRun returns the resume state of a stream, nil when the model
// does not resume or the request cannot be (n > 1, a pinned deployment).
// It is not inlined so that the state lives on the heap, not in Stream's
// frame, which stays on the stack for the whole stream (BENCHMARKS.md,
// memory per stream).
//
//go:noinline
func newStreamRun(ctx context.Context, deadline time.Time, rt *Route, req *llm.ChatRequest, rr *router.Request, res Result) *streamRun {
	if rt.ResumeMode != "prefix" && rt.ResumeMode != "prefix_or_replay" || rt.ResumeMax <= 0 {
		return nil
	}
	if req.N != nil && *req.N > 1 || rr.Pin != "" {
		return nil
	}
	return &streamRun{ctx: ctx, deadline: deadline, req: req, rr: *rr, res: res, text: true}
}

// record notes what an event sends the client.
func (sr *streamRun) record(ev *llm.StreamEvent) {
	for i := range ev.Deltas {
		d := &ev.Deltas[i]
		if d.Index != 0 || len(d.ToolCalls) > 0 {
			sr.text = false
		}
		if d.FinishReason != "" {
			sr.finished = true
		}
		sr.sent = append(sr.sent, d.Content...)
	}
}

func (sr *streamRun) addUsage(u llm.Usage) {
	sr.used.PromptTokens += u.PromptTokens
	sr.used.CompletionTokens += u.CompletionTokens
	sr.used.TotalTokens += u.TotalTokens
	sr.hasUsed = true
}

// total is what the client's usage chunk says: every attempt's reported
// usage summed (the continuation's prompt includes the prefix).
func (sr *streamRun) total(up *llm.Usage) *llm.Usage {
	if sr == nil || !sr.hasUsed {
		return up
	}
	t := sr.used
	if up != nil {
		t.PromptTokens += up.PromptTokens
		t.CompletionTokens += up.CompletionTokens
		t.TotalTokens += up.TotalTokens
	}
	return &t
}

// resume tries to heal a stream that broke on deployment broken with the
// in-band error cause: prefix continuation on a deployment that supports
// it, else (prefix_or_replay) a replay that must repeat the sent text byte
// for byte. Any failure ends with cause, never another error.
func (e *Executor) resume(rt *Route, sink Sink, sr *streamRun, broken *Target, cause error) (*llm.Usage, error) {
	if sr == nil || !sr.text || sr.finished || len(sr.sent) == 0 || sr.resumes >= rt.ResumeMax ||
		sr.ctx.Err() != nil || passed(sr.deadline) || gwerr.KindOf(cause) == gwerr.Canceled {
		return nil, cause
	}
	plan, err := e.plan(rt, sr.rr)
	if err != nil {
		return nil, cause
	}
	sr.resumes++
	sr.res.Broken = append(sr.res.Broken, broken.Name)
	for _, i := range plan.Attempts {
		t := rt.Targets[i]
		if p, ok := t.Client.(providers.Prefixer); t == broken || !ok || !p.AssistantPrefix() {
			continue
		}
		u, err, refused := e.resumeOn(rt, sink, sr, t, true)
		if !refused {
			return u, errOr(err, cause)
		}
		break
	}
	if rt.ResumeMode != "prefix_or_replay" {
		return nil, cause
	}
	for _, i := range plan.Attempts {
		t := rt.Targets[i]
		if t == broken {
			continue // a refused prefill says nothing against a replay there
		}
		u, err, _ := e.resumeOn(rt, sink, sr, t, false)
		return u, errOr(err, cause)
	}
	return nil, cause
}

// errOr is cause when a resume failed (err != nil), else nil.
func errOr(err, cause error) error {
	if err != nil {
		return cause
	}
	return nil
}

// resumeOn continues the stream on t, by prefix or by replay. refused
// reports a prefill the provider rejected (a 4xx before any event): not
// the deployment's failure, so its breaker slot is released untouched.
func (e *Executor) resumeOn(rt *Route, sink Sink, sr *streamRun, t *Target, prefix bool) (u *llm.Usage, err error, refused bool) {
	if sr.res.Attempts >= rt.Attempts || sr.ctx.Err() != nil || passed(sr.deadline) || !e.health.Acquire(t.Name) {
		return nil, errResumeSkipped, false
	}
	sr.res.Attempts++
	ctx, cancel := context.WithCancelCause(sr.ctx)
	a := &attempt{t: t, ctx: ctx, cancel: cancel, start: e.now()}
	a.armDeadline(sr.deadline)
	defer a.disarm()
	req := *sr.req
	if prefix {
		req.Messages = append(append(make([]llm.Message, 0, len(sr.req.Messages)+1), sr.req.Messages...),
			llm.Message{Role: llm.RoleAssistant, Content: string(sr.sent), Prefix: true})
	}
	var stop func() bool
	if d := e.firstTokenTimeout(rt, t, &req); d > 0 {
		stop = time.AfterFunc(d, func() { a.cancel(errFirstToken) }).Stop
	}
	inner, err := t.Client.ChatStream(ctx, &req)
	if err == nil {
		a.stream = &seamStream{Stream: inner, want: bytes.Clone(sr.sent), strict: !prefix, onRaw: stop}
		e.readFirst(a)
	} else {
		a.err = err
	}
	if stop != nil {
		stop()
	}
	if a.err == nil && a.first == nil && a.empty.finish != "" {
		// The new answer covered the sent text exactly and finished (the
		// break came just before the finish reason): a continuation with
		// no text, not an empty answer.
		a.ttft = e.now().Sub(a.start)
		a.first = &llm.StreamEvent{Deltas: []llm.Delta{{FinishReason: a.empty.finish}},
			Usage: usagePtr(a.empty.usage, a.empty.hasUse)}
	}
	name := t.Name
	if a.err != nil || a.first == nil {
		if a.err == nil {
			a.err = errDiverged // an empty answer cannot continue the text
		}
		defer a.cancel(nil)
		switch {
		case prefix && a.stream == nil && gwerr.KindOf(a.err) == gwerr.InvalidRequest:
			e.health.Release(name)
			t.Metrics.Outcome("invalid_request")
			e.metrics.Attempts.WithLabelValues(rt.Model.Name, name, "failed").Inc()
			e.resumed(rt, sr, name, "refused")
			return nil, a.err, true
		case a.err == errDiverged:
			e.lost(rt, a)
			e.resumed(rt, sr, name, "diverged")
		default:
			e.failed(rt, a)
			e.metrics.Attempts.WithLabelValues(rt.Model.Name, name, "failed").Inc()
			e.resumed(rt, sr, name, "failed")
		}
		return nil, a.err, false
	}
	defer a.cancel(nil)
	defer a.stream.Close()
	result := "resumed"
	if !prefix {
		result = "replayed"
	}
	e.resumed(rt, sr, name, result)
	a.winResult = "success"
	sr.res.Target = t
	if s, ok := sink.(Seamer); ok {
		if err := s.Seam(name); err != nil {
			e.lost(rt, a)
			return nil, gwerr.Wrap(gwerr.Canceled, err, "the client went away"), false
		}
	}
	u, err = e.pump(rt, a, sink, sr, sr.deadline)
	return u, err, false
}

func (e *Executor) resumed(rt *Route, sr *streamRun, deployment, result string) {
	e.metrics.StreamResumes.WithLabelValues(rt.Model.Name, deployment, result).Inc()
	sr.res.Resumes = append(sr.res.Resumes, deployment+":"+result)
}

var (
	errDiverged      = gwerr.New(gwerr.Upstream, "the replayed answer differs from the text already sent")
	errResumeSkipped = gwerr.New(gwerr.Unavailable, "no attempt left to resume on")
)

// seamStream hides, at the start of a resumed stream, the text the client
// already has. strict (replay): the new answer must repeat it byte for
// byte, else Next fails with errDiverged before any event goes out. Not
// strict (prefix): a continuation that repeats the prefix has it stripped;
// one that does not passes through whole.
type seamStream struct {
	providers.Stream
	want   []byte // sent text still to be matched; nil once done
	strict bool
	held   []byte // matched bytes withheld (prefix mode)
	onRaw  func() bool
}

// BeforeRead keeps a batching sink flushed across the seam.
func (s *seamStream) BeforeRead(fn func()) {
	if rn, ok := s.Stream.(ReadNotifier); ok {
		rn.BeforeRead(fn)
	}
}

func (s *seamStream) Next() (*llm.StreamEvent, error) {
	for {
		ev, err := s.Stream.Next()
		if err != nil || s.want == nil {
			return ev, err
		}
		if s.onRaw != nil && ev.HasContent() {
			s.onRaw() // first token: its bound is met
			s.onRaw = nil
		}
		if done, err := s.match(ev); done || err != nil {
			return ev, err
		}
	}
}

// match consumes ev's text against want. It reports whether ev should be
// returned now.
func (s *seamStream) match(ev *llm.StreamEvent) (bool, error) {
	keep := false
	for i := range ev.Deltas {
		d := &ev.Deltas[i]
		if d.Index != 0 || len(d.ToolCalls) > 0 {
			return s.mismatch(ev, i)
		}
		if s.want == nil {
			keep = true
			continue
		}
		n := min(len(d.Content), len(s.want))
		if !bytes.Equal(d.Content[:n], s.want[:n]) {
			return s.mismatch(ev, i)
		}
		s.held = append(s.held, d.Content[:n]...)
		s.want = s.want[n:]
		d.Content = d.Content[n:]
		if len(s.want) == 0 {
			s.want, s.held = nil, nil
		}
		if d.FinishReason != "" && s.want != nil {
			return s.mismatch(ev, i) // ended before covering the sent text
		}
		keep = keep || len(d.Content) > 0 || d.FinishReason != ""
	}
	if !keep {
		ev.Deltas = ev.Deltas[:0]
	}
	return keep || ev.Usage != nil, nil
}

// mismatch ends matching at ev.Deltas[i]: a replay diverged; a prefix
// continuation that does not repeat the prefix gets its withheld bytes
// back, in front of its text or, before a tool call, as a text delta of
// their own (never dropped).
func (s *seamStream) mismatch(ev *llm.StreamEvent, i int) (bool, error) {
	if s.strict {
		return true, errDiverged
	}
	if d := &ev.Deltas[i]; d.Index == 0 && len(d.ToolCalls) == 0 {
		d.Content = append(s.held, d.Content...)
	} else if len(s.held) > 0 {
		ev.Deltas = slices.Insert(ev.Deltas, i, llm.Delta{Content: s.held})
	}
	s.want, s.held = nil, nil
	return true, nil
}
