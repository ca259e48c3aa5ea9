package executor

import (
	"context"
	"sync"

	"github.com/windrose-gw/windrose/internal/llm"
)

// Meter sums what every attempt of one request consumed — failed, losing
// and hedged attempts included — and what it cost, exactly as the token and
// cost metrics count it. Key budgets and token limits settle from it.
type Meter struct {
	mu       sync.Mutex
	input    int64
	output   int64
	cost     float64
	unpriced bool
}

type meterKey struct{}

// WithMeter returns ctx carrying m; the executor adds every attempt's usage
// to it.
func WithMeter(ctx context.Context, m *Meter) context.Context {
	return context.WithValue(ctx, meterKey{}, m)
}

func meterFrom(ctx context.Context) *Meter {
	m, _ := ctx.Value(meterKey{}).(*Meter)
	return m
}

func (m *Meter) add(u *llm.Usage, cost float64, priced bool) {
	m.mu.Lock()
	m.input += int64(u.PromptTokens)
	m.output += int64(u.CompletionTokens)
	m.cost += cost
	m.unpriced = m.unpriced || !priced
	m.mu.Unlock()
}

// Totals returns the tokens and USD counted so far; unpriced is true when
// some usage had no price (its cost is missing from usd).
func (m *Meter) Totals() (input, output int64, usd float64, unpriced bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.input, m.output, m.cost, m.unpriced
}
