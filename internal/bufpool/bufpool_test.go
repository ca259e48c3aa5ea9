package bufpool

import "testing"

// TestLoan: a loan hands out an empty buffer, keeps handing out the same
// one until it is returned, and a returned buffer (grown or not) is lent
// again without allocating; one grown past maxKept is not kept.
func TestLoan(t *testing.T) {
	p := New(16)
	var l Loan
	if l.Held() {
		t.Fatal("the zero Loan holds a buffer")
	}
	b := append(l.Take(p), "hello"...)
	if again := l.Take(p); len(again) != 0 || cap(again) != cap(b) || &again[:1][0] != &b[0] {
		t.Fatalf("a second Take gave another buffer (len %d cap %d)", len(again), cap(again))
	}
	l.Return(p, b)
	if l.Held() {
		t.Fatal("Return left the loan holding")
	}
	l.Return(p, b) // returning twice is harmless

	big := make([]byte, 0, maxKept+1)
	l.Take(p)
	l.Return(p, big)
	for range 4 {
		if got := l.Take(p); cap(got) > maxKept {
			t.Fatalf("a buffer past maxKept was kept (cap %d)", cap(got))
		}
		l.Return(p, l.Take(p))
	}
}

func TestLoanNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	p := New(64)
	var l Loan
	l.Return(p, l.Take(p))
	if n := testing.AllocsPerRun(100, func() {
		b := append(l.Take(p), "event"...)
		l.Return(p, b)
	}); n != 0 {
		t.Fatalf("%v allocations per take and return, want 0", n)
	}
}
