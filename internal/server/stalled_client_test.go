package server_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// stalledClient is a connection whose reader stops after its first write:
// every later write fails as a passed write deadline does. It counts the
// write deadlines http.ResponseController arms.
type stalledClient struct {
	*httptest.ResponseRecorder
	writes, deadlines int
}

func (c *stalledClient) SetWriteDeadline(time.Time) error {
	c.deadlines++
	return nil
}

func (c *stalledClient) Write(b []byte) (int, error) {
	c.writes++
	if c.writes > 1 {
		return 0, os.ErrDeadlineExceeded
	}
	return c.ResponseRecorder.Write(b)
}

// TestStreamClientStopsReading: on chat and Responses API streams alike,
// every write to the client is under server.stream_write_timeout, and
// a client that stops reading is cut (the handler aborts), logged as a
// client problem and counted as a 499, never as the provider's failure.
func TestStreamClientStopsReading(t *testing.T) {
	for _, tc := range []struct{ api, path, body string }{
		{"chat", "/v1/chat/completions", `{"model":"mistral-medium","stream":true,"messages":[{"role":"user","content":"one two three four five six"}]}`},
		{"responses", "/v1/responses", `{"model":"mistral-medium","stream":true,"input":"one two three four five six"}`},
	} {
		t.Run(tc.api, func(t *testing.T) {
			gw, _, logs := start(t, ", stream_write_timeout: 7s")
			w := &stalledClient{ResponseRecorder: httptest.NewRecorder()}
			req := httptest.NewRequest("POST", tc.path, strings.NewReader(tc.body))
			func() {
				defer func() {
					if v := recover(); v != http.ErrAbortHandler {
						t.Errorf("handler ended with %v, want http.ErrAbortHandler (connection cut)", v)
					}
				}()
				gw.Server.ServeHTTP(w, req)
			}()
			if w.deadlines < 1 {
				t.Errorf("%d write deadlines armed, want one before the first write (re-armed coarsely after: TestWriteDeadlineCoarse)", w.deadlines)
			}
			if n := logs.FilterMessage("client stopped reading; stream cut").Len(); n != 1 {
				t.Errorf("%d 'client stopped reading' lines, want 1", n)
			}
			if n := testutil.ToFloat64(gw.Metrics.Requests.WithLabelValues("mistral-medium", "499", "true", tc.api)); n != 1 {
				t.Errorf("windrose_requests_total{status=499,api=%s} = %v, want 1", tc.api, n)
			}
			// The upstream attempt was canceled, not failed: no verdict on
			// the deployment.
			for outcome, want := range map[string]float64{"canceled": 1, "upstream": 0, "success": 0} {
				if n := testutil.ToFloat64(gw.Metrics.Upstream.WithLabelValues("mistral", "mistral", "eu", outcome)); n != want {
					t.Errorf("upstream outcome %s = %v, want %v", outcome, n, want)
				}
			}
		})
	}
}
