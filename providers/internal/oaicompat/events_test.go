package oaicompat

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/gwerr"
)

// Named-event framing and NoDone (watsonx, PROVIDERS.md §5.6): the Events
// hook decides per event, and without [DONE] the end is a usage chunk at or
// after the finish reason, or an EventEnd.
func TestStreamEventsAndNoDone(t *testing.T) {
	const (
		role   = `{"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}]}`
		finish = `{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`
		usage  = `{"id":"c","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`
	)
	ev := func(name, data string) string { return "event: " + name + "\ndata: " + data + "\n\n" }
	boom := gwerr.New(gwerr.RateLimited, "boom")
	events := func(event, data []byte) (EventAction, error) {
		switch string(event) {
		case "skip":
			return EventSkip, nil
		case "end":
			return EventEnd, nil
		case "fail":
			return EventFail, boom
		}
		return EventChunk, nil
	}
	tests := []struct {
		name   string
		body   string
		noDone bool
		events int        // events returned before the end
		want   gwerr.Kind // the end's kind; Internal means io.EOF
	}{
		// The usage chunk after the finish is the end: io.EOF.
		{"usage ends", ev("m", role) + ev("m", finish) + ev("m", usage), true, 3, gwerr.Internal},
		// An end event after the finish: io.EOF, and nothing after it is read.
		{"end event", ev("m", role) + ev("m", finish) + ev("end", "") + ev("m", role), true, 2, gwerr.Internal},
		// An end event before any finish: the answer is incomplete.
		{"end early", ev("m", role) + ev("end", ""), true, 1, gwerr.Upstream},
		// A finish and a clean end of the body without the usage chunk or an
		// end event: the client holds the whole answer (issue 10), so it is
		// complete, its usage unknown.
		{"no usage", ev("m", role) + ev("m", finish), true, 2, gwerr.Internal},
		// Skipped events never reach the parser (their data is not JSON).
		{"skip", ev("m", role) + ev("skip", "not json") + ev("m", finish) + ev("m", usage), true, 3, gwerr.Internal},
		// A failure event ends the stream with the hook's error.
		{"fail", ev("m", role) + ev("fail", "{}"), true, 1, gwerr.RateLimited},
		// Without NoDone and without [DONE], a finish and a clean end are
		// still a complete answer.
		{"no done", ev("m", role) + ev("m", finish) + ev("m", usage), false, 3, gwerr.Internal},
		// A clean end without any finish reason is a broken stream.
		{"no finish", ev("m", role) + ev("m", usage), false, 2, gwerr.Upstream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStream(context.Background(), io.NopCloser(strings.NewReader(tt.body)),
				StreamOptions{Provider: "test", Events: events, NoDone: tt.noDone})
			n := 0
			var err error
			for ; err == nil; n++ {
				_, err = s.Next()
			}
			n--
			if n != tt.events {
				t.Errorf("events = %d, want %d", n, tt.events)
			}
			if tt.want == gwerr.Internal {
				if !errors.Is(err, io.EOF) {
					t.Errorf("end = %v, want io.EOF", err)
				}
				return
			}
			if errors.Is(err, io.EOF) || gwerr.KindOf(err) != tt.want {
				t.Errorf("end = %v, want kind %v", err, tt.want)
			}
		})
	}
}
