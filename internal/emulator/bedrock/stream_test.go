package bedrock

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/smithy-go/eventstream"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
)

// transcript decodes an event-stream body frame by frame (the decoder
// checks both CRCs) into one line per frame, then how the body ended.
func transcript(body io.Reader) string {
	var b strings.Builder
	dec := eventstream.NewDecoder()
	for {
		msg, err := dec.Decode(body, nil)
		if err != nil {
			if errors.Is(err, io.EOF) {
				b.WriteString("end: EOF\n")
			} else {
				b.WriteString("end: " + err.Error() + "\n")
			}
			return b.String()
		}
		kind := msg.Headers.Get(":message-type").String()
		name := msg.Headers.Get(":event-type")
		if kind == "exception" {
			name = msg.Headers.Get(":exception-type")
		}
		ct := msg.Headers.Get(":content-type").String()
		b.WriteString(kind + " " + name.String() + " (" + ct + ") " + string(msg.Payload) + "\n")
	}
}

// TestStream: the answer as real application/vnd.amazon.eventstream
// frames, and each stream fault in Bedrock's own form.
func TestStream(t *testing.T) {
	text := `{"messages":[{"role":"user","content":[{"text":"Hello there friend"}]}]}`
	tool := `{"messages":[{"role":"user","content":[{"text":"Weather in Paris?"}]}],` +
		`"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}}],"toolChoice":{"any":{}}}}`
	tests := []struct {
		name, body, faults string
	}{
		// messageStart, text deltas, contentBlockStop, messageStop, metadata.
		{"text", text, ""},
		// contentBlockStart with toolUse, input fragments, tool_use stop.
		{"tool use", tool, ""},
		// A model failure mid-stream: a modelStreamErrorException frame.
		{"in band error", text, `{"in_band_error_after":2}`},
		// Throttling mid-stream: a throttlingException frame.
		{"in band throttling", text, `{"in_band_error_after":2,"error_kind":"rate_limit"}`},
		// One frame with a broken CRC: the decoder must stop there.
		{"malformed", text, `{"malformed_after":2}`},
		// No metadata event: the stream just ends after messageStop.
		{"no done", text, `{"no_done":true}`},
		// The connection drops after two frames.
		{"cut", text, `{"cut_after":2}`},
		// A guardrail steps in.
		{"content filter", text, `{"error_kind":"content_filter"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, emukit.Options{})
			if tt.faults != "" {
				resp, err := http.Post(srv.URL+"/_emulator/faults", "application/json", strings.NewReader(tt.faults))
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("faults: %v %v", resp, err)
				}
				resp.Body.Close()
			}
			resp := call(t, srv, modelPath(testModel, "converse-stream"), tt.body, defaultSigning())
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.amazon.eventstream" {
				t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			got := transcript(resp.Body)
			got = strings.ReplaceAll(got, srv.Listener.Addr().String(), "ADDR")
			checkGolden(t, filepath.Join("testdata", "stream_"+strings.ReplaceAll(tt.name, " ", "_")+".golden"), got)
		})
	}
}

// The stream and the whole answer agree on text and usage.
func TestStreamMatchesConverse(t *testing.T) {
	srv := newTestServer(t, emukit.Options{})
	body := `{"messages":[{"role":"user","content":[{"text":"Tell me about the wind"}]}]}`
	whole, _ := io.ReadAll(call(t, srv, modelPath(testModel, "converse"), body, defaultSigning()).Body)
	tr := transcript(call(t, srv, modelPath(testModel, "converse-stream"), body, defaultSigning()).Body)
	usage := regexp.MustCompile(`"usage":\{[^}]*\}`).Find(whole)
	if usage == nil || !strings.Contains(tr, string(usage)) || !strings.Contains(tr, "Tell") {
		t.Errorf("usage %s of %s not in the stream:\n%s", usage, whole, tr)
	}
}

// TestFaultErrors: HTTP faults answer with Bedrock's status, exception
// name in X-Amzn-ErrorType and message body.
func TestFaultErrors(t *testing.T) {
	tests := []struct {
		faults  string
		status  int
		typ     string
		message string
		retry   string
	}{
		{`{"status":429,"retry_after":3}`, 429, "ThrottlingException", "Too many requests", "3"},
		{`{"status":503}`, 503, "ServiceUnavailableException", "unable to process", ""},
		{`{"status":500}`, 500, "InternalServerException", "internal error", ""},
		{`{"status":424}`, 424, "ModelErrorException", "model encountered an error", ""},
		{`{"error_kind":"rate_limit"}`, 429, "ThrottlingException", "Too many requests", ""},
		{`{"error_kind":"capacity"}`, 503, "ServiceUnavailableException", "unable to process", ""},
		{`{"error_kind":"timeout"}`, 408, "ModelTimeoutException", "timed out", ""},
		{`{"error_kind":"context_length"}`, 400, "ValidationException", "Input is too long", ""},
		{`{"error_kind":"invalid_model"}`, 400, "ValidationException", "model identifier is invalid", ""},
		{`{"error_kind":"model_retired"}`, 404, "ResourceNotFoundException", "end of its life", ""},
		{`{"error_kind":"auth"}`, 403, "UnrecognizedClientException", "security token", ""},
		{`{"error_kind":"credits"}`, 403, "AccessDeniedException", "don't have access", ""},
	}
	for _, tt := range tests {
		t.Run(tt.faults, func(t *testing.T) {
			srv := newTestServer(t, emukit.Options{})
			resp, err := http.Post(srv.URL+"/_emulator/faults", "application/json", strings.NewReader(tt.faults))
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("faults: %v %v", resp, err)
			}
			resp.Body.Close()
			for _, op := range []string{"converse", "converse-stream"} {
				r := call(t, srv, modelPath(testModel, op), hello, defaultSigning())
				status, typ, msg := errorOf(t, r)
				if status != tt.status || typ != tt.typ || !strings.Contains(msg, tt.message) || r.Header.Get("Retry-After") != tt.retry {
					t.Errorf("%s: %d %s %q retry %q; want %d %s %q retry %q", op, status, typ, msg, r.Header.Get("Retry-After"),
						tt.status, tt.typ, tt.message, tt.retry)
				}
			}
		})
	}
}

// Unknown routes answer like Bedrock, and stats count requests.
func TestUnknownRouteAndStats(t *testing.T) {
	srv := newTestServer(t, emukit.Options{})
	resp, err := http.Post(srv.URL+"/model/x/invoke", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, typ, _ := errorOf(t, resp); resp.StatusCode != 404 || typ != "UnknownOperationException" {
		t.Errorf("got %d %s", resp.StatusCode, typ)
	}
	call(t, srv, modelPath(testModel, "converse"), hello, defaultSigning())
	r, _ := http.Get(srv.URL + "/_emulator/stats")
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !bytes.Contains(b, []byte(`"requests":1`)) {
		t.Errorf("stats %s", b)
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := writeFile(path, got); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := readFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if want != got {
		t.Errorf("%s mismatch:\nwant:\n%s\ngot:\n%s", path, want, got)
	}
}
