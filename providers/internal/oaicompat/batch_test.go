package oaicompat

import (
	"context"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// segments is a body that returns at most one segment per Read, like a
// socket on which the provider's writes arrive one by one (a short read
// leaves the rest of its segment for the next).
type segments struct{ parts []string }

func (s *segments) Read(p []byte) (int, error) {
	if len(s.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.parts[0])
	if s.parts[0] = s.parts[0][n:]; s.parts[0] == "" {
		s.parts = s.parts[1:]
	}
	return n, nil
}

func (s *segments) Close() error { return nil }

// TestBeforeRead checks the hook the executor batches client writes with:
// it must run before every read of the body (else an event written to the
// client could wait for the provider's next one), and not between events
// that one read already brought (else nothing is batched).
func TestBeforeRead(t *testing.T) {
	const c = `data: {"id":"x","model":"m","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}` + "\n\n"
	const last = `data: {"id":"x","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n"
	body := &segments{parts: []string{c + c, c, last + "data: [DONE]\n\n"}}
	s := NewStream(context.Background(), body, StreamOptions{Provider: "test"})
	reads := 0
	s.BeforeRead(func() { reads++ })
	var got []int // reads seen when each event came out
	for {
		_, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		got = append(got, reads)
	}
	// Two events from the first read, one from the second, the finish from
	// the third.
	if diff := cmp.Diff([]int{1, 1, 2, 3}, got); diff != "" {
		t.Errorf("reads before each event (-want +got):\n%s", diff)
	}
}

// TestReleasedReaderEnds checks that a released SSE reader (its buffer back
// in the pool) answers io.EOF instead of reading through a reused buffer.
func TestReleasedReaderEnds(t *testing.T) {
	r := NewSSEReader(&segments{parts: []string{"data: 1\n\n", "data: 2\n\n"}}, 0)
	if _, err := r.Next(); err != nil {
		t.Fatalf("first Next: %v", err)
	}
	r.Release()
	r.Release() // twice is harmless
	if data, err := r.Next(); err != io.EOF {
		t.Errorf("Next after Release = %q, %v; want io.EOF", data, err)
	}
}

// TestReaderParksBetweenEvents checks that a reader waiting for its next
// event holds no read buffer (memory per slow stream, issue 15), keeps it
// while a read brought more than one event, and loses no byte across a
// park, even when an event arrives one byte at a time.
func TestReaderParksBetweenEvents(t *testing.T) {
	r := NewSSEReader(&segments{parts: []string{"data: 1\n\ndata: 2\n\n", "d", "ata: 3", "\n", "\n", "data: [DONE]\n\n"}}, 0)
	var got []string
	var parked []bool // after each event
	for {
		data, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		got = append(got, string(data))
		parked = append(parked, r.br == nil)
	}
	if diff := cmp.Diff([]string{"1", "2", "3"}, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]bool{false, true, true}, parked); diff != "" {
		t.Errorf("parked after each event (-want +got):\n%s", diff)
	}
	if !r.Done() {
		t.Error("[DONE] not seen")
	}
}
