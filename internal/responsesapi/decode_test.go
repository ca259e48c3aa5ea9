package responsesapi

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/openaiapi"
)

func ptr[T any](v T) *T { return &v }

// TestDecodeGolden decodes a request using every modelled member and
// writes the neutral request as the chat-completions body an adapter would
// see: the whole wire → llm mapping in one reviewable file.
func TestDecodeGolden(t *testing.T) {
	body, err := os.ReadFile("testdata/request_full.json")
	if err != nil {
		t.Fatal(err)
	}
	req, err := DecodeRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	if req.Store || !req.StoreSet || req.Instructions != "Answer briefly." || !req.Chat.Stream {
		t.Errorf("store %v (set %v), instructions %q, stream %v; want false, true, the instructions, true",
			req.Store, req.StoreSet, req.Instructions, req.Chat.Stream)
	}
	checkGolden(t, "request_full.chat.json", indent(t, openaiapi.AppendRequest(nil, req.Chat, "upstream-model")))
	// The input alone, re-encoded as items: the llm → wire direction the
	// store uses, and it must read back to the same messages.
	items := AppendItems(nil, req.Input)
	checkGolden(t, "request_full.items.json", indent(t, items))
	back, err := DecodeItems(items)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(req.Input, back); diff != "" {
		t.Errorf("items round trip (-sent +read back):\n%s", diff)
	}
}

// TestDecodeRequest checks the mappings that the golden file does not
// show on their own.
func TestDecodeRequest(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *llm.ChatRequest
	}{
		// The simplest request: input as a string is one user message.
		{"string input", `{"model":"m","input":"hi"}`,
			&llm.ChatRequest{Model: "m", Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}}},
		// Instructions become a leading system message.
		{"instructions", `{"model":"m","instructions":"be brief","input":"hi"}`,
			&llm.ChatRequest{Model: "m", Messages: []llm.Message{{Role: llm.RoleSystem, Content: "be brief"}, {Role: llm.RoleUser, Content: "hi"}}}},
		// A function_call with no assistant turn before it makes one.
		{"call opens an assistant turn", `{"model":"m","input":[{"role":"user","content":"x"},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"}]}`,
			&llm.ChatRequest{Model: "m", Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"},
				{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "c", Name: "f", Arguments: "{}"}}}}}},
		// json_object and tool_choice strings; nulls are absent.
		{"json_object", `{"model":"m","input":"x","text":{"format":{"type":"json_object"}},"tool_choice":"required","temperature":null,"reasoning":null}`,
			&llm.ChatRequest{Model: "m", Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}},
				ResponseFormat: &llm.ResponseFormat{Type: llm.FormatJSONObject}, ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceRequired}}},
		// safety_identifier wins over user whatever the member order.
		{"safety_identifier first", `{"model":"m","input":"x","safety_identifier":"s","user":"u"}`,
			&llm.ChatRequest{Model: "m", Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}}, User: "s"}},
		// max_output_tokens is the neutral MaxTokens.
		{"max_output_tokens", `{"model":"m","input":"x","max_output_tokens":5}`,
			&llm.ChatRequest{Model: "m", Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}}, MaxTokens: ptr(5)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := DecodeRequest([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, req.Chat); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodePreviousResponse checks a continuation may omit input, and
// that Prepend puts the history between instructions and input.
func TestDecodePreviousResponse(t *testing.T) {
	req, err := DecodeRequest([]byte(`{"model":"m","previous_response_id":"resp_1","instructions":"sys"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Prepend([]llm.Message{{Role: llm.RoleUser, Content: "earlier"}})
	want := []llm.Message{{Role: llm.RoleSystem, Content: "sys"}, {Role: llm.RoleUser, Content: "earlier"}}
	if diff := cmp.Diff(want, req.Chat.Messages); diff != "" || req.PreviousResponseID != "resp_1" {
		t.Errorf("previous %q, messages (-want +got):\n%s", req.PreviousResponseID, diff)
	}
}

// TestDecodeErrors checks each bad request is an OpenAI 400 naming the
// field, and what windrose refuses says so with unsupported_parameter.
func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, body, param, code, msg string
	}{
		// Malformed JSON has no param and wins over a field error before it.
		{"syntax after field error", `{"model":1,"input":[}`, "", "", "not valid JSON"},
		{"empty body", ``, "", "", "empty"},
		{"not an object", `[1]`, "", "", "must be a JSON object"},
		{"missing model", `{"input":"x"}`, "model", "", "missing required parameter"},
		{"missing input", `{"model":"m"}`, "input", "", "missing required parameter"},
		{"empty input", `{"model":"m","input":[]}`, "input", "", "at least one"},
		{"input wrong type", `{"model":"m","input":42}`, "input", "", "expected a string or an array of input items, but got a number"},
		{"item not an object", `{"model":"m","input":["x"]}`, "input[0]", "", "expected an object"},
		// Unknown item types are named, even when a member before type has another type's shape.
		{"unknown item type", `{"model":"m","input":[{"output":{},"type":"computer_call_output"}]}`, "input[0].type", "", "unsupported input item type 'computer_call_output'"},
		{"reasoning item", `{"model":"m","input":[{"type":"reasoning","summary":[]}]}`, "input[0].type", "", "'reasoning' items"},
		{"bad role", `{"model":"m","input":[{"role":"tool","content":"x"}]}`, "input[0].role", "", "unsupported role 'tool'"},
		{"missing role", `{"model":"m","input":[{"content":"x"}]}`, "input[0].role", "", "missing"},
		{"missing content", `{"model":"m","input":[{"role":"user"}]}`, "input[0].content", "", "missing"},
		{"unknown part", `{"model":"m","input":[{"role":"user","content":[{"type":"input_audio"}]}]}`, "input[0].content[0].type", "", "unsupported content part type 'input_audio'"},
		{"image by file id", `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","file_id":"f"}]}]}`, "input[0].content[0].file_id", "unsupported_parameter", "Files API"},
		{"bad detail", `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","image_url":"https://x","detail":"ultra"}]}]}`, "input[0].content[0].detail", "", "unsupported detail"},
		{"call without name", `{"model":"m","input":[{"type":"function_call","call_id":"c","arguments":"{}"}]}`, "input[1-1].name", "", "missing"},
		{"arguments wrong type", `{"model":"m","input":[{"type":"function_call","call_id":"c","name":"f","arguments":{}}]}`, "input[0].arguments", "", "expected a string"},
		{"output without call_id", `{"model":"m","input":[{"type":"function_call_output","output":"x"}]}`, "input[0].call_id", "", "missing"},
		{"image in tool output", `{"model":"m","input":[{"type":"function_call_output","call_id":"c","output":[{"type":"input_image","image_url":"https://x"}]}]}`, "input[0].output[0].type", "", "only text parts"},
		// Built-in tools are refused by name.
		{"web search", `{"model":"m","input":"x","tools":[{"type":"function","name":"f"},{"type":"web_search_preview"}]}`, "tools[1].type", "unsupported_parameter", "built-in tool 'web_search_preview'"},
		{"file search choice", `{"model":"m","input":"x","tool_choice":{"type":"file_search"}}`, "tool_choice.type", "unsupported_parameter", "built-in"},
		{"unknown tool type", `{"model":"m","input":"x","tools":[{"type":"gadget"}]}`, "tools[0].type", "", "unsupported tool type"},
		{"tool without name", `{"model":"m","input":"x","tools":[{"type":"function"}]}`, "tools[0].name", "", "missing"},
		{"chat-shaped tool", `{"model":"m","input":"x","tools":[{"type":"function","function":{"name":"f"}}]}`, "tools[0].name", "", "missing"},
		{"reasoning", `{"model":"m","input":"x","reasoning":{"effort":"low"}}`, "reasoning", "unsupported_parameter", "reasoning"},
		{"background", `{"model":"m","input":"x","background":true}`, "background", "unsupported_parameter", "background"},
		{"include", `{"model":"m","input":"x","include":["reasoning.encrypted_content"]}`, "include", "unsupported_parameter", "extra output"},
		{"truncation auto", `{"model":"m","input":"x","truncation":"auto"}`, "truncation", "unsupported_parameter", "never truncates"},
		{"verbosity", `{"model":"m","input":"x","text":{"verbosity":"low"}}`, "text.verbosity", "unsupported_parameter", "verbosity"},
		{"unknown parameter", `{"model":"m","input":"x","frobnicate":true}`, "frobnicate", "unknown_parameter", "unrecognized"},
		{"schema without name", `{"model":"m","input":"x","text":{"format":{"type":"json_schema","schema":{}}}}`, "text.format.name", "", "missing"},
		{"format type", `{"model":"m","input":"x","text":{"format":{"type":"yaml"}}}`, "text.format.type", "", "unsupported text.format type"},
		{"temperature range", `{"model":"m","input":"x","temperature":3}`, "temperature", "", "between 0 and 2"},
		{"temperature type", `{"model":"m","input":"x","temperature":"hot"}`, "temperature", "", "expected a number"},
		{"max_output_tokens", `{"model":"m","input":"x","max_output_tokens":0}`, "max_output_tokens", "", ">= 1"},
		{"store type", `{"model":"m","input":"x","store":"yes"}`, "store", "", "expected a boolean"},
		{"metadata value", `{"model":"m","input":"x","metadata":{"a":1}}`, "metadata.a", "", "expected a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRequest([]byte(tt.body))
			var ge *gwerr.Error
			if !errors.As(err, &ge) || ge.Kind != gwerr.InvalidRequest {
				t.Fatalf("err = %v, want an InvalidRequest *gwerr.Error", err)
			}
			param := strings.ReplaceAll(tt.param, "[1-1]", "[0]")
			if ge.Param != param || ge.Code != tt.code || !strings.Contains(ge.Message, tt.msg) {
				t.Errorf("param %q code %q message %q; want param %q code %q and a message containing %q",
					ge.Param, ge.Code, ge.Message, param, tt.code, tt.msg)
			}
		})
	}
}

// FuzzDecodeRequest feeds arbitrary bodies to the decoder: it must never
// panic, fail only with InvalidRequest, and whatever input it accepts must
// survive the store's items encoding unchanged.
func FuzzDecodeRequest(f *testing.F) {
	if b, err := os.ReadFile("testdata/request_full.json"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		`{"model":"m","input":"hi"}`,
		`{"model":"m","input":[{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":"r"}]}`,
		`{"model":"m","input":[{"output":{},"type":"x"}]}`,
		`{"model":"m","input":[{"role":"user","content":[{"type":"input_image","image_url":"data:,"}]}],"tools":[{"type":"web_search"}]}`,
		`{"model":"m","previous_response_id":"r","text":{"format":{"type":"json_schema","name":"n","schema":{"a":[1,{"b":null}]}}}}`,
		`{"model":"m","input":"\ud800\u00e9"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeRequest(body)
		if err != nil {
			if gwerr.KindOf(err) != gwerr.InvalidRequest {
				t.Fatalf("error of kind %v: %v", gwerr.KindOf(err), err)
			}
			return
		}
		back, err := DecodeItems(AppendItems(nil, req.Input))
		if err != nil {
			t.Fatalf("re-encoded input does not decode: %v", err)
		}
		if len(req.Input) == 0 {
			back = req.Input
		}
		if diff := cmp.Diff(req.Input, back); diff != "" {
			t.Fatalf("items round trip (-sent +read back):\n%s", diff)
		}
	})
}
