package emukit

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

const weatherSchema = `{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":["string","null"],"enum":["c","f"]},"days":{"type":"integer"},"opts":{"type":"object","properties":{"hourly":{"type":"boolean"}},"required":["hourly"]}},"required":["city","unit","opts"]}`

func TestRespond(t *testing.T) {
	tools := []Tool{{Name: "get_weather", Description: "Weather now", Parameters: []byte(weatherSchema)}, {Name: "search"}}
	user := func(s string) []Message { return []Message{{Role: "user", Text: s}} }
	cases := []struct {
		name string
		c    Conversation
		want Reply
	}{
		// Plain echo; prompt = 3 + (4+2); completion = one token per word chunk.
		{"echo", Conversation{Messages: user("Hi  there")},
			Reply{Content: []string{"You", " said:", " Hi", " there", " —", " emulated", " reply."}, Finish: "stop", PromptTokens: 9, CompletionTokens: 7}},
		// max_tokens stops early with finish length.
		{"max_tokens", Conversation{Messages: user("Hi"), MaxTokens: 2},
			Reply{Content: []string{"You", " said:"}, Finish: "length", PromptTokens: 8, CompletionTokens: 2}},
		// JSON mode wraps the text in an object.
		{"json", Conversation{Messages: user("Hi"), JSON: true},
			Reply{Content: []string{`{"answer":`, ` "You`, ` said:`, ` Hi`, ` —`, ` emulated`, ` reply."}`}, Finish: "stop", PromptTokens: 8, CompletionTokens: 7}},
		// Naming a tool in auto mode calls it; required props only, enums take the first value.
		// Prompt: 3 + (4+4 words) + get_weather (8+1+2+1 schema) + search (8+1).
		{"mentioned_tool", Conversation{Messages: user("use get_weather for Oslo!"), Tools: tools},
			Reply{ToolCalls: []ToolCall{{ID: ToolCallID("use get_weather for Oslo!", "get_weather", 1), Name: "get_weather",
				Arguments: `{"city":"Oslo","opts":{"hourly":true},"unit":"c"}`}}, Finish: "tool_calls", PromptTokens: 32, CompletionTokens: 2}},
		// Without a mention, auto answers in text.
		{"auto_no_mention", Conversation{Messages: user("Hello"), Tools: tools[1:]},
			Reply{Content: []string{"You", " said:", " Hello", " —", " emulated", " reply."}, Finish: "stop", PromptTokens: 17, CompletionTokens: 6}},
		// "none" forbids the call even when named.
		{"none", Conversation{Messages: user("search"), Tools: tools[1:], ToolChoice: ChoiceNone},
			Reply{Content: []string{"You", " said:", " search", " —", " emulated", " reply."}, Finish: "stop", PromptTokens: 17, CompletionTokens: 6}},
		// required calls the first tool; a missing schema gives {}.
		{"required", Conversation{Messages: user("go"), Tools: tools[1:], ToolChoice: ChoiceRequired},
			Reply{ToolCalls: []ToolCall{{ID: ToolCallID("go", "search", 1), Name: "search", Arguments: `{}`}}, Finish: "tool_calls", PromptTokens: 17, CompletionTokens: 2}},
		// A named choice picks that tool.
		{"named", Conversation{Messages: user("go"), Tools: tools[1:], ToolName: "search"},
			Reply{ToolCalls: []ToolCall{{ID: ToolCallID("go", "search", 1), Name: "search", Arguments: `{}`}}, Finish: "tool_calls", PromptTokens: 17, CompletionTokens: 2}},
		// After a tool result the reply quotes it, even when a call is forced.
		{"tool_result", Conversation{Tools: tools[1:], ToolChoice: ChoiceRequired, Messages: []Message{{Role: "user", Text: "go"},
			{Role: "assistant", ToolCalls: []ToolCall{{ID: "abcdefghi", Name: "search", Arguments: "{}"}}}, {Role: "tool", ToolCallID: "abcdefghi", Text: "found 3"}}},
			Reply{Content: []string{"The", " tool", " returned:", " found", " 3"}, Finish: "stop", PromptTokens: 29, CompletionTokens: 5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Respond(&tc.c)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
			if tc.c.JSON && !json.Valid([]byte(got.Text())) {
				t.Errorf("JSON mode content is not JSON: %s", got.Text())
			}
			for _, call := range got.ToolCalls {
				if len(call.ID) != 9 || strings.Trim(call.ID, alnum) != "" {
					t.Errorf("tool call id %q is not 9 alphanumerics", call.ID)
				}
			}
		})
	}
}

func TestJSONSchemaAnswer(t *testing.T) {
	// Structured output fills every property, so the answer fits the schema.
	c := Conversation{Messages: []Message{{Role: "user", Text: "Oslo"}}, JSON: true, Schema: []byte(weatherSchema)}
	var got map[string]any
	r := Respond(&c)
	if err := json.Unmarshal([]byte(r.Text()), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"city": "You said: Oslo — emulated reply.", "unit": "c", "days": 1.0, "opts": map[string]any{"hourly": true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\s`, "ctl\x00\x1f\n\r\t", "é—✓", "bad\xffutf8", "<&>"} {
		var back string
		if err := json.Unmarshal(AppendString(nil, s), &back); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if want := strings.ToValidUTF8(s, "\ufffd"); back != want {
			t.Errorf("%q decoded to %q", s, back)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("a\"b\\c\n\x01é")
	f.Fuzz(func(t *testing.T, s string) {
		var back string
		if err := json.Unmarshal(AppendString(nil, s), &back); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Errorf("%q decoded to %q", s, back)
		}
	})
}

func FuzzRespond(f *testing.F) {
	f.Add("call get_weather please", []byte(weatherSchema), true)
	f.Fuzz(func(t *testing.T, text string, schema []byte, json bool) {
		c := Conversation{Messages: []Message{{Role: "user", Text: text}}, JSON: json, Schema: schema,
			Tools: []Tool{{Name: "get_weather", Parameters: schema}}}
		r := Respond(&c)
		if r.CompletionTokens != len(r.Content) && len(r.ToolCalls) == 0 {
			t.Errorf("completion tokens %d for %d chunks", r.CompletionTokens, len(r.Content))
		}
	})
}
