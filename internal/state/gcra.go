package state

import "time"

// The rate windows are GCRA (the generic cell rate algorithm): one number
// per limit, the theoretical arrival time (tat). A limit of L per window W
// emits one unit every W/L; a request of cost c passes when, after adding
// c units, tat lies no more than W ahead of now. Refunds move tat back
// (never behind now). Memory and Redis run the same arithmetic, in
// microseconds so that Lua's doubles stay exact.

const window = time.Minute

// gcra is one limit's arithmetic.
type gcra struct {
	interval int64 // µs per unit
	span     int64 // µs of the whole window
	limit    int64
}

func newGCRA(perMinute int64) gcra {
	span := window.Microseconds()
	return gcra{interval: max(span/perMinute, 1), span: span, limit: perMinute}
}

// take returns the new tat and whether cost fits at now; on refusal, wait
// is how long until it would.
func (g gcra) take(tat, now, cost int64) (newTAT int64, ok bool, wait int64) {
	base := max(tat, now)
	next := base + cost*g.interval
	if over := next - now - g.span; over > 0 {
		return tat, false, over
	}
	return next, true, 0
}

// remaining is how many units are left at now, and how long until the
// window is whole again.
func (g gcra) remaining(tat, now int64) (left int64, reset int64) {
	ahead := max(tat-now, 0)
	left = (g.span - ahead) / g.interval
	return max(min(left, g.limit), 0), ahead
}

// adjust moves tat by delta units (negative: a refund), never behind now.
func (g gcra) adjust(tat, now, delta int64) int64 {
	return max(tat+delta*g.interval, now)
}
