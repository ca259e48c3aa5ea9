package openaiapi

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/llm"
)

func ptr[T any](v T) *T { return &v }

// user is the smallest valid messages array, for cases about other fields.
const user = `"messages":[{"role":"user","content":"hi"}]`

func userReq() []llm.Message { return []llm.Message{{Role: llm.RoleUser, Content: "hi"}} }

func TestDecodeRequestGood(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *llm.ChatRequest
	}{
		// The minimal request every SDK sends.
		{"minimal", `{"model":"m",` + user + `}`,
			&llm.ChatRequest{Model: "m", Messages: userReq()}},
		// Whitespace anywhere is legal JSON and pretty-printing clients send it.
		{"whitespace", " \n{ \"model\" : \"m\" ,\t" + user + " }\r\n",
			&llm.ChatRequest{Model: "m", Messages: userReq()}},
		// Every role, array content with both part kinds, a tool-calling
		// assistant turn with null content and its tool answer.
		{"conversation", `{"model":"m","messages":[
			{"role":"system","content":"be brief"},
			{"role":"developer","content":"dev"},
			{"role":"user","name":"ann","content":[{"type":"text","text":"what is"},{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}}]},
			{"role":"assistant","content":null,"refusal":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get","arguments":"{\"a\":1}"}}]},
			{"role":"tool","tool_call_id":"call_1","content":"42"}]}`,
			&llm.ChatRequest{Model: "m", Messages: []llm.Message{
				{Role: llm.RoleSystem, Content: "be brief"},
				{Role: llm.RoleDeveloper, Content: "dev"},
				{Role: llm.RoleUser, Name: "ann", Parts: []llm.Part{
					{Type: llm.PartText, Text: "what is"},
					{Type: llm.PartImageURL, ImageURL: "https://x/y.png", Detail: "low"}}},
				{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "get", Arguments: `{"a":1}`}}},
				{Role: llm.RoleTool, ToolCallID: "call_1", Content: "42"},
			}}},
		// Tools keep their schema verbatim; tool_choice object form.
		{"tools", `{"model":"m",` + user + `,"tools":[{"type":"function","function":{"name":"get","description":"d","parameters":{"type":"object"},"strict":true}}],"tool_choice":{"type":"function","function":{"name":"get"}},"parallel_tool_calls":false}`,
			&llm.ChatRequest{Model: "m", Messages: userReq(),
				Tools:             []llm.Tool{{Name: "get", Description: "d", Parameters: json.RawMessage(`{"type":"object"}`), Strict: ptr(true)}},
				ToolChoice:        &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: "get"},
				ParallelToolCalls: ptr(false)}},
		// tool_choice string form.
		{"tool choice required", `{"model":"m",` + user + `,"tool_choice":"required"}`,
			&llm.ChatRequest{Model: "m", Messages: userReq(), ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceRequired}}},
		// Every sampling knob; max_completion_tokens wins over max_tokens
		// whichever comes first.
		{"sampling", `{"max_completion_tokens":20,"model":"m",` + user + `,"temperature":0.7,"top_p":1,"presence_penalty":-2,"frequency_penalty":2,"max_tokens":10,"seed":-5,"n":2,"stop":"END","user":"u1","metadata":{"k":"v"}}`,
			&llm.ChatRequest{Model: "m", Messages: userReq(), Temperature: ptr(0.7), TopP: ptr(1.0),
				PresencePenalty: ptr(-2.0), FrequencyPenalty: ptr(2.0), MaxTokens: ptr(20), Seed: ptr(int64(-5)),
				N: ptr(2), Stop: []string{"END"}, User: "u1", Metadata: map[string]string{"k": "v"}}},
		// max_tokens alone; a float-typed integer as some clients send.
		{"max tokens", `{"model":"m",` + user + `,"max_tokens":100.0,"stop":["a","b"]}`,
			&llm.ChatRequest{Model: "m", Messages: userReq(), MaxTokens: ptr(100), Stop: []string{"a", "b"}}},
		// include_usage only counts on a streamed request.
		{"stream usage", `{"model":"m",` + user + `,"stream":true,"stream_options":{"include_usage":true,"include_obfuscation":false}}`,
			&llm.ChatRequest{Model: "m", Messages: userReq(), Stream: true, IncludeUsage: true}},
		{"usage without stream", `{"model":"m",` + user + `,"stream_options":{"include_usage":true}}`,
			&llm.ChatRequest{Model: "m", Messages: userReq()}},
		// json_schema response format with all members.
		{"json schema", `{"model":"m",` + user + `,"response_format":{"type":"json_schema","json_schema":{"name":"n","description":"d","schema":{"type":"object"},"strict":true}}}`,
			&llm.ChatRequest{Model: "m", Messages: userReq(), ResponseFormat: &llm.ResponseFormat{
				Type: llm.FormatJSONSchema, Name: "n", Description: "d", Schema: json.RawMessage(`{"type":"object"}`), Strict: ptr(true)}}},
		{"json object", `{"model":"m",` + user + `,"response_format":{"type":"json_object"}}`,
			&llm.ChatRequest{Model: "m", Messages: userReq(), ResponseFormat: &llm.ResponseFormat{Type: llm.FormatJSONObject}}},
		// Unknown members go raw to Extra for pass-through adapters.
		{"extra", `{"model":"m",` + user + `,"logit_bias":{"50256": -100},"store":true}`,
			&llm.ChatRequest{Model: "m", Messages: userReq(), Extra: map[string]json.RawMessage{
				"logit_bias": json.RawMessage(`{"50256": -100}`), "store": json.RawMessage(`true`)}}},
		// null means "not set" for every optional field.
		{"nulls", `{"model":"m",` + user + `,"temperature":null,"tools":null,"tool_choice":null,"stop":null,"metadata":null,"stream":null,"user":null,"response_format":null,"seed":null}`,
			&llm.ChatRequest{Model: "m", Messages: userReq()}},
		// Escapes, surrogate pairs, lone surrogates and invalid UTF-8 decode
		// as encoding/json decodes them.
		{"escapes", "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a\\n\\\"\\u00e9\\ud83d\\ude00\\ud800x\xff\"}]}",
			&llm.ChatRequest{Model: "m", Messages: []llm.Message{{Role: llm.RoleUser, Content: "a\n\"é😀\ufffdx\ufffd"}}}},
		// Later duplicates win, as with encoding/json.
		{"duplicate key", `{"model":"a","model":"m",` + user + `}`,
			&llm.ChatRequest{Model: "m", Messages: userReq()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeRequest([]byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeRequest: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeRequestBad(t *testing.T) {
	tests := []struct {
		name, body, param, msg string
	}{
		// Broken JSON: no param, and it wins over an earlier field error.
		{"malformed", `{"model":`, "", "the request body is not valid JSON: unexpected end of input at offset 9"},
		{"malformed after field error", `{"temperature":"hot",`, "", "the request body is not valid JSON: expected a string object key at offset 21"},
		{"trailing data", `{"model":"m",` + user + `} x`, "", "the request body is not valid JSON: unexpected data after the JSON object at offset 58"},
		{"empty body", ``, "", "the request body is empty"},
		{"not an object", `[1]`, "", "the request body must be a JSON object"},
		{"bad number", `{"temperature":01}`, "", "the request body is not valid JSON: expected ',' or '}' after object member at offset 16"},
		{"control char", "{\"model\":\"a\tb\"}", "", "the request body is not valid JSON: control character in string at offset 11"},
		// Wrong types name the field and both types.
		{"temperature string", `{"model":"m",` + user + `,"temperature":"hot"}`, "temperature",
			"invalid type for 'temperature': expected a number, but got a string instead"},
		{"messages object", `{"model":"m","messages":{}}`, "messages",
			"invalid type for 'messages': expected an array, but got an object instead"},
		{"content number", `{"model":"m","messages":[{"role":"user","content":1}]}`, "messages[0].content",
			"invalid type for 'messages[0].content': expected a string or an array of content parts, but got a number instead"},
		{"stop element", `{"model":"m",` + user + `,"stop":["a",1]}`, "stop[1]",
			"invalid type for 'stop[1]': expected a string, but got a number instead"},
		{"metadata value", `{"model":"m",` + user + `,"metadata":{"k":1}}`, "metadata.k",
			"invalid type for 'metadata.k': expected a string, but got a number instead"},
		{"include usage", `{"model":"m",` + user + `,"stream_options":{"include_usage":"yes"}}`, "stream_options.include_usage",
			"invalid type for 'stream_options.include_usage': expected a boolean, but got a string instead"},
		// Required members.
		{"no model", `{` + user + `}`, "model", "missing required parameter: 'model'"},
		{"empty model", `{"model":"",` + user + `}`, "model", "missing required parameter: 'model'"},
		{"no messages", `{"model":"m"}`, "messages", "missing required parameter: 'messages'"},
		{"empty messages", `{"model":"m","messages":[]}`, "messages", "invalid value for 'messages': empty array; expected at least one message"},
		{"no role", `{"model":"m","messages":[{"content":"x"}]}`, "messages[0].role", "missing required parameter: 'messages[0].role'"},
		{"unknown role", `{"model":"m","messages":[{"role":"user","content":"x"},{"role":"user","content":"y"},{"role":"bot","content":"x"}]}`, "messages[2].role",
			"invalid value for 'messages[2].role': unsupported role 'bot'; expected one of 'system', 'developer', 'user', 'assistant', 'tool'"},
		{"user without content", `{"model":"m","messages":[{"role":"user"}]}`, "messages[0].content", "missing required parameter: 'messages[0].content'"},
		{"tool without id", `{"model":"m","messages":[{"role":"tool","content":"x"}]}`, "messages[0].tool_call_id",
			"missing required parameter: 'messages[0].tool_call_id'"},
		{"empty parts", `{"model":"m","messages":[{"role":"user","content":[]}]}`, "messages[0].content",
			"invalid value for 'messages[0].content': empty array; expected at least one content part"},
		{"unknown part", `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"input_audio"}]}]}`, "messages[0].content[1].type",
			"invalid value for 'messages[0].content[1].type': unsupported content part type 'input_audio'; expected 'text' or 'image_url'"},
		{"image without url", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]}`, "messages[0].content[0].image_url.url",
			"missing required parameter: 'messages[0].content[0].image_url.url'"},
		{"tool call without name", `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"arguments":"{}"}}]}]}`,
			"messages[0].tool_calls[0].function.name", "missing required parameter: 'messages[0].tool_calls[0].function.name'"},
		{"tool call args object", `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":{}}}]}]}`,
			"messages[0].tool_calls[0].function.arguments", "invalid type for 'messages[0].tool_calls[0].function.arguments': expected a string, but got an object instead"},
		// Ranges.
		{"temperature high", `{"model":"m",` + user + `,"temperature":2.5}`, "temperature",
			"invalid value for 'temperature': expected a value between 0 and 2, but got 2.5 instead"},
		{"top_p high", `{"model":"m",` + user + `,"top_p":1.01}`, "top_p", "invalid value for 'top_p': expected a value between 0 and 1, but got 1.01 instead"},
		{"penalty low", `{"model":"m",` + user + `,"presence_penalty":-3}`, "presence_penalty",
			"invalid value for 'presence_penalty': expected a value between -2 and 2, but got -3 instead"},
		{"n zero", `{"model":"m",` + user + `,"n":0}`, "n", "invalid value for 'n': expected an integer >= 1, but got 0 instead"},
		{"max_tokens zero", `{"model":"m",` + user + `,"max_tokens":0}`, "max_tokens", "invalid value for 'max_tokens': expected an integer >= 1, but got 0 instead"},
		{"max_tokens fraction", `{"model":"m",` + user + `,"max_tokens":1.5}`, "max_tokens", "invalid value for 'max_tokens': expected a 64-bit integer, but got 1.5 instead"},
		{"huge number", `{"model":"m",` + user + `,"temperature":1e999}`, "temperature",
			"invalid value for 'temperature': expected a value between 0 and 2, but got 1e999 instead"},
		// Enumerations.
		{"tool_choice string", `{"model":"m",` + user + `,"tool_choice":"any"}`, "tool_choice",
			"invalid value for 'tool_choice': unsupported tool_choice 'any'; expected 'auto', 'none', 'required' or an object naming a function"},
		{"tool_choice no name", `{"model":"m",` + user + `,"tool_choice":{"type":"function","function":{}}}`, "tool_choice.function.name",
			"missing required parameter: 'tool_choice.function.name'"},
		{"tool type", `{"model":"m",` + user + `,"tools":[{"type":"custom","function":{"name":"f"}}]}`, "tools[0].type",
			"invalid value for 'tools[0].type': unsupported tool type 'custom'; expected 'function'"},
		{"tool schema type", `{"model":"m",` + user + `,"tools":[{"type":"function","function":{"name":"f","parameters":[]}}]}`, "tools[0].function.parameters",
			"invalid type for 'tools[0].function.parameters': expected an object, but got an array instead"},
		{"schema without name", `{"model":"m",` + user + `,"response_format":{"type":"json_schema","json_schema":{"schema":{}}}}`, "response_format.json_schema.name",
			"missing required parameter: 'response_format.json_schema.name'"},
		{"format type", `{"model":"m",` + user + `,"response_format":{"type":"yaml"}}`, "response_format.type",
			"invalid value for 'response_format.type': unsupported response_format type 'yaml'; expected 'text', 'json_object' or 'json_schema'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeRequest([]byte(tt.body))
			if err == nil {
				t.Fatalf("DecodeRequest succeeded: %+v", got)
			}
			var ge *gwerr.Error
			if !errors.As(err, &ge) {
				t.Fatalf("error %T is not a *gwerr.Error", err)
			}
			want := &gwerr.Error{Kind: gwerr.InvalidRequest, Param: tt.param, Message: tt.msg}
			if diff := cmp.Diff(want, ge); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeRequestDoesNotAlias checks that the caller may reuse its body
// buffer (the server pools them) once DecodeRequest returns.
func TestDecodeRequestDoesNotAlias(t *testing.T) {
	body := []byte(`{"model":"m",` + user + `,"tools":[{"type":"function","function":{"name":"f","parameters":{"a":1}}}],"x":{"b":2}}`)
	got, err := DecodeRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := DecodeRequest(body)
	for i := range body {
		body[i] = 'z'
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request changed with its body (-want +got):\n%s", diff)
	}
	if strings.Contains(got.Messages[0].Content, "z") {
		t.Error("content aliases the body")
	}
}

// TestDecodeRequestDeepNesting makes sure hostile nesting is an error, not
// a stack overflow.
func TestDecodeRequestDeepNesting(t *testing.T) {
	body := `{"model":"m",` + user + `,"x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`
	_, err := DecodeRequest([]byte(body))
	if err == nil || !strings.Contains(err.Error(), "nesting too deep") {
		t.Fatalf("err = %v, want a nesting error", err)
	}
}
