package bedrock

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

// FuzzEncodeRequest: any request translates or fails as the client's 400,
// never panics; tool-call ids always reach Bedrock in its pattern and the
// assistant's arguments as a JSON document.
func FuzzEncodeRequest(f *testing.F) {
	f.Add("Hello", "call_abc123XYZdef456GHI789", `{"city":"Paris"}`, `{"type":"object"}`, "data:image/png;base64,AA==", true)
	f.Add("", "", "", "", "https://x", false)
	f.Add("x", "k9Xy2AbC1", "{nope", "[", "data:image/gif;base64,!!", true)
	f.Fuzz(func(t *testing.T, text, id, args, schema, image string, vision bool) {
		req := &llm.ChatRequest{
			Messages: []llm.Message{
				{Role: llm.RoleSystem, Content: text},
				{Role: llm.RoleUser, Content: text, Parts: []llm.Part{{Type: llm.PartImageURL, ImageURL: image}}},
				{Role: llm.RoleAssistant, Content: text, ToolCalls: []llm.ToolCall{{ID: id, Name: "f", Arguments: args}}},
				{Role: llm.RoleTool, ToolCallID: id, Content: text},
			},
			Tools:          []llm.Tool{{Name: "f", Parameters: json.RawMessage(schema)}},
			ResponseFormat: &llm.ResponseFormat{Type: llm.FormatJSONSchema, Schema: json.RawMessage(schema)},
		}
		in, ids, err := encodeRequest(req, "m", vision)
		if err != nil {
			if gwerr.KindOf(err) != gwerr.InvalidRequest {
				t.Fatalf("error of kind %v: %v", gwerr.KindOf(err), err)
			}
			return
		}
		if ids == nil || len(in.Messages) == 0 {
			t.Fatalf("no messages or id map: %+v", in)
		}
	})
}

// FuzzStream feeds arbitrary bytes as a ConverseStream body: the stream
// ends in io.EOF or a *gwerr.Error within a bounded number of events, and
// never panics.
func FuzzStream(f *testing.F) {
	for _, name := range []string{"text", "two_tool_calls", "throttled_mid_stream", "no_metadata"} {
		f.Add(encodeFrames(f, readFramesTB(f, "testdata/stream/"+name+".jsonl")))
	}
	f.Add([]byte{0, 0, 0, 16, 0, 0, 0, 0, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, body []byte) {
		c := &canned{body: body, header: http.Header{"Content-Type": {"application/vnd.amazon.eventstream"}}}
		a := testAdapter(t, c, "m", "")
		s, err := a.ChatStream(context.Background(), hello())
		if err != nil {
			return
		}
		defer s.Close()
		for i := 0; i < 10000; i++ {
			_, err := s.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var ge *gwerr.Error
				if !errors.As(err, &ge) {
					t.Fatalf("error %T is not a *gwerr.Error: %v", err, err)
				}
				return
			}
		}
		t.Fatal("stream did not end")
	})
}
