package server_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/windrose-gw/windrose/internal/catalog"
	"github.com/windrose-gw/windrose/internal/server"
	"github.com/windrose-gw/windrose/internal/telemetry"
)

// TestResponsesWithoutStore checks a gateway with no response store still
// serves store:false requests' checks, and answers every request that needs
// stored state with a 400 naming what needs it.
func TestResponsesWithoutStore(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(server.New(server.Options{
		Catalog: catalog.New(), Metrics: telemetry.NewMetrics(reg), Gatherer: reg,
	}))
	t.Cleanup(srv.Close)
	cases := []struct {
		name, method, path, body string
		status                   int
		param                    string
	}{
		// Continuing a conversation needs the stored one.
		{"previous_response_id", "POST", "/v1/responses", `{"model":"m","previous_response_id":"resp_1","input":"x"}`, 400, "previous_response_id"},
		// Asking to store, explicitly, is refused rather than ignored.
		{"store true", "POST", "/v1/responses", `{"model":"m","store":true,"input":"x"}`, 400, "store"},
		// Nothing can be retrieved or deleted.
		{"get", "GET", "/v1/responses/resp_1", ``, 400, "response_id"},
		{"delete", "DELETE", "/v1/responses/resp_1", ``, 400, "response_id"},
		// store:false needs no state: it gets as far as the model lookup.
		{"store false", "POST", "/v1/responses", `{"model":"m","store":false,"input":"x"}`, 404, "model"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, tc.method, srv.URL+tc.path, tc.body, nil)
			var e apiError
			if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != tc.status || deref(e.Error.Param) != tc.param {
				t.Errorf("%d %s; want %d with param %q", resp.StatusCode, body, tc.status, tc.param)
			}
		})
	}
}

// TestResponsesMetricsAndLog checks a Responses request is counted and
// logged with api="responses" and a chat request with api="chat".
func TestResponsesMetricsAndLog(t *testing.T) {
	gw, base, logs := start(t, "")
	resp, body := do(t, "POST", base+"/v1/responses", `{"model":"mistral-medium","input":"hi"}`, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"object":"response"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	resp, _ = do(t, "POST", base+"/v1/chat/completions", `{"model":"mistral-medium","messages":[{"role":"user","content":"hi"}]}`, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("chat: %d", resp.StatusCode)
	}
	for _, api := range []string{"responses", "chat"} {
		if n := testutil.ToFloat64(gw.Metrics.Requests.WithLabelValues("mistral-medium", "200", "false", api)); n != 1 {
			t.Errorf("windrose_requests_total{api=%q} = %v, want 1", api, n)
		}
		found := false
		for _, e := range logs.FilterMessage("access").All() {
			if e.ContextMap()["api"] == api {
				found = true
			}
		}
		if !found {
			t.Errorf("no access log line with api=%q", api)
		}
	}
}
