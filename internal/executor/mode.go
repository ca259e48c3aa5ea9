package executor

import "github.com/windrose-gw/windrose/internal/router"

// mode is how one request's walk runs. It is chosen once, in modeOf, from
// three independent facts about the request; each field names one path of
// the loop, so a reader sees which one a request takes.
type mode struct {
	spawn   spawning  // where each attempt runs
	admit   admission // what lets an attempt start
	verdict verdict   // who records the winner's attempts_total result
}

// spawning is where an attempt runs.
type spawning uint8

const (
	// inline runs each attempt on the request's goroutine: without hedging
	// no two attempts overlap, and a goroutine per attempt costs a fresh
	// stack that the HTTP client grows by copying, on every request.
	inline spawning = iota
	// concurrent runs each attempt on its own goroutine, so a hedge can
	// race the slow attempt it backs up.
	concurrent
)

// admission is what lets an attempt start on a deployment.
type admission uint8

const (
	// byBreaker takes a slot from the deployment's breaker: an open one
	// refuses, a half-open one admits its probes only.
	byBreaker admission = iota
	// byPin serves a request pinned to a deployment (X-Windrose-Deployment):
	// it bypasses the breaker (debugging must be able to reach a sick
	// deployment) but not a Retry-After cooldown (see pinCooldown), and its
	// attempts take no part in the breaker's accounting.
	byPin
)

// verdict says who records the winning attempt's attempts_total result.
type verdict uint8

const (
	// atWin records it when the attempt wins: a complete answer (Chat).
	atWin verdict = iota
	// atEnd leaves it to the caller: a stream's attempt has one result,
	// known only when the stream ends.
	atEnd
)

// modeOf picks the walk's mode for a request.
func modeOf(rt *Route, rr router.Request, stream bool) mode {
	m := mode{spawn: inline, admit: byBreaker, verdict: atWin}
	if rt.HedgeBudget > 0 || stream {
		// A stream's attempt runs on its own goroutine even without
		// hedging: the HTTP client's call is the deepest the request's
		// goroutine would ever go, and a goroutine keeps the stack it grew
		// for the whole stream (minutes, thousands at once). A grown stack
		// on a goroutine that ends as the stream commits is paid once per
		// stream; the handler's own stack then stays at 8 KiB
		// (BENCHMARKS.md, memory per stream).
		m.spawn = concurrent
	}
	if rr.Pin != "" {
		m.admit = byPin
	}
	if stream {
		m.verdict = atEnd
	}
	return m
}

// acquire asks whether an attempt on deployment may start now.
func (w *walk) acquire(deployment string) bool {
	if w.mode.admit == byPin {
		return true
	}
	return w.e.health.Acquire(deployment)
}
