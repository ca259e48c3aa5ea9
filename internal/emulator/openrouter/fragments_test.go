package openrouter

import (
	"path/filepath"
	"testing"

	"github.com/windrose-gw/windrose/internal/emulator/emukit"
	"github.com/windrose-gw/windrose/internal/emulator/emukit/emutest"
)

// TestToolCallFragments: tool_call_fragments streams a call OpenAI's way
// (id and name first, the arguments in pieces, the finish reason alone),
// so that a cut_after can land inside the call.
func TestToolCallFragments(t *testing.T) {
	_, ts := start(t, emukit.Faults{ToolCallFragments: 3})
	res := emutest.Do(t, ts.Client(), "POST", ts.URL+"/api/v1/chat/completions", key, toolAskSt)
	if res.Status != 200 || res.Err != nil {
		t.Fatalf("status %d err %v", res.Status, res.Err)
	}
	// role, call header, 3 argument pieces, finish, usage.
	if n := emutest.Events(res.Body); n != 7 {
		t.Errorf("%d events, want 7: %s", n, res.Body)
	}
	emutest.Golden(t, filepath.Join("testdata", "tool_call_fragments.golden"), res.Body, *update)
}

func TestSplitN(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want int
	}{
		{`{"location":"Rome"}`, 3, 3},
		{`{}`, 3, 2},   // fewer bytes than pieces: one byte each
		{`"é€"`, 4, 4}, // never inside a rune: 4 pieces, the runes whole
		{`abc`, 1, 1},
	} {
		got := splitN(c.s, c.n)
		joined := ""
		for _, p := range got {
			if p == "" {
				t.Errorf("splitN(%q, %d): empty piece in %q", c.s, c.n, got)
			}
			joined += p
		}
		if joined != c.s || len(got) != c.want {
			t.Errorf("splitN(%q, %d) = %q, want %d pieces joining back", c.s, c.n, got, c.want)
		}
	}
}
