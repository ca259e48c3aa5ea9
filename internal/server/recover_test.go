package server

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// TestRecovererAfterHeaders: a panic after an SSE stream started must not
// write a JSON 500 into the event stream: it ends with the SSE error event
// and aborts the connection, so even parsers that ignore error events see
// an incomplete body. Before the response started it is a plain 500.
func TestRecovererAfterHeaders(t *testing.T) {
	s := &Server{o: Options{Logger: zap.NewNop()}}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		status  int
		body    string // a prefix of what the client reads
		aborted bool
	}{
		// Nothing was sent yet: OpenAI's envelope with a 500.
		{name: "before headers", handler: func(http.ResponseWriter, *http.Request) { panic("boom") },
			status: 500, body: `{"error":{"message":"the server had an error`},
		// A stream was under way: the error event, then an abort.
		{name: "mid-stream", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, "data: {\"choices\":[]}\n\n")
			_ = http.NewResponseController(w).Flush()
			panic("boom")
		}, status: 200, body: "data: {\"choices\":[]}\n\ndata: {\"error\":{\"message\":\"the server had an error", aborted: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(s.recoverer(tc.handler))
			defer srv.Close()
			resp, err := http.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, readErr := io.ReadAll(bufio.NewReader(resp.Body))
			if resp.StatusCode != tc.status || !strings.HasPrefix(string(got), tc.body) {
				t.Errorf("status %d body %q, want %d and a body starting %q", resp.StatusCode, got, tc.status, tc.body)
			}
			if n := strings.Count(string(got), `{"error"`); n != 1 {
				t.Errorf("%d error bodies in %q, want exactly one", n, got)
			}
			if (readErr != nil) != tc.aborted {
				t.Errorf("read error %v, want aborted=%v", readErr, tc.aborted)
			}
		})
	}
}
