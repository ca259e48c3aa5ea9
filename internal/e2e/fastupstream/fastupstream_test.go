package fastupstream

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestServe checks what the overhead benchmarks rely on: the right answer
// for each request shape, and every streamed event valid JSON.
func TestServe(t *testing.T) {
	s := New(Options{Chunks: 3, Word: " hi"})
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantType                 string
		wantBody                 []byte
	}{
		// Mistral's path, a complete answer.
		{"mistral nonstream", http.MethodPost, "/v1/chat/completions", `{"model":"m"}`, 200, "application/json", s.Full()},
		// An OpenAI-kind base URL ends in /v1 too; a stream is asked in the body.
		{"stream", http.MethodPost, "/v1/chat/completions", `{"model":"m","stream":true}`, 200, "text/event-stream", s.Stream()},
		// Only POST on the chat path is served, so a misrouted benchmark fails loudly.
		{"wrong method", http.MethodGet, "/v1/chat/completions", "", 404, "text/plain; charset=utf-8", nil},
		{"wrong path", http.MethodPost, "/v1/models", "", 404, "text/plain; charset=utf-8", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body)))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.wantType, rec.Header().Get("Content-Type")); diff != "" {
				t.Errorf("Content-Type (-want +got):\n%s", diff)
			}
			if tt.wantBody != nil && !bytes.Equal(rec.Body.Bytes(), tt.wantBody) {
				t.Errorf("body:\n%s\nwant:\n%s", rec.Body, tt.wantBody)
			}
		})
	}
}

// TestAnswersAreJSON checks that the precomputed bytes are well-formed, so
// a decoding failure in a benchmark points at the gateway, not here.
func TestAnswersAreJSON(t *testing.T) {
	s := New(Options{Chunks: 4, Batch: true})
	if !json.Valid(s.Full()) {
		t.Errorf("complete answer is not JSON: %s", s.Full())
	}
	events := strings.Split(strings.TrimSuffix(string(s.Stream()), "\n\n"), "\n\n")
	if got, want := len(events), 4+3; got != want {
		t.Fatalf("%d events, want %d (role, 4 content, final, [DONE])", got, want)
	}
	for i, ev := range events[:len(events)-1] {
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok || !json.Valid([]byte(data)) {
			t.Errorf("event %d is not a JSON data line: %q", i, ev)
		}
	}
	if last := events[len(events)-1]; last != "data: [DONE]" {
		t.Errorf("last event %q, want data: [DONE]", last)
	}
}

// TestDiscard checks that Discard reads everything and closes.
func TestDiscard(t *testing.T) {
	rc := &closeCounter{Reader: strings.NewReader("12345")}
	n, err := Discard(rc)
	if n != 5 || err != nil || rc.closed != 1 {
		t.Errorf("Discard = %d, %v, closed %d times; want 5, nil, 1", n, err, rc.closed)
	}
}

type closeCounter struct {
	io.Reader
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }
