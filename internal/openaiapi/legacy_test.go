package openaiapi

import (
	"testing"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

func paramOf(err error) string { return gwerr.As(err).Param }

// TestLegacyFunctions: "functions"/"function_call" decode onto tools and
// tool_choice (they were dropped into Extra before, so no adapter saw them).
func TestLegacyFunctions(t *testing.T) {
	const msgs = `"model":"m","messages":[{"role":"user","content":"hi"}]`
	cases := []struct {
		name    string
		body    string
		tool    string // the one tool's name
		choice  *llm.ToolChoice
		wantErr string // param of the 400
	}{
		// functions and a forced function_call.
		{"forced", `{` + msgs + `,"functions":[{"name":"get","parameters":{"type":"object"}}],"function_call":{"name":"get"}}`,
			"get", &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: "get"}, ""},
		// function_call "none".
		{"none", `{` + msgs + `,"functions":[{"name":"get"}],"function_call":"none"}`, "get", &llm.ToolChoice{Mode: llm.ToolChoiceNone}, ""},
		// tools win over functions when both come.
		{"tools win", `{` + msgs + `,"tools":[{"type":"function","function":{"name":"new"}}],"functions":[{"name":"old"}]}`, "new", nil, ""},
		// A function without a name is the client's error, with its path.
		{"no name", `{` + msgs + `,"functions":[{"description":"x"}]}`, "", nil, "functions[0].name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodeRequest([]byte(tc.body))
			if tc.wantErr != "" {
				if err == nil || paramOf(err) != tc.wantErr {
					t.Fatalf("err %v (param %q), want param %q", err, paramOf(err), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Tools) != 1 || r.Tools[0].Name != tc.tool {
				t.Fatalf("tools %+v, want one named %q", r.Tools, tc.tool)
			}
			if (r.ToolChoice == nil) != (tc.choice == nil) || r.ToolChoice != nil && *r.ToolChoice != *tc.choice {
				t.Fatalf("tool choice %+v, want %+v", r.ToolChoice, tc.choice)
			}
			if _, ok := r.Extra["functions"]; ok {
				t.Fatalf("functions left in Extra")
			}
		})
	}
}
