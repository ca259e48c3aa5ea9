// Package bufpool lends byte buffers to owners that need one only now and
// then, such as a stream between two events: a buffer kept per owner is
// held by every idle stream, thousands at once (issue 15, memory per
// stream), while a lent one exists only as often as writes and reads run
// at the same time.
package bufpool

import "sync"

// maxKept is the largest buffer given back to a pool; a rare, larger one
// is left to the collector.
const maxKept = 64 << 10

// Pool lends buffers of one initial capacity.
type Pool struct{ p sync.Pool }

// New returns a pool of buffers with capacity size.
func New(size int) *Pool {
	return &Pool{p: sync.Pool{New: func() any { b := make([]byte, 0, size); return &b }}}
}

// Loan is an owner's hold on one buffer of a Pool; the zero Loan holds
// none. (The pool stores *[]byte, so lending allocates nothing.)
type Loan struct{ h *[]byte }

// Take returns an empty buffer: the one l holds, else one borrowed from p.
func (l *Loan) Take(p *Pool) []byte {
	if l.h == nil {
		l.h = p.p.Get().(*[]byte)
	}
	return (*l.h)[:0]
}

// Held reports whether l holds a buffer.
func (l *Loan) Held() bool { return l.h != nil }

// Return gives buf, what Take returned (perhaps grown by append), back to
// p. Neither may be used after.
func (l *Loan) Return(p *Pool, buf []byte) {
	if l.h == nil {
		return
	}
	if cap(buf) <= maxKept {
		*l.h = buf[:0]
		p.p.Put(l.h)
	}
	l.h = nil
}
