package health

import "time"

// OnCooldown sets the function called after each local Cooldown (a
// Retry-After this process saw), so it can be shared with other replicas.
// Set it once at wiring time; fn runs on the caller's goroutine and must
// not block.
func (t *Tracker) OnCooldown(fn func(deployment string, d time.Duration)) {
	t.onCooldown.Store(&fn)
}

// PeerCooldown applies a cooldown another replica learned: like Cooldown,
// but it is not passed on again.
func (t *Tracker) PeerCooldown(deployment string, d time.Duration) {
	if b := t.get(deployment); b != nil && d > 0 {
		b.cooldown(t.elapsed(), d)
	}
}

// OpenFor is the configured time an open breaker waits before probing.
func (t *Tracker) OpenFor() time.Duration { return t.cfg.OpenFor }
