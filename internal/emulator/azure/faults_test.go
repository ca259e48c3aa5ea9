package azure

import (
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// Each failing fault answers in Azure's shape, with Azure's headers.
func TestFaultErrors(t *testing.T) {
	tests := []struct {
		name     string
		faults   emukit.Faults
		status   int
		header   map[string]string
		contains []string
	}{
		// The prompt filter: 400 content_filter with its innererror.
		{"content filter", emukit.Faults{ErrorKind: emukit.KindContentFilter}, 400, nil,
			[]string{`"code":"content_filter"`, `"innererror":{"code":"ResponsibleAIPolicyViolation"`, `"violence":{"filtered":true,"severity":"high"}`}},
		// Throttling: retry-after, retry-after-ms and the exhausted limit.
		{"429", emukit.Faults{Status: 429, RetryAfter: 2}, 429,
			map[string]string{"Retry-After": "2", "retry-after-ms": "2000", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2"},
			[]string{"Rate limit is exceeded. Try again in 2 seconds."}},
		// A retired or removed deployment.
		{"model retired", emukit.Faults{ErrorKind: emukit.KindModelRetired}, 404, nil, []string{"DeploymentNotFound"}},
		{"invalid model", emukit.Faults{ErrorKind: emukit.KindInvalidModel}, 400, nil, []string{`"unknown_model"`}},
		{"context", emukit.Faults{ErrorKind: emukit.KindContextLength}, 400, nil, []string{"context_length_exceeded"}},
		{"auth", emukit.Faults{Status: 401}, 401, nil, []string{"Access denied"}},
		{"503", emukit.Faults{Status: 503, RetryAfter: 1}, 503, map[string]string{"Retry-After": "1"}, []string{"ServiceUnavailable"}},
		{"500", emukit.Faults{Status: 500}, 500, nil, []string{"InternalServerError"}},
		{"timeout", emukit.Faults{ErrorKind: emukit.KindTimeout}, 408, nil, []string{"Timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newServer(t, Config{})
			if err := s.Controller().SetFaults(tt.faults); err != nil {
				t.Fatal(err)
			}
			rec := do(s, "POST", modelsURL, apiKey, helloBody)
			if rec.Code != tt.status {
				t.Fatalf("status %d %s, want %d", rec.Code, rec.Body, tt.status)
			}
			for k, v := range tt.header {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			for _, c := range tt.contains {
				if !strings.Contains(rec.Body.String(), c) {
					t.Errorf("body %s lacks %s", rec.Body, c)
				}
			}
		})
	}
}

// Auth and api-version come before faults: a fault never hides a wrong
// credential, as on the real service.
func TestFaultsAfterAuth(t *testing.T) {
	s, _ := newServer(t, Config{})
	_ = s.Controller().SetFaults(emukit.Faults{Status: 500})
	if rec := do(s, "POST", modelsURL, map[string]string{"api-key": "wrong"}, helloBody); rec.Code != 401 {
		t.Errorf("wrong key under a 500 fault: %d", rec.Code)
	}
}

// Stream faults: the in-band error is Azure's error envelope as a data
// line, and the stream ends without [DONE].
func TestStreamInBandError(t *testing.T) {
	s, _ := newServer(t, Config{})
	_ = s.Controller().SetFaults(emukit.Faults{InBandErrorAfter: emukit.After(2)})
	rec := do(s, "POST", modelsURL, apiKey, `{"model":"mistral-medium-2505","stream":true,"messages":[{"role":"user","content":"a long story please"}]}`)
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, `data: {"error":{"code":"InternalServerError"`) || strings.Contains(body, "[DONE]") {
		t.Errorf("%d %s", rec.Code, body)
	}
}
