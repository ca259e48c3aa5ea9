package mistralwire

import (
	"testing"

	"github.com/windrose-gw/windrose/internal/llm"
)

// Reserve must register a caller's own valid ids before any hash is made:
// otherwise a hashed id equal to a later valid id would merge the two, and
// the answer's tool calls would map back to the wrong caller id.
func TestReserveBeforeRewrite(t *testing.T) {
	const callerID = "call_collides_with_a_valid_id"
	clash := hashID(callerID, 0) // the id callerID would hash to
	msgs := []llm.Message{
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: callerID}}},
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: clash}}},
	}
	tests := []struct {
		name    string
		reserve bool
		merged  bool
	}{
		// With Reserve the hash is re-salted and both ids stay distinct.
		{"reserved", true, false},
		// Without it the two ids merge: the failure Reserve exists for.
		{"not reserved", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids := &IDMap{}
			if tt.reserve {
				ids.Reserve(msgs)
			}
			a, b := ids.Rewrite(callerID), ids.Rewrite(clash)
			if !validID(a) || b != clash {
				t.Fatalf("Rewrite = %q, %q; want a valid id and %q unchanged", a, b, clash)
			}
			if merged := a == b; merged != tt.merged {
				t.Fatalf("merged = %v, want %v (a=%q b=%q)", merged, tt.merged, a, b)
			}
			if !tt.merged && (ids.Restore(a) != callerID || ids.Restore(b) != clash) {
				t.Errorf("Restore(%q)=%q Restore(%q)=%q", a, ids.Restore(a), b, ids.Restore(b))
			}
		})
	}
}
