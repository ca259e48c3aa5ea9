package server

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/windrose-gw/windrose/internal/executor"
	"github.com/windrose-gw/windrose/internal/llm"
)

func newTestSink(w http.ResponseWriter) *sseSink {
	return &sseSink{w: w, rc: http.NewResponseController(w), reqID: "r1",
		now: func() time.Time { return time.Unix(1, 0) }}
}

func contentEvent(s string) *llm.StreamEvent {
	return &llm.StreamEvent{ID: "c1", Model: "m", Created: 1, Deltas: []llm.Delta{{Content: []byte(s)}}}
}

// TestSinkBatch checks the batching the executor switches on for streams
// whose provider reports its reads: events are written but not flushed
// until the flush Batch returned is called, and [DONE] is left to the
// handler's return. Without Batch every event is flushed, as before.
func TestSinkBatch(t *testing.T) {
	var _ executor.BatchSink = (*sseSink)(nil)
	tests := []struct {
		name        string
		batch       bool
		wantFlushed bool // after one Event
	}{
		// Adapters without BeforeRead keep one flush per event.
		{"unbatched", false, true},
		// Batched: the event waits for the provider read's flush.
		{"batched", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s := newTestSink(rec)
			if err := s.Commit(&executor.Target{Name: "d", Model: "m"}, 1); err != nil {
				t.Fatal(err)
			}
			// Commit sends the headers (sendHeaders); what matters here
			// is the events' flushes.
			if !rec.Flushed {
				t.Error("Commit did not send the headers")
			}
			rec.Flushed = false
			var flush func()
			if tt.batch {
				flush = s.Batch()
			}
			if err := s.Event(contentEvent("hello")); err != nil {
				t.Fatalf("Event: %v", err)
			}
			if rec.Flushed != tt.wantFlushed {
				t.Errorf("flushed after Event = %v, want %v", rec.Flushed, tt.wantFlushed)
			}
			if !strings.Contains(rec.Body.String(), `"content":"hello"`) {
				t.Errorf("event not written: %q", rec.Body)
			}
			if flush != nil {
				flush()
				if !rec.Flushed {
					t.Error("the batch flush did not flush")
				}
			}
			s.end(nil, nil)
			if !strings.HasSuffix(rec.Body.String(), "data: [DONE]\n\n") {
				t.Errorf("stream does not end with [DONE]: %q", rec.Body)
			}
		})
	}
}

// failingFlush is a client connection that broke: writes are buffered,
// flushing fails.
type failingFlush struct{ *httptest.ResponseRecorder }

func (f failingFlush) FlushError() error { return errors.New("broken pipe") }

// TestSinkBatchFlushError checks that a client lost during a batched flush
// is reported by the next Event, so the executor stops the stream.
func TestSinkBatchFlushError(t *testing.T) {
	s := newTestSink(failingFlush{httptest.NewRecorder()})
	flush := s.Batch()
	if err := s.Event(contentEvent("a")); err != nil {
		t.Fatalf("first Event: %v", err)
	}
	flush()
	if err := s.Event(contentEvent("b")); err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("Event after a failed flush = %v, want the flush error", err)
	}
}

// TestSinkAnnouncesEachChoice: with n > 1 each choice gets its own role
// chunk right before its first delta, and a choice the provider never
// produced gets none (a role chunk for it would leave clients an empty,
// unfinished choice).
func TestSinkAnnouncesEachChoice(t *testing.T) {
	rec := httptest.NewRecorder()
	s := newTestSink(rec)
	ev := func(i int, text string) *llm.StreamEvent {
		return &llm.StreamEvent{ID: "c1", Model: "m", Created: 1, Deltas: []llm.Delta{{Index: i, Content: []byte(text)}}}
	}
	for _, e := range []*llm.StreamEvent{ev(0, "a"), ev(1, "b"), ev(0, "c"), ev(1, "d")} {
		if err := s.Event(e); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, line := range strings.Split(rec.Body.String(), "\n\n") {
		switch {
		case strings.Contains(line, `"role":"assistant"`):
			got = append(got, "role"+line[strings.Index(line, `"index":`)+8:][:1])
		case strings.Contains(line, `"content":"`):
			i := strings.Index(line, `"content":"`) + 11
			got = append(got, line[i:i+1])
		}
	}
	want := "role0 a role1 b c d"
	if strings.Join(got, " ") != want {
		t.Fatalf("chunks = %q, want %q\n%s", strings.Join(got, " "), want, rec.Body.String())
	}
}
