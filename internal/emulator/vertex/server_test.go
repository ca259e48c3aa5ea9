package vertex

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/emulator/emukit/emutest"
)

// render is a status as a golden line: code, message and any RetryInfo.
func render(err error) string {
	if err == nil {
		return "OK"
	}
	st := status.Convert(err)
	out := st.Code().String() + ": " + st.Message()
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			out += fmt.Sprintf(" [retry_delay %s]", ri.GetRetryDelay().AsDuration())
		}
	}
	return out
}

// What Vertex checks before the container sees the request, one case per
// check, golden-filed with the exact status each gets.
func TestAdmission(t *testing.T) {
	e := start(t, emukit.Options{})
	tests := []struct {
		name string
		c    call
	}{
		// The healthy request.
		{"ok", ok(hello)},
		// A pinned version in the path is the same model.
		{"pinned version", call{token: token, endpoint: testResource + "@001", body: hello}},
		// The global location serves too.
		{"global", call{token: token, endpoint: strings.Replace(testResource, "europe-west4", "global", 1), body: hello}},
		// No token.
		{"no token", call{endpoint: testResource, body: hello}},
		// A wrong token.
		{"wrong token", call{token: "ya29.wrong", endpoint: testResource, body: hello}},
		// Google's clients always send the routing header.
		{"no request params", call{token: token, endpoint: testResource, params: "-", body: hello}},
		// A routing header naming another resource.
		{"mismatched request params", call{token: token, endpoint: testResource, params: "endpoint=projects%2Fother", body: hello}},
		// Not a publisher-model resource name.
		{"bad resource", call{token: token, endpoint: "projects/p1/endpoints/123", body: hello}},
		// Another publisher.
		{"other publisher", call{token: token, endpoint: strings.Replace(testResource, "mistralai", "google", 1), body: hello}},
		// A model Vertex does not have.
		{"unknown model", call{token: token, endpoint: strings.Replace(testResource, "mistral-medium-3", "mistral-medium-2508", 1), body: hello}},
		// A region the model is not served in.
		{"other region", call{token: token, endpoint: strings.Replace(testResource, "europe-west4", "asia-east1", 1), body: hello}},
		// Vertex's container rejects La Plateforme's safe_prompt.
		{"safe_prompt", ok(`{"model":"mistral-medium-3","safe_prompt":true,"messages":[{"role":"user","content":"x"}]}`)},
		// The container's own validation (422 relayed as INVALID_ARGUMENT).
		{"container validation", ok(`{"model":"mistral-medium-3","messages":"nope"}`)},
		// The container's invalid model for a body model it does not serve.
		{"container invalid model", ok(`{"model":"mistral-large","messages":[{"role":"user","content":"x"}]}`)},
	}
	var golden bytes.Buffer
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := e.raw(t, tt.c)
			fmt.Fprintf(&golden, "%s: %s\n", tt.name, render(err))
			if err == nil && !bytes.Contains(resp.GetData(), []byte(`"object":"chat.completion"`)) {
				t.Errorf("answer = %s", resp.GetData())
			}
		})
	}
	emutest.Golden(t, filepath.Join("testdata", "admission.golden"), golden.Bytes(), *update)
}

// Faults from DESIGN.md as Vertex answers them: its own statuses (with a
// RetryInfo when retry_after is set) or the container's relayed errors.
func TestFaultStatuses(t *testing.T) {
	tests := []string{
		`{"status":429,"retry_after":3}`,
		`{"status":429}`,
		`{"error_kind":"capacity"}`,
		`{"status":503,"retry_after":1}`,
		`{"status":500}`,
		`{"status":502}`,
		`{"status":504}`,
		`{"status":401}`,
		`{"status":403}`,
		`{"error_kind":"model_retired"}`,
		`{"error_kind":"credits"}`,
		`{"error_kind":"context_length"}`,
		`{"error_kind":"invalid_model"}`,
		`{"status":400}`,
		`{"cut_after":0}`,
		`{"malformed_after":0}`,
	}
	var golden bytes.Buffer
	for _, faults := range tests {
		t.Run(faults, func(t *testing.T) {
			e := start(t, emukit.Options{})
			emutest.Do(t, http.DefaultClient, "POST", e.ctl+"/_emulator/faults", "", faults)
			_, rawErr := e.raw(t, ok(hello))
			msgs, streamErr := e.stream(t, ok(helloStream))
			fmt.Fprintf(&golden, "%s\n  raw:    %s\n  stream: %s (after %d messages)\n", faults, render(rawErr), render(streamErr), len(msgs))
			if !strings.Contains(faults, "malformed") && (rawErr == nil || streamErr == nil) {
				t.Errorf("fault %s did not fail: raw %v, stream %v", faults, rawErr, streamErr)
			}
		})
	}
	emutest.Golden(t, filepath.Join("testdata", "faults.golden"), golden.Bytes(), *update)
}
