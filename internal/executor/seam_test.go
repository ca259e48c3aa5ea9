package executor

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/internal/llm"
)

// script is a providers.Stream that returns its events in order, then end
// (io.EOF when nil).
type script struct {
	evs []llm.StreamEvent
	i   int
	end error
}

func (s *script) Next() (*llm.StreamEvent, error) {
	if s.i >= len(s.evs) {
		if s.end != nil {
			return nil, s.end
		}
		return nil, io.EOF
	}
	s.i++
	return &s.evs[s.i-1], nil
}

func (s *script) Close() error { return nil }

// textEvents turns chunks into a role chunk, one content event per chunk,
// the last with the finish reason when finish is set.
func textEvents(finish bool, chunks ...string) []llm.StreamEvent {
	evs := []llm.StreamEvent{{Deltas: []llm.Delta{{Role: llm.RoleAssistant}}}}
	for _, c := range chunks {
		evs = append(evs, llm.StreamEvent{Deltas: []llm.Delta{{Content: []byte(c)}}})
	}
	if finish {
		evs[len(evs)-1].Deltas[0].FinishReason = llm.FinishStop
	}
	return evs
}

// seen is what a client would get through a seam: the text, the finish
// reasons, and how the stream ended.
type seen struct {
	text     string
	finishes int
	err      error
}

func drain(st *seamStream) seen {
	var out seen
	for {
		ev, err := st.Next()
		if err != nil {
			if err != io.EOF {
				out.err = err
			}
			return out
		}
		for _, d := range ev.Deltas {
			out.text += string(d.Content)
			if d.FinishReason != "" {
				out.finishes++
			}
		}
	}
}

// splits returns text cut at every byte offset into two chunks, and into
// one chunk per byte: every seam position lands once on a chunk boundary
// and once inside a chunk, multi-byte runes cut mid-sequence included.
func splits(text string) [][]string {
	out := [][]string{{text}}
	for j := 1; j < len(text); j++ {
		out = append(out, []string{text[:j], text[j:]})
	}
	var bytesEach []string
	for j := range len(text) {
		bytesEach = append(bytesEach, text[j:j+1])
	}
	return append(out, bytesEach)
}

// seamText has 2- and 3-byte runes, and its first byte occurs nowhere
// else, so no continuation of it starts with its own prefix by chance.
const seamText = "Grüße, 世界 — ok."

// TestSeamEveryOffset: whatever byte the client's text ends at and however
// the new answer is chunked, the client ends up with exactly the whole
// text once: a replay or a repeating prefix continuation is trimmed at the
// seam, a continuation that does not repeat passes whole.
func TestSeamEveryOffset(t *testing.T) {
	for k := 1; k < len(seamText); k++ {
		sent, rest := seamText[:k], seamText[k:]
		for _, c := range []struct {
			name   string
			strict bool
			answer string // what the new deployment sends
		}{
			{"replay", true, seamText},
			{"prefix repeated", false, seamText},
			{"prefix continued", false, rest},
		} {
			for _, chunks := range splits(c.answer) {
				st := &seamStream{Stream: &script{evs: textEvents(true, chunks...)}, want: []byte(sent), strict: c.strict}
				got := drain(st)
				if got.err != nil || got.text != rest || got.finishes != 1 {
					t.Fatalf("%s, sent %q, chunks %q: got %q (%d finishes, err %v); want %q, 1 finish",
						c.name, sent, chunks, got.text, got.finishes, got.err, rest)
				}
			}
		}
	}
}

// TestSeamReplayDiverges: a replay that differs from the sent text at any
// byte fails at that byte, before any of its text goes out; one that
// differs only past the seam is the new answer and passes.
func TestSeamReplayDiverges(t *testing.T) {
	for k := 1; k <= len(seamText); k++ {
		sent := seamText[:k]
		for p := range len(seamText) {
			b := []byte(seamText)
			b[p] ^= 0x01
			for _, chunks := range splits(string(b)) {
				st := &seamStream{Stream: &script{evs: textEvents(true, chunks...)}, want: []byte(sent), strict: true}
				got := drain(st)
				if p < k {
					if !errors.Is(got.err, errDiverged) || got.text != "" {
						t.Fatalf("sent %q, replay differs at byte %d, chunks %q: got %q, err %v; want errDiverged and no text",
							sent, p, chunks, got.text, got.err)
					}
					continue
				}
				if got.err != nil || got.text != string(b[k:]) {
					t.Fatalf("sent %q, replay differs at byte %d (past the seam), chunks %q: got %q, err %v; want %q",
						sent, p, chunks, got.text, got.err, b[k:])
				}
			}
		}
	}
}

// TestSeamReplayShort: a replay that ends before it covers the sent text
// sends nothing: a finish reason there is a divergence, a bare end of
// stream is an end with no content (the caller treats it as diverged).
func TestSeamReplayShort(t *testing.T) {
	sent := seamText
	for m := 0; m < len(sent); m++ {
		for _, finish := range []bool{false, true} {
			evs := textEvents(finish, sent[:m])
			if m == 0 && finish {
				evs[1].Deltas[0].Content = nil // a finish chunk with no text
			}
			got := drain(&seamStream{Stream: &script{evs: evs}, want: []byte(sent), strict: true})
			switch {
			case got.text != "":
				t.Fatalf("replay %q (finish %v): sent %q past a short replay", sent[:m], finish, got.text)
			case finish && !errors.Is(got.err, errDiverged):
				t.Fatalf("replay %q then finish: err %v, want errDiverged", sent[:m], got.err)
			case !finish && got.err != nil:
				t.Fatalf("replay %q then EOF: err %v, want a bare EOF", sent[:m], got.err)
			}
		}
	}
	// A broken connection during the replay is that error, not a divergence.
	cut := errors.New("connection reset")
	got := drain(&seamStream{Stream: &script{evs: textEvents(false, "Grü"), end: cut}, want: []byte(sent), strict: true})
	if !errors.Is(got.err, cut) || got.text != "" {
		t.Fatalf("replay cut mid-seam: got %q, err %v; want the cut and no text", got.text, got.err)
	}
}

// TestSeamExactCover: an answer that repeats the sent text exactly and
// finishes leaves one finish reason and no text: the break came just
// before the finish.
func TestSeamExactCover(t *testing.T) {
	for _, strict := range []bool{true, false} {
		for _, chunks := range splits(seamText) {
			got := drain(&seamStream{Stream: &script{evs: textEvents(true, chunks...)}, want: []byte(seamText), strict: strict})
			if got.err != nil || got.text != "" || got.finishes != 1 {
				t.Fatalf("strict %v, chunks %q: got %q, %d finishes, err %v; want no text, 1 finish", strict, chunks, got.text, got.finishes, got.err)
			}
		}
	}
}

// TestSeamPrefixThenToolCall: a prefix continuation that repeats part of
// the prefix and then calls a tool gets the withheld text back before the
// call, never dropped.
func TestSeamPrefixThenToolCall(t *testing.T) {
	evs := textEvents(false, "Grü")
	evs = append(evs, llm.StreamEvent{Deltas: []llm.Delta{{ToolCalls: []llm.ToolCallDelta{{Index: 0, ID: "c1", Name: "f"}}}}})
	st := &seamStream{Stream: &script{evs: evs}, want: []byte(seamText)}
	var text strings.Builder
	calls := 0
	for {
		ev, err := st.Next()
		if err != nil {
			break
		}
		for _, d := range ev.Deltas {
			if len(d.ToolCalls) > 0 && text.String() != "Grü" {
				t.Fatalf("tool call before the withheld text: text so far %q", text.String())
			}
			text.Write(d.Content)
			calls += len(d.ToolCalls)
		}
	}
	if text.String() != "Grü" || calls != 1 {
		t.Fatalf("got text %q, %d calls; want \"Grü\" then the call", text.String(), calls)
	}
}
