package executor

import (
	"time"

	"github.com/windrose-gw/windrose/internal/llm"
)

// FirstTokenBound is how long a deployment may take to send a stream's
// first content before the attempt is abandoned for the next deployment
// (nothing has reached the client yet, so failing over is free).
//
// Fixed > 0 is a fixed bound. Otherwise the bound adapts to the
// deployment's own history: Factor times its observed p99 time to first
// token, at least Floor, plus PerKPromptTokens per 1000 estimated prompt
// tokens (prefill grows with the prompt), at most Ceiling. With fewer than
// MinSamples observations it is ColdStart plus the same allowance.
type FirstTokenBound struct {
	Fixed            time.Duration
	Floor, Ceiling   time.Duration
	ColdStart        time.Duration
	Factor           float64
	PerKPromptTokens time.Duration
	MinSamples       int
}

// TTFTStats is what the adaptive bound needs of the health tracker.
type TTFTStats interface {
	TTFTStats(deployment string) (p99 time.Duration, samples int)
}

// Of returns the bound for a prompt of promptTokens (estimated) given the
// deployment's observed p99 and sample count; 0 means unbounded.
func (b FirstTokenBound) Of(p99 time.Duration, samples, promptTokens int) time.Duration {
	if b.Fixed > 0 {
		return b.Fixed
	}
	if b.Ceiling <= 0 {
		return 0 // an unconfigured bound (Go-built routes): no limit
	}
	allowance := time.Duration(float64(b.PerKPromptTokens) * float64(promptTokens) / 1000)
	d := b.ColdStart
	if samples >= b.MinSamples && p99 > 0 {
		d = max(b.Floor, time.Duration(b.Factor*float64(p99)))
	}
	return min(d+allowance, b.Ceiling)
}

// firstTokenTimeout is t's bound for req now: the route's fixed
// FirstTokenTimeout when the target has no bound of its own.
func (e *Executor) firstTokenTimeout(rt *Route, t *Target, req *llm.ChatRequest) time.Duration {
	b := t.FirstToken
	if b == (FirstTokenBound{}) {
		return rt.FirstTokenTimeout
	}
	if b.Fixed > 0 {
		return b.Fixed
	}
	var p99 time.Duration
	var n int
	if s, ok := e.health.(TTFTStats); ok {
		p99, n = s.TTFTStats(t.Name)
	}
	return b.Of(p99, n, promptTokens(req))
}

// EffectiveFirstToken is t's first-token bound for an empty prompt, as
// GET /v1/windrose/status shows it.
func (e *Executor) EffectiveFirstToken(rt *Route, t *Target) time.Duration {
	return e.firstTokenTimeout(rt, t, &llm.ChatRequest{})
}

// promptTokens estimates a request's prompt size in tokens as bytes/4: a
// tokenizer per provider would cost more than the allowance is worth.
func promptTokens(req *llm.ChatRequest) int {
	n := 0
	for i := range req.Messages {
		m := &req.Messages[i]
		n += len(m.Content)
		for _, p := range m.Parts {
			n += len(p.Text)
		}
		for _, tc := range m.ToolCalls {
			n += len(tc.Arguments)
		}
	}
	for _, t := range req.Tools {
		n += len(t.Parameters)
	}
	return n / 4
}
