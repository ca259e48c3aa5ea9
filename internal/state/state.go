// Package state holds what client-key governance counts: per-key request
// and token rate windows, budget spend per calendar period, and what one
// replica learns about a deployment (a Retry-After cooldown, an open
// breaker) so that others skip it too.
//
// Two backends implement Store: Memory (one process, no service) and Redis
// (shared by every replica; atomic server-side scripts, one round trip per
// check). Redis falls back to a local Memory store when the server is down
// or slow, per its OnError policy.
package state

import (
	"context"
	"time"
)

// Period is a budget's calendar period, in UTC.
type Period int

// Budget periods.
const (
	NoPeriod Period = iota
	Day
	Week // ISO weeks: Monday 00:00 UTC
	Month
)

// ParsePeriod reads "day", "week" or "month".
func ParsePeriod(s string) (Period, bool) {
	switch s {
	case "day":
		return Day, true
	case "week":
		return Week, true
	case "month":
		return Month, true
	}
	return NoPeriod, false
}

// String returns the period's config spelling.
func (p Period) String() string {
	switch p {
	case Day:
		return "day"
	case Week:
		return "week"
	case Month:
		return "month"
	}
	return ""
}

// Bounds returns the start of the period holding t and the start of the
// next one.
func (p Period) Bounds(t time.Time) (start, end time.Time) {
	t = t.UTC()
	y, m, d := t.Date()
	switch p {
	case Day:
		start = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 0, 1)
	case Week:
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		start = time.Date(y, m, d-back, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 0, 7)
	case Month:
		start = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0)
	}
	return time.Time{}, time.Time{}
}

// Limits are one key's limits. A zero field means no limit of that kind.
type Limits struct {
	RequestsPerMinute int64
	TokensPerMinute   int64
	BudgetUSD         float64
	Period            Period
}

// Admission asks whether key may start a request now.
type Admission struct {
	Key    string // the key's configured name
	Limits Limits
	// Tokens is the reservation against TokensPerMinute: an estimate, to
	// be settled with the real usage when the request ends.
	Tokens int64
	Now    time.Time
}

// Reason says which limit refused a request.
type Reason int

// Reasons for a refusal.
const (
	Allowed Reason = iota
	RequestRate
	TokenRate
	Budget
)

// Decision is the answer to an Admission, with what the response headers
// report. Remaining and reset fields are meaningful only for the limits
// that are set.
type Decision struct {
	Reason            Reason
	RetryAfter        time.Duration // when refused: how long until it may pass
	RemainingRequests int64
	RemainingTokens   int64
	ResetRequests     time.Duration // until the request window is full again
	ResetTokens       time.Duration
	SpentUSD          float64   // in the current budget period
	BudgetReset       time.Time // start of the next budget period
	Reserved          int64     // tokens actually reserved (capped at the limit)
}

// OK reports whether the request may start.
func (d Decision) OK() bool { return d.Reason == Allowed }

// Settlement closes a request: the real tokens it used (every attempt,
// failed ones included) and what it cost.
type Settlement struct {
	Key      string
	Limits   Limits
	Reserved int64 // Decision.Reserved
	Tokens   int64 // real input + output tokens
	CostUSD  float64
	Now      time.Time
}

// Usage is one key's standing, for the self and admin views.
type Usage struct {
	SpentUSD          float64
	PeriodStart       time.Time
	PeriodEnd         time.Time
	RemainingRequests int64
	RemainingTokens   int64
}

// Store counts requests, tokens and spend per key.
type Store interface {
	// Admit checks every limit of a.Limits and, only if all pass, counts
	// the request and reserves a.Tokens, atomically.
	Admit(ctx context.Context, a Admission) (Decision, error)
	// Settle replaces a reservation by the real token count (refunding or
	// charging the difference) and adds the cost to the period's spend.
	Settle(ctx context.Context, s Settlement) error
	// Usage reads key's standing without changing it.
	Usage(ctx context.Context, key string, l Limits, now time.Time) (Usage, error)
}
