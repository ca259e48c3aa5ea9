package server

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/openaiapi"
)

// TestStreamBodyBufferReleasedEarly guards what chat relies on when it hands
// a streamed request's body buffer back to bufPool before the stream runs:
// the decoded request shares no bytes with the body, so a later request
// reusing the buffer cannot change it. A decoder that aliased the body
// (zero-copy strings or raw JSON slices) would fail here.
func TestStreamBodyBufferReleasedEarly(t *testing.T) {
	body := []byte(`{"model":"mistral-medium","stream":true,"stream_options":{"include_usage":true},` +
		`"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello."},` +
		`{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},` +
		`{"role":"tool","tool_call_id":"call_1","content":"sunny"}],` +
		`"tools":[{"type":"function","function":{"name":"get_weather","description":"Forecast.","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],` +
		`"tool_choice":"auto","response_format":{"type":"json_object"},"stop":["\n\n"],"user":"u-1","temperature":0.2}`)
	req, err := openaiapi.DecodeRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	want, err := openaiapi.DecodeRequest(bytes.Clone(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = 'x' // what the buffer's next user would write over it
	}
	if diff := cmp.Diff(want, req); diff != "" {
		t.Fatalf("the decoded request changed when its body buffer was reused (-want +got):\n%s", diff)
	}
}
