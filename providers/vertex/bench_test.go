package vertex

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/api/httpbody"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
)

// replay is a msgReceiver over fixed messages, rewound per iteration.
type replay struct {
	msgs [][]byte
	i    int
}

func (r *replay) RecvMsg(m any) error {
	if r.i == len(r.msgs) {
		return io.EOF
	}
	m.(*httpbody.HttpBody).Data = r.msgs[r.i]
	r.i++
	return nil
}

// benchStream reads the text transcript cut into msgs through the
// adapter's stream path and reports time and allocations per event.
func benchStream(b *testing.B, split func([]byte) [][]byte) {
	raw, err := os.ReadFile(filepath.Join("testdata", "stream", "text.sse"))
	if err != nil {
		b.Fatal(err)
	}
	// 200 content events between the transcript's first and last, so the
	// per-stream setup does not hide the per-event cost.
	evs := bytes.SplitAfter(raw, []byte("\n\n"))
	long := append([]byte(nil), evs[0]...)
	for range 200 {
		long = append(long, evs[1]...)
	}
	for _, ev := range evs[2:] {
		long = append(long, ev...)
	}
	msgs := split(long)
	_, ids, _ := mistralwire.Vertex.EncodeRequest(&llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}}}, testModel, true)
	events := 0
	b.ReportAllocs()
	for b.Loop() {
		rp := &replay{msgs: msgs, i: 1}
		first := &httpbody.HttpBody{Data: msgs[0]}
		s := mistralwire.NewStream(context.Background(), Kind, newBodyReader(rp, func() {}, first), ids)
		for {
			if _, err := s.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
			events++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}

// BenchmarkStreamPerEventMessage: one HttpBody per SSE event, as the
// container flushes them.
func BenchmarkStreamPerEventMessage(b *testing.B) {
	benchStream(b, func(raw []byte) [][]byte { return splits(raw)["per event"] })
}

// BenchmarkStreamRandomSplits: events cut across messages at random.
func BenchmarkStreamRandomSplits(b *testing.B) {
	benchStream(b, func(raw []byte) [][]byte { return splits(raw)["random a"] })
}

// BenchmarkEncodeRequest: a tool conversation in Vertex's dialect.
func BenchmarkEncodeRequest(b *testing.B) {
	req := &llm.ChatRequest{Messages: []llm.Message{
		{Role: llm.RoleSystem, Content: "You are terse."},
		{Role: llm.RoleUser, Content: "Weather in Paris?"},
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "call_0fypS1hVXabcdefghij", Name: "get_weather", Arguments: `{"city":"Paris"}`}}},
		{Role: llm.RoleTool, ToolCallID: "call_0fypS1hVXabcdefghij", Content: "18C"},
	}, Tools: []llm.Tool{{Name: "get_weather", Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}}}`)}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := mistralwire.Vertex.EncodeRequest(req, "mistral-medium-3@001", true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChatStreamGRPC: a whole streamed answer from the emulator over
// gRPC + TLS (client, server and emulator costs together).
func BenchmarkChatStreamGRPC(b *testing.B) {
	e := startEmulator(b, emukit.Options{})
	a := e.adapter(b, emulatorToken)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	events := 0
	b.ReportAllocs()
	for b.Loop() {
		s, err := a.ChatStream(ctx, hello())
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := s.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
			events++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}
