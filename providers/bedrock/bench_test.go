package bedrock

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
)

// BenchmarkEncodeRequest: a short conversation with a tool round trip.
func BenchmarkEncodeRequest(b *testing.B) {
	req := &llm.ChatRequest{Messages: []llm.Message{
		{Role: llm.RoleSystem, Content: "Be terse."},
		{Role: llm.RoleUser, Content: "Weather in Paris?"},
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "call_abc123XYZdef456GHI789", Name: "get_weather", Arguments: `{"city":"Paris"}`}}},
		{Role: llm.RoleTool, ToolCallID: "call_abc123XYZdef456GHI789", Content: "18C"},
	}, Tools: []llm.Tool{weatherTool}, MaxTokens: ptr(256), Temperature: ptr(0.3)}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := encodeRequest(req, "mistral.mistral-large-3-675b-instruct", false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamEvent is windrose's own cost per event: translating one
// decoded text delta into the reused neutral event. It must not allocate.
func BenchmarkStreamEvent(b *testing.B) {
	s := newStream(context.Background(), nil, "m", &mistralwire.IDMap{}, time.Now, "")
	ev := &types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
		ContentBlockIndex: aws.Int32(0), Delta: &types.ContentBlockDeltaMemberText{Value: " word"}}}
	tool := &types.ConverseStreamOutputMemberContentBlockDelta{Value: types.ContentBlockDeltaEvent{
		ContentBlockIndex: aws.Int32(1), Delta: &types.ContentBlockDeltaMemberToolUse{Value: types.ToolUseBlockDelta{Input: aws.String(`"Paris"}`)}}}}
	s.translate(&types.ConverseStreamOutputMemberContentBlockStart{Value: types.ContentBlockStartEvent{ContentBlockIndex: aws.Int32(1),
		Start: &types.ContentBlockStartMemberToolUse{Value: types.ToolUseBlockStart{ToolUseId: aws.String("t"), Name: aws.String("f")}}}})
	s.translate(ev)
	s.translate(tool) // warm the reused slices
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			s.translate(ev)
		} else {
			s.translate(tool)
		}
	}
}

// BenchmarkStreamDecoded is a whole ConverseStream of n text deltas
// through the SDK's decoder (frames, CRCs, union types) and the adapter.
// The difference between the two sizes, divided by 190, is the cost per
// event: almost all of it the SDK's (windrose's share is
// BenchmarkStreamEvent).
func BenchmarkStreamDecoded(b *testing.B) {
	for _, n := range []int{10, 200} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchStream(b, n) })
	}
}

func benchStream(b *testing.B, n int) {
	lines := []frameLine{{Event: "messageStart", Payload: []byte(`{"role":"assistant"}`)}}
	for range n {
		lines = append(lines, frameLine{Event: "contentBlockDelta", Payload: []byte(`{"contentBlockIndex":0,"delta":{"text":" word"},"p":"abcd"}`)})
	}
	lines = append(lines, frameLine{Event: "contentBlockStop", Payload: []byte(`{"contentBlockIndex":0}`)},
		frameLine{Event: "messageStop", Payload: []byte(`{"stopReason":"end_turn"}`)},
		frameLine{Event: "metadata", Payload: []byte(`{"usage":{"inputTokens":5,"outputTokens":200,"totalTokens":205}}`)})
	body := encodeFrames(b, lines)
	c := &canned{body: body, header: http.Header{"Content-Type": {"application/vnd.amazon.eventstream"}}}
	a := testAdapter(b, c, "m", "")
	req := hello()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		s, err := a.ChatStream(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		var sb strings.Builder
		for {
			ev, err := s.Next()
			if err != nil {
				break
			}
			for _, d := range ev.Deltas {
				sb.Write(d.Content)
			}
		}
		_ = s.Close()
	}
}
