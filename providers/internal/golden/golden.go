// Package golden holds test helpers shared by the adapters' tests: golden
// file comparison and JSON-friendly snapshots of reused stream events.
package golden

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/providers"
)

// Check compares got with the file at path, or rewrites the file when
// update is set (tests pass their own -update flag).
func Check(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// CheckJSON indents v as JSON and compares it with the file at path.
func CheckJSON(t testing.TB, path string, v any, update bool) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	Check(t, path, append(b, '\n'), update)
}

// Indent re-indents a JSON document for a readable golden file.
func Indent(t testing.TB, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, raw)
	}
	return append(buf.Bytes(), '\n')
}

// Delta is a copied, JSON-friendly llm.Delta.
type Delta struct {
	Index        int        `json:"index"`
	Role         string     `json:"role,omitempty"`
	Content      string     `json:"content,omitempty"`
	ToolCalls    []ToolCall `json:"tool_calls,omitempty"`
	FinishReason string     `json:"finish_reason,omitempty"`
}

// ToolCall is a copied llm.ToolCallDelta.
type ToolCall struct {
	Index     int    `json:"index"`
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments,omitempty"`
}

// Event is a copy of a reused llm.StreamEvent that outlives the next call.
type Event struct {
	ID      string     `json:"id,omitempty"`
	Created int64      `json:"created,omitempty"`
	Model   string     `json:"model,omitempty"`
	Deltas  []Delta    `json:"deltas,omitempty"`
	Usage   *llm.Usage `json:"usage,omitempty"`
}

// Copy snapshots ev.
func Copy(ev *llm.StreamEvent) Event {
	out := Event{ID: ev.ID, Created: ev.Created, Model: ev.Model}
	for _, d := range ev.Deltas {
		cd := Delta{Index: d.Index, Role: string(d.Role), Content: string(d.Content), FinishReason: string(d.FinishReason)}
		for _, tc := range d.ToolCalls {
			cd.ToolCalls = append(cd.ToolCalls, ToolCall{Index: tc.Index, ID: tc.ID, Name: tc.Name, Arguments: string(tc.Arguments)})
		}
		out.Deltas = append(out.Deltas, cd)
	}
	if ev.Usage != nil {
		u := *ev.Usage
		out.Usage = &u
	}
	return out
}

// Error is the comparable part of a stream's final error.
type Error struct {
	Kind       string `json:"kind"`
	Message    string `json:"message,omitempty"`
	Code       string `json:"code,omitempty"`
	Status     int    `json:"status,omitempty"`
	RetryAfter string `json:"retry_after,omitempty"`
}

// ErrorOf snapshots err; io.EOF (a proper end) becomes nil.
func ErrorOf(err error) *Error {
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	e := gwerr.As(err)
	out := &Error{Kind: e.Kind.String(), Message: e.Message, Code: e.Code, Status: e.Status}
	if e.RetryAfter > 0 {
		out.RetryAfter = e.RetryAfter.String()
	}
	return out
}

// Next is the method set of a stream the helpers read.
type Next interface {
	Next() (*llm.StreamEvent, error)
}

// Transcript is a stream read to its end.
type Transcript struct {
	Events []Event    `json:"events"`
	End    *Error     `json:"end"` // nil for a proper io.EOF end
	Usage  *llm.Usage `json:"usage_on_error,omitempty"`
	Text   string     `json:"text"`
	Calls  []ToolCall `json:"tool_calls,omitempty"`
	raw    error
}

// Err returns the stream's final error as returned (io.EOF included).
func (t *Transcript) Err() error { return t.raw }

// Read drains s (at most limit events, a guard against a stream that never
// ends) and accumulates its text and tool calls per index.
func Read(s Next, limit int) *Transcript {
	tr := &Transcript{}
	var text []byte
	for i := 0; i < limit; i++ {
		ev, err := s.Next()
		if err != nil {
			tr.raw, tr.End, tr.Usage = err, ErrorOf(err), providers.UsageOf(err)
			break
		}
		c := Copy(ev)
		tr.Events = append(tr.Events, c)
		for _, d := range c.Deltas {
			text = append(text, d.Content...)
			for _, tc := range d.ToolCalls {
				tr.Calls = mergeCall(tr.Calls, tc)
			}
		}
	}
	tr.Text = string(text)
	return tr
}

func mergeCall(calls []ToolCall, tc ToolCall) []ToolCall {
	for i := range calls {
		if calls[i].Index == tc.Index {
			if tc.ID != "" {
				calls[i].ID = tc.ID
			}
			if tc.Name != "" {
				calls[i].Name = tc.Name
			}
			calls[i].Arguments += tc.Arguments
			return calls
		}
	}
	return append(calls, tc)
}

// FileName turns a test case name into a file name.
func FileName(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}
