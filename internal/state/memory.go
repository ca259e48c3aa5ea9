package state

import (
	"context"
	"sync"
	"time"
)

// Memory is the in-process Store: every limit holds within this process
// only, and spend is lost on restart. It allocates only the first time it
// sees a key.
type Memory struct {
	mu   sync.RWMutex
	keys map[string]*keyState
}

// keyState is one key's counters. Its mutex keeps keys from contending.
type keyState struct {
	mu          sync.Mutex
	reqTAT      int64 // µs since the Unix epoch
	tokTAT      int64
	periodStart int64 // Unix seconds of the budget period counted in spent
	spent       float64
}

// NewMemory returns an empty in-process store.
func NewMemory() *Memory { return &Memory{keys: map[string]*keyState{}} }

func (m *Memory) state(key string) *keyState {
	m.mu.RLock()
	ks := m.keys[key]
	m.mu.RUnlock()
	if ks != nil {
		return ks
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if ks = m.keys[key]; ks == nil {
		ks = &keyState{}
		m.keys[key] = ks
	}
	return ks
}

// spentAt returns the spend of the period holding now, resetting it when a
// new period began.
func (ks *keyState) spentAt(p Period, now time.Time) (float64, time.Time) {
	start, end := p.Bounds(now)
	if s := start.Unix(); ks.periodStart != s {
		ks.periodStart, ks.spent = s, 0
	}
	return ks.spent, end
}

// Admit implements Store.
func (m *Memory) Admit(_ context.Context, a Admission) (Decision, error) {
	ks := m.state(a.Key)
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return ks.admit(a), nil
}

func (ks *keyState) admit(a Admission) Decision {
	now := a.Now.UnixMicro()
	var d Decision
	l := a.Limits
	if l.BudgetUSD > 0 {
		d.SpentUSD, d.BudgetReset = ks.spentAt(l.Period, a.Now)
		if d.SpentUSD >= l.BudgetUSD {
			d.Reason, d.RetryAfter = Budget, d.BudgetReset.Sub(a.Now)
			return d
		}
	}
	reqTAT, tokTAT := ks.reqTAT, ks.tokTAT
	if l.RequestsPerMinute > 0 {
		g := newGCRA(l.RequestsPerMinute)
		next, ok, wait := g.take(reqTAT, now, 1)
		if !ok {
			d.Reason, d.RetryAfter = RequestRate, time.Duration(wait)*time.Microsecond
			d.RemainingRequests, _ = g.remaining(reqTAT, now)
			return d
		}
		reqTAT = next
	}
	if l.TokensPerMinute > 0 {
		g := newGCRA(l.TokensPerMinute)
		d.Reserved = min(max(a.Tokens, 1), l.TokensPerMinute)
		next, ok, wait := g.take(tokTAT, now, d.Reserved)
		if !ok {
			d.Reason, d.RetryAfter, d.Reserved = TokenRate, time.Duration(wait)*time.Microsecond, 0
			d.RemainingTokens, _ = g.remaining(tokTAT, now)
			return d
		}
		tokTAT = next
	}
	ks.reqTAT, ks.tokTAT = reqTAT, tokTAT
	fillRemaining(&d, l, reqTAT, tokTAT, now)
	return d
}

// fillRemaining sets the header figures from the counters after a request.
func fillRemaining(d *Decision, l Limits, reqTAT, tokTAT, now int64) {
	if l.RequestsPerMinute > 0 {
		left, reset := newGCRA(l.RequestsPerMinute).remaining(reqTAT, now)
		d.RemainingRequests, d.ResetRequests = left, time.Duration(reset)*time.Microsecond
	}
	if l.TokensPerMinute > 0 {
		left, reset := newGCRA(l.TokensPerMinute).remaining(tokTAT, now)
		d.RemainingTokens, d.ResetTokens = left, time.Duration(reset)*time.Microsecond
	}
}

// Settle implements Store.
func (m *Memory) Settle(_ context.Context, s Settlement) error {
	ks := m.state(s.Key)
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.settle(s)
	return nil
}

func (ks *keyState) settle(s Settlement) {
	if s.Limits.TokensPerMinute > 0 {
		ks.tokTAT = newGCRA(s.Limits.TokensPerMinute).adjust(ks.tokTAT, s.Now.UnixMicro(), s.Tokens-s.Reserved)
	}
	if s.Limits.BudgetUSD > 0 && s.CostUSD > 0 {
		ks.spentAt(s.Limits.Period, s.Now)
		ks.spent += s.CostUSD
	}
}

// Usage implements Store.
func (m *Memory) Usage(_ context.Context, key string, l Limits, now time.Time) (Usage, error) {
	ks := m.state(key)
	ks.mu.Lock()
	defer ks.mu.Unlock()
	var u Usage
	if l.Period != NoPeriod {
		u.PeriodStart, u.PeriodEnd = l.Period.Bounds(now)
		u.SpentUSD, _ = ks.spentAt(l.Period, now)
	}
	var d Decision
	fillRemaining(&d, l, ks.reqTAT, ks.tokTAT, now.UnixMicro())
	u.RemainingRequests, u.RemainingTokens = d.RemainingRequests, d.RemainingTokens
	return u, nil
}

// addSpend adds spend recorded elsewhere (reconciliation after an outage).
func (m *Memory) addSpend(key string, p Period, now time.Time, usd float64) {
	ks := m.state(key)
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.spentAt(p, now)
	ks.spent += usd
}
