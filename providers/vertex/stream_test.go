package vertex

import (
	"context"
	"flag"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers/internal/golden"
	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fakeStream replays messages, then ends with end (io.EOF: status OK).
type fakeStream struct {
	msgs [][]byte
	end  error
}

func (f *fakeStream) RecvMsg(m any) error {
	if len(f.msgs) == 0 {
		return f.end
	}
	m.(*httpbody.HttpBody).Data = f.msgs[0]
	f.msgs = f.msgs[1:]
	return nil
}

// splitAt cuts raw at the given offsets (sorted, inside raw).
func splitAt(raw []byte, cuts []int) [][]byte {
	var out [][]byte
	start := 0
	for _, c := range append(cuts, len(raw)) {
		out = append(out, raw[start:c])
		start = c
	}
	return out
}

// streamOf runs the adapter's stream path over msgs: the bodyReader under
// mistralwire's SSE stream, as ChatStream builds it.
func streamOf(msgs [][]byte, end error) *golden.Transcript {
	_, ids, _ := mistralwire.Vertex.EncodeRequest(&llm.ChatRequest{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}}}, testModel, true)
	first := &httpbody.HttpBody{}
	if len(msgs) > 0 {
		first.Data, msgs = msgs[0], msgs[1:]
	}
	r := newBodyReader(&fakeStream{msgs: msgs, end: end}, func() {}, first)
	return golden.Read(mistralwire.NewStream(context.Background(), Kind, r, ids), 1000)
}

// splits are the ways Vertex may cut the same bytes into HttpBody
// messages; every one must decode to the same events.
func splits(raw []byte) map[string][][]byte {
	out := map[string][][]byte{
		// All events in one message.
		"one message": {raw},
		// One byte per message: every event and line split.
		"byte by byte": splitAt(raw, seq(1, len(raw))),
	}
	// One message per event, as the container flushed them.
	var perEvent []int
	for i := 0; i+2 <= len(raw); i++ {
		if raw[i] == '\n' && raw[i+1] == '\n' && i+2 < len(raw) {
			perEvent = append(perEvent, i+2)
		}
	}
	out["per event"] = splitAt(raw, perEvent)
	// Event boundaries shifted by 7 bytes: each message holds the end of
	// one event and the start of the next.
	var shifted []int
	for _, c := range perEvent {
		if c+7 < len(raw) {
			shifted = append(shifted, c+7)
		}
	}
	out["straddling"] = splitAt(raw, shifted)
	// Random cuts, with empty messages too.
	rng := rand.New(rand.NewPCG(7, 7))
	for k := range 5 {
		var cuts []int
		for c := 0; c < len(raw); c += rng.IntN(40) {
			cuts = append(cuts, c)
		}
		out["random "+string(rune('a'+k))] = splitAt(raw, cuts)
	}
	return out
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// Recorded Mistral transcripts decode to the same golden events however
// the bytes are spread over HttpBody messages.
func TestStreamSplits(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "stream", "*.sse"))
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sse")
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			whole := streamOf([][]byte{raw}, io.EOF)
			golden.CheckJSON(t, filepath.Join("testdata", "stream", name+".json"), whole, *update)
			for split, msgs := range splits(raw) {
				if got := streamOf(msgs, io.EOF); !cmp.Equal(whole, got, cmpopts.IgnoreUnexported(golden.Transcript{})) {
					t.Errorf("%s: %s", split, cmp.Diff(whole, got, cmpopts.IgnoreUnexported(golden.Transcript{})))
				}
			}
		})
	}
}

// A status after some messages ends the stream with a retryable provider
// error; a DEADLINE_EXCEEDED is a timeout even before the context notices.
func TestStreamStatusEnd(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "stream", "text.sse"))
	if err != nil {
		t.Fatal(err)
	}
	head := raw[:len(raw)/2]
	tests := []struct {
		name string
		end  error
		want gwerr.Kind
	}{
		// The connection dropped mid-answer.
		{"cut", status.Error(codes.Unavailable, "error reading from server: EOF"), gwerr.Upstream},
		// The client library's deadline.
		{"deadline", status.Error(codes.DeadlineExceeded, "context deadline exceeded"), gwerr.Timeout},
		// Status OK but the bytes stop mid-event: no terminator.
		{"clean end, no done", io.EOF, gwerr.Upstream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := streamOf(splitAt(head, []int{10, 100}), tt.end)
			if tr.End == nil || tr.End.Kind != tt.want.String() {
				t.Errorf("end = %+v, want %v", tr.End, tt.want)
			}
		})
	}
}

// FuzzBodyReader: any bytes, cut anywhere, read back identical through
// the reader, and the SSE stream over them ends (never hangs or panics)
// with the same transcript as the bytes in one message.
func FuzzBodyReader(f *testing.F) {
	for _, name := range []string{"text", "tool_call_echo", "no_done"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "stream", name+".sse"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, uint64(1))
		f.Add(raw, uint64(0xfeed))
	}
	f.Add([]byte("data: [DONE]\n\n"), uint64(3))
	f.Fuzz(func(t *testing.T, raw []byte, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 1))
		var cuts []int
		for c := 0; c < len(raw); c += rng.IntN(16) {
			cuts = append(cuts, c)
		}
		msgs := splitAt(raw, cuts)
		first := &httpbody.HttpBody{Data: msgs[0]}
		got, err := io.ReadAll(newBodyReader(&fakeStream{msgs: msgs[1:], end: io.EOF}, func() {}, first))
		if err != nil || string(got) != string(raw) {
			t.Fatalf("read back %q, %v; want %q", got, err, raw)
		}
		whole := streamOf([][]byte{raw}, io.EOF)
		if split := streamOf(msgs, io.EOF); !cmp.Equal(whole, split, cmpopts.IgnoreUnexported(golden.Transcript{})) {
			t.Fatalf("split changes the transcript: %s", cmp.Diff(whole, split, cmpopts.IgnoreUnexported(golden.Transcript{})))
		}
	})
}
