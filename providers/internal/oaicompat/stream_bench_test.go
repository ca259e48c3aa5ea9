package oaicompat

import (
	"context"
	"io"
	"testing"
)

// loopBody returns one event per Read, like a socket on which a paced
// provider's chunks arrive one by one, and ends after n events.
type loopBody struct {
	event []byte
	n     int
	off   int
}

func (l *loopBody) Read(p []byte) (int, error) {
	if l.n == 0 {
		return 0, io.EOF
	}
	c := copy(p, l.event[l.off:])
	if l.off += c; l.off == len(l.event) {
		l.off = 0
		l.n--
	}
	return c, nil
}

func (l *loopBody) Close() error { return nil }

// BenchmarkStreamNext measures one event through the SSE reader and the
// chunk parser when every event comes in a read of its own (the reader
// parks its buffer between events then): ns and allocations per event.
func BenchmarkStreamNext(b *testing.B) {
	ev := []byte(`data: {"id":"cmpl-1","object":"chat.completion.chunk","created":1767225600,"model":"mistral-medium-2508","choices":[{"index":0,"delta":{"content":" word"},"finish_reason":null}]}` + "\n\n")
	body := &loopBody{event: ev, n: b.N + 1}
	s := NewStream(context.Background(), body, StreamOptions{Provider: "bench"})
	if _, err := s.Next(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := s.Next(); err != nil {
			b.Fatal(err)
		}
	}
}
