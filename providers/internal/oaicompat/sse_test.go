package oaicompat

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSSEReader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		done    bool
		wantErr error
	}{
		// The Mistral transcript shape: data-only events and [DONE].
		{name: "plain", in: "data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n", want: []string{`{"a":1}`, `{"a":2}`}, done: true},
		// Windows line ends must not leave a \r in the payload.
		{name: "crlf", in: "data: x\r\n\r\ndata: [DONE]\r\n\r\n", want: []string{"x"}, done: true},
		// OpenRouter keep-alives are comments and must never reach JSON parsing.
		{name: "comments", in: ": OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\ndata: y\n\ndata: [DONE]\n\n", want: []string{"y"}, done: true},
		// The SSE spec joins several data lines of one event with \n.
		{name: "multi-line data", in: "data: {\"a\":\ndata: 1}\n\ndata: [DONE]\n\n", want: []string{"{\"a\":\n1}"}, done: true},
		// "data:" without the optional space is still data.
		{name: "no space", in: "data:z\n\ndata:[DONE]\n\n", want: []string{"z"}, done: true},
		// event: and id: fields are accepted around data (watsonx style).
		{name: "event and id", in: "id: 1\nevent: message\ndata: m\n\nevent: close\n\n", want: []string{"m"}},
		// A server that closes right after [DONE] without a blank line still ended properly.
		{name: "done at eof", in: "data: a\n\ndata: [DONE]", want: []string{"a"}, done: true},
		// A cut stream: the half event is discarded and [DONE] was never seen.
		{name: "cut mid event", in: "data: a\n\ndata: {\"b\"", want: []string{"a"}},
		// Nothing but blank lines is an empty stream, not an error.
		{name: "blank", in: "\n\n\n", want: nil},
		// Anything after [DONE] is ignored.
		{name: "after done", in: "data: [DONE]\n\ndata: late\n\n", want: nil, done: true},
		// A line over the cap is an error, not unbounded buffering.
		{name: "too long", in: "data: " + strings.Repeat("x", 300) + "\n\n", wantErr: ErrLineTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A tiny bufio size would hide the long-line path; 256 keeps it honest.
			r := NewSSEReader(strings.NewReader(tt.in), 256)
			var got []string
			var err error
			for {
				var b []byte
				b, err = r.Next()
				if err != nil {
					break
				}
				got = append(got, string(b))
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != io.EOF {
				t.Fatalf("err = %v, want io.EOF", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("payloads (-want +got):\n%s", diff)
			}
			if r.Done() != tt.done {
				t.Errorf("Done() = %v, want %v", r.Done(), tt.done)
			}
		})
	}
}

// A line longer than the bufio buffer but under the cap must come back whole.
func TestSSEReaderLongLine(t *testing.T) {
	long := strings.Repeat("y", 100<<10)
	r := NewSSEReader(strings.NewReader("data: "+long+"\n\n"), 0)
	b, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != long {
		t.Fatalf("got %d bytes, want %d", len(b), len(long))
	}
}

// The event field is reported for the payload it came with.
func TestSSEReaderEventField(t *testing.T) {
	r := NewSSEReader(strings.NewReader("event: error\ndata: e\n\ndata: d\n\n"), 0)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if string(r.Event()) != "error" {
		t.Errorf("Event() = %q, want error", r.Event())
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if len(r.Event()) != 0 {
		t.Errorf("Event() = %q after an event without one", r.Event())
	}
}
