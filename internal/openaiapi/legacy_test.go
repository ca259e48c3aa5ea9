package openaiapi

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

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

// TestLegacyFunctionMessages: the history old SDK code sends after a
// function_call (an assistant message with "function_call", then a
// "function" message with the result) becomes a tool call and its tool
// message, linked by one made-up id, so adapters see the tools shape.
func TestLegacyFunctionMessages(t *testing.T) {
	const head = `{"model":"m","functions":[{"name":"get"},{"name":"put"}],"messages":[{"role":"user","content":"hi"},`
	call := func(name string) string {
		return `{"role":"assistant","content":null,"function_call":{"name":"` + name + `","arguments":"{\"k\":1}"}}`
	}
	result := func(name string) string { return `{"role":"function","name":"` + name + `","content":"done"}` }
	cases := []struct {
		name    string
		msgs    string
		want    []llm.Message // from messages[1] on
		wantErr string
	}{
		// One call and its result.
		{"pair", call("get") + `,` + result("get"), []llm.Message{
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "call_fn1", Name: "get", Arguments: `{"k":1}`}}},
			{Role: llm.RoleTool, Name: "get", ToolCallID: "call_fn1", Content: "done"},
		}, ""},
		// Two rounds: each result links to its own call, by name.
		{"two rounds", call("get") + `,` + call("put") + `,` + result("get") + `,` + result("put"), []llm.Message{
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "call_fn1", Name: "get", Arguments: `{"k":1}`}}},
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "call_fn2", Name: "put", Arguments: `{"k":1}`}}},
			{Role: llm.RoleTool, Name: "get", ToolCallID: "call_fn1", Content: "done"},
			{Role: llm.RoleTool, Name: "put", ToolCallID: "call_fn2", Content: "done"},
		}, ""},
		// A result with no call before it is the client's error.
		{"orphan result", result("get"), nil, "messages[1].role"},
		// A function message needs the function's name.
		{"no name", `{"role":"function","content":"done"}`, nil, "messages[1].name"},
		// Only an assistant may call.
		{"user call", `{"role":"user","content":"x","function_call":{"name":"get"}}`, nil, "messages[1].function_call"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodeRequest([]byte(head + tc.msgs + `]}`))
			if tc.wantErr != "" {
				if err == nil || paramOf(err) != tc.wantErr {
					t.Fatalf("err %v (param %q), want param %q", err, paramOf(err), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, r.Messages[1:], cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
}
